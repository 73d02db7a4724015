/**
 * Issue 6 items 1 and 2: verify and create, one core, against raw `node:crypto` on the same bytes
 * and against jose on the same tokens.
 * @module
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import {
  createECT,
  createSigner,
  createVerifier,
  generateKeyPair,
  importPrivateKey,
  type Algorithm,
} from '../../src/index.js';
import { compare, type Row } from '../measure.js';

const ISS = 'spiffe://example.org/agent-a';
const AUD = 'spiffe://example.org/agent-b';
const WID = '0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10';

/** A realistic claims set: a task with two predecessors and both hashes. */
function claims(): Record<string, unknown> {
  return {
    iss: ISS,
    aud: AUD,
    exec_act: 'implement_spec',
    wid: WID,
    pred: ['2d9f1c44-8f5e-4b52-9a0e-2f3b1c7d5e60', '7c1e2a9b-3d4f-4e6a-8b5c-9d0e1f2a3b4c'],
    inp_hash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
    out_hash: 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0',
  };
}

const SIG_OPTIONS: Record<string, { dsaEncoding?: 'ieee-p1363' }> = {
  ES256: { dsaEncoding: 'ieee-p1363' },
  EdDSA: {},
};
const HASH: Record<string, string | null> = { ES256: 'sha256', EdDSA: null };

export async function verifySuite(options: { ops: number; rounds: number }): Promise<Row[]> {
  const rows: Row[] = [];
  for (const alg of ['ES256', 'EdDSA'] as const satisfies readonly Algorithm[]) {
    const pair = generateKeyPair({ alg });
    const total = options.ops * (options.rounds + 1);
    const tokens = Array.from({ length: total }, () =>
      createECT(claims() as never, { key: pair.privateJwk }),
    );
    const split = tokens.map((t) => {
      const dot = t.lastIndexOf('.');
      return {
        input: Buffer.from(t.slice(0, dot)),
        signature: Buffer.from(t.slice(dot + 1), 'base64url'),
      };
    });
    const publicKey: KeyObject = createPublicKey({ key: pair.publicJwk, format: 'jwk' });
    const joseKey = await importJWK(pair.publicJwk as never, alg);
    // One verifier for the whole run, with its in-memory replay cache: every token is new to it.
    const verifier = createVerifier({ audience: AUD, keys: { keys: [pair.publicJwk] } });
    const slice = (round: number, ops: number): [number, number] => [
      round * options.ops,
      round * options.ops + ops,
    ];
    let sink = 0;
    const rates = await compare(
      [
        {
          name: 'raw',
          run: (round, ops) => {
            const [a, b] = slice(round, ops);
            for (let i = a; i < b; i++)
              if (
                verify(
                  HASH[alg],
                  split[i]!.input,
                  { key: publicKey, ...SIG_OPTIONS[alg] },
                  split[i]!.signature,
                )
              )
                sink++;
          },
        },
        {
          name: 'ect',
          run: async (round, ops) => {
            const [a, b] = slice(round, ops);
            for (let i = a; i < b; i++) if ((await verifier.verify(tokens[i]!)).level === 2) sink++;
          },
        },
        {
          name: 'jose',
          run: async (round, ops) => {
            const [a, b] = slice(round, ops);
            for (let i = a; i < b; i++)
              if ((await jwtVerify(tokens[i]!, joseKey, { audience: AUD })).payload) sink++;
          },
        },
      ],
      options,
    );
    if (sink === 0) throw new Error('nothing verified');
    const ratio = rates['ect']! / rates['raw']!;
    rows.push({
      suite: 'verify',
      case: `${alg} full procedure + replay cache`,
      value: rates['ect']!,
      unit: 'ECT/s',
      ratio,
      baseline: `raw node:crypto.verify ${Math.round(rates['raw']!)}/s`,
      target: '≥ 0.90',
      pass: ratio >= 0.9,
    });
    rows.push({
      suite: 'verify',
      case: `${alg} ect vs jose jwtVerify`,
      value: rates['jose']!,
      unit: 'jose/s',
      ratio: rates['ect']! / rates['jose']!,
      baseline: 'jose (ratio = ect ÷ jose)',
      target: '≥ 1.5',
      pass: rates['ect']! >= 1.5 * rates['jose']!,
    });
  }
  return rows;
}

export async function createSuite(options: { ops: number; rounds: number }): Promise<Row[]> {
  const rows: Row[] = [];
  for (const alg of ['ES256', 'EdDSA'] as const) {
    const pair = generateKeyPair({ alg });
    const privateKey = importPrivateKey(pair.privateJwk);
    const signer = createSigner({ key: pair.privateJwk });
    const sample = createECT(claims() as never, { key: pair.privateJwk });
    const input = Buffer.from(sample.slice(0, sample.lastIndexOf('.')));
    let sink = 0;
    const rates = await compare(
      [
        {
          name: 'raw',
          run: (_round, ops) => {
            for (let i = 0; i < ops; i++)
              sink += sign(HASH[alg], input, { key: privateKey, ...SIG_OPTIONS[alg] }).length;
          },
        },
        {
          name: 'signer',
          run: (_round, ops) => {
            for (let i = 0; i < ops; i++) sink += signer.sign(claims() as never).length;
          },
        },
        {
          name: 'createECT',
          run: (_round, ops) => {
            for (let i = 0; i < ops; i++)
              sink += createECT(claims() as never, { key: pair.privateJwk }).length;
          },
        },
      ],
      options,
    );
    if (sink === 0) throw new Error('nothing signed');
    const ratio = rates['signer']! / rates['raw']!;
    const baseline = `raw node:crypto.sign ${Math.round(rates['raw']!)}/s`;
    rows.push({
      suite: 'create',
      case: `${alg} createSigner().sign (defaults, validation, sign)`,
      value: rates['signer']!,
      unit: 'ECT/s',
      ratio,
      baseline,
      target: '≥ 0.85',
      pass: ratio >= 0.85,
    });
    rows.push({
      suite: 'create',
      case: `${alg} createECT one-shot (key lookups per call)`,
      value: rates['createECT']!,
      unit: 'ECT/s',
      ratio: rates['createECT']! / rates['raw']!,
      baseline,
    });
  }
  return rows;
}
