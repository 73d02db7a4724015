/**
 * Issue 6 item 3: verification across both cores. One verifier with `asyncCrypto` and 64 tokens in
 * flight (as a busy server has) against the same verifier work done one token at a time on one core.
 * @module
 */
import { availableParallelism } from 'node:os';
import { createECT, createVerifier, generateKeyPair } from '../../src/index.js';
import { compare, type Row } from '../measure.js';

const AUD = 'spiffe://example.org/agent-b';
const IN_FLIGHT = 64;

export async function concurrentSuite(options: { ops: number; rounds: number }): Promise<Row[]> {
  const pair = generateKeyPair();
  const total = options.ops * (options.rounds + 1);
  const make = (): string[] =>
    Array.from({ length: total }, () =>
      createECT(
        { iss: 'spiffe://example.org/agent-a', aud: AUD, exec_act: 'run_tests' },
        { key: pair.privateJwk },
      ),
    );
  const sequentialTokens = make();
  const parallelTokens = make();
  const sequential = createVerifier({ audience: AUD, keys: { keys: [pair.publicJwk] } });
  const parallel = createVerifier({
    audience: AUD,
    keys: { keys: [pair.publicJwk] },
    asyncCrypto: true,
  });
  const rates = await compare(
    [
      {
        name: 'one core',
        run: async (round, ops) => {
          for (let i = round * options.ops; i < round * options.ops + ops; i++)
            await sequential.verify(sequentialTokens[i]!);
        },
      },
      {
        name: 'all cores',
        run: async (round, ops) => {
          const start = round * options.ops;
          let next = start;
          const worker = async (): Promise<void> => {
            while (next < start + ops) await parallel.verify(parallelTokens[next++]!);
          };
          await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
        },
      },
    ],
    options,
  );
  const ratio = rates['all cores']! / rates['one core']!;
  const cores = availableParallelism();
  return [
    {
      suite: 'concurrent',
      case: `ES256 verify, asyncCrypto, ${IN_FLIGHT} in flight, ${cores} cores`,
      value: rates['all cores']!,
      unit: 'ECT/s',
      ratio,
      baseline: `one token at a time ${Math.round(rates['one core']!)}/s`,
      target: cores >= 2 ? '≥ 1.7' : 'n/a (1 core)',
      pass: cores < 2 || ratio >= 1.7,
    },
  ];
}
