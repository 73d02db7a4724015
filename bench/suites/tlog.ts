/**
 * The verifiable ledger (issue 10): `ect verify --batch` with a SQLite ledger against the same
 * batch without one (ratio, target ≥ 0.8), an inclusion proof at 10^6 entries (reads and time,
 * target < 1 ms), and what the tree and the checkpoint cost per append.
 * @module
 */
import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createSigner, generateKeyPair } from '../../src/index.js';
import { entryLeafHash } from '../../src/ledger/entry.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import { formatCheckpoint } from '../../src/tlog/checkpoint.js';
import { leafHash, nodeHash } from '../../src/tlog/hash.js';
import { ed25519NoteSigner, signNote } from '../../src/tlog/note.js';
import { formatTlogProof } from '../../src/tlog/proof-file.js';
import { proveInclusion } from '../../src/tlog/prove.js';
import {
  appendLeaves,
  frontierIds,
  rootFromFrontier,
  splitStoredHashIndex,
  storedHashCount,
} from '../../src/tlog/stored-hash.js';
import { time, type Row } from '../measure.js';

const AUD = 'spiffe://example.org/agent-b';
const ORIGIN = 'bench.invalid/ect-ledger';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Runs the built command line as a user would (its own process); seconds until it exits. */
async function runCli(argv: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`ect ${argv.slice(0, 2).join(' ')} exited ${code}: ${stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/**
 * `ect verify --batch` with and without a SQLite ledger, side by side: the built command line in
 * its own process (`npm run bench` builds first), a fresh batch of tokens for every run (a token
 * is recorded once), rounds alternating. With a ledger the runs append to one ledger file, as a
 * deployment does; the first run creates it, and that first use is reported on its own row.
 */
async function batchRows(dir: string, options: { tokens: number; rounds: number }): Promise<Row[]> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build (npm run bench does)`);
  const agent = generateKeyPair();
  const ledgerKey = generateKeyPair({ alg: 'EdDSA' });
  const jwks = join(dir, 'agent.jwks.json');
  const key = join(dir, 'ledger.key.json');
  writeFileSync(jwks, JSON.stringify({ keys: [agent.publicJwk] }));
  writeFileSync(key, JSON.stringify(ledgerKey.privateJwk));
  const signer = createSigner({ key: agent.privateJwk });
  let made = 0;
  const batch = (): string => {
    const file = join(dir, `batch-${made++}.txt`);
    const tokens = Array.from({ length: options.tokens }, () =>
      signer.sign({ iss: 'spiffe://example.org/agent-a', aud: AUD, exec_act: 'step' }),
    );
    writeFileSync(file, tokens.join('\n'));
    return file;
  };
  const verify = (file: string): string[] => [
    'verify',
    '--batch',
    file,
    '--jwks',
    jwks,
    '--audience',
    AUD,
  ];
  const ledger = (path: string): string[] => [
    '--ledger',
    `sqlite:${path}`,
    '--ledger-key',
    key,
    '--ledger-origin',
    ORIGIN,
  ];
  const shared = join(dir, 'ledger.db');
  // Warm-up (the page cache, the first run of the program), and the shared ledger's creation.
  await runCli(verify(batch()));
  const created = options.tokens / (await runCli([...verify(batch()), ...ledger(shared)]));
  const without: number[] = [];
  const withLedger: number[] = [];
  const fresh: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    without.push(options.tokens / (await runCli(verify(batch()))));
    withLedger.push(options.tokens / (await runCli([...verify(batch()), ...ledger(shared)])));
    const path = join(dir, `new-${round}.db`);
    fresh.push(options.tokens / (await runCli([...verify(batch()), ...ledger(path)])));
  }
  const base = median(without);
  const steady = median(withLedger);
  const first = median(fresh);
  return [
    {
      suite: 'tlog',
      case: `ect verify --batch (${options.tokens} ES256 tokens) --ledger sqlite: (receipts, proofs, checkpoints), appending to a ledger`,
      value: steady,
      unit: 'ECT/s',
      ratio: steady / base,
      baseline: `same batch without a ledger ${Math.round(base)}/s`,
      target: '≥ 0.8',
      pass: steady / base >= 0.8,
    },
    {
      suite: 'tlog',
      case: `the same into a new ledger file each time (its creation included; first run ${Math.round(created)}/s)`,
      value: first,
      unit: 'ECT/s',
      ratio: first / base,
      baseline: `same batch without a ledger ${Math.round(base)}/s`,
    },
  ];
}

/** An inclusion proof at 10^6 entries: the stored tree written straight into SQLite. */
async function proofRows(dir: string, options: { size: number; proofs: number }): Promise<Row[]> {
  const path = join(dir, 'million.db');
  await (await SqliteLedgerBackend.open({ path })).close();
  const ledgerKey = generateKeyPair({ alg: 'EdDSA' });
  const levels: Uint8Array[] = [leafHash(Buffer.from('leaf'))];
  for (let l = 1; l < 52; l++) levels.push(nodeHash(levels[l - 1]!, levels[l - 1]!));
  const db = new Database(path);
  const insert = db.prepare('INSERT INTO ect_ledger_nodes (id, hash) VALUES (?, ?)');
  db.transaction(() => {
    for (let id = 0; id < storedHashCount({ size: options.size }); id++)
      insert.run(id, levels[splitStoredHashIndex(id).level]!);
  })();
  const frontier = frontierIds({ size: options.size }).map(
    (id) => levels[splitStoredHashIndex(id).level]!,
  );
  const root = rootFromFrontier({ frontier });
  const privateKey = createPrivateKey({ key: ledgerKey.privateJwk as never, format: 'jwk' });
  const note = signNote({
    text: formatCheckpoint({ origin: ORIGIN, size: options.size, root, extensions: [] }),
    signers: [ed25519NoteSigner({ name: ORIGIN, privateKey })],
  });
  db.prepare('INSERT INTO ect_ledger_checkpoints (size, note) VALUES (?, ?)').run(
    options.size,
    note,
  );
  db.close();
  const backend = await SqliteLedgerBackend.open({ path });
  let reads = 0;
  let ids = 0;
  const read = backend.readHashes.bind(backend);
  backend.readHashes = async (list) => {
    reads++;
    ids = Math.max(ids, list.length);
    return read(list);
  };
  const ledger = await Ledger.open({ backend, key: ledgerKey.privateJwk, origin: ORIGIN });
  const seqs = Array.from(
    { length: options.proofs },
    (_, i) => 1 + Math.floor((((i * 7919) % 1000) / 1000) * options.size),
  );
  for (const seq of seqs.slice(0, 50)) await ledger.prove({ seq }); // warm-up
  reads = 0;
  const seconds = await time(async () => {
    for (const seq of seqs) await ledger.prove({ seq });
  });
  await ledger.close();
  const micros = (seconds / options.proofs) * 1e6;
  return [
    {
      suite: 'tlog',
      case: `inclusion proof (tlog-proof with checkpoint) at ${options.size.toLocaleString('en-US')} entries, SQLite: ${reads / options.proofs} read of ≤ ${ids} hashes each`,
      value: micros,
      unit: 'µs/proof',
      target: '< 1000 µs',
      pass: micros < 1000,
    },
  ];
}

/** What the tree and the checkpoint cost per append, against a whole in-memory append. */
async function treeCostRows(options: { appends: number; batch: number }): Promise<Row[]> {
  const agent = generateKeyPair();
  const ledgerKey = generateKeyPair({ alg: 'EdDSA' });
  const signer = createSigner({ key: agent.privateJwk });
  const tokens = Array.from({ length: options.appends }, () =>
    signer.sign({ iss: 'spiffe://example.org/agent-a', aud: AUD, exec_act: 'step' }),
  );
  const ledger = await Ledger.open({ key: ledgerKey.privateJwk, origin: ORIGIN });
  const whole = await time(async () => {
    for (let i = 0; i < tokens.length; i += options.batch) {
      await Promise.all(
        tokens.slice(i, i + options.batch).map((token) => ledger.append({ token, level: 3 })),
      );
    }
  });
  await ledger.close();
  // The tree and checkpoint part alone: leaf hashes, new nodes, root, one signed note per batch,
  // one inclusion proof and tlog-proof text per entry (all in memory).
  const privateKey = createPrivateKey({ key: ledgerKey.privateJwk as never, format: 'jwk' });
  const noteSigner = ed25519NoteSigner({ name: ORIGIN, privateKey });
  let frontier: Uint8Array[] = [];
  const known = new Map<number, Uint8Array>();
  const tree = await time(async () => {
    for (let i = 0; i < tokens.length; i += options.batch) {
      const leaves = tokens
        .slice(i, i + options.batch)
        .map((token, k) => entryLeafHash({ seq: i + k + 1, level: 3, recordedAt: 1, token }));
      const ids = frontierIds({ size: i });
      ids.forEach((id, k) => known.set(id, frontier[k]!));
      const appended = appendLeaves({ size: i, frontier, leafHashes: leaves });
      for (const s of appended.stored) known.set(s.id, s.hash);
      frontier = appended.frontier;
      const note = signNote({
        text: formatCheckpoint({
          origin: ORIGIN,
          size: appended.size,
          root: rootFromFrontier({ frontier }),
          extensions: [],
        }),
        signers: [noteSigner],
      });
      const reader = {
        readHashes: async (list: readonly number[]) => list.map((id) => known.get(id)!),
      };
      for (let k = 0; k < leaves.length; k++) {
        formatTlogProof({
          index: i + k,
          proof: await proveInclusion({ index: i + k, size: appended.size, reader }),
          checkpoint: note,
        });
      }
    }
  });
  const perAppend = (whole / options.appends) * 1e6;
  const perTree = (tree / options.appends) * 1e6;
  return [
    {
      suite: 'tlog',
      case: `append to an in-memory ledger, ${options.batch} at a time (receipt JWS, proof, checkpoint)`,
      value: perAppend,
      unit: 'µs/append',
    },
    {
      suite: 'tlog',
      case: `of which tree nodes, root, checkpoint signature and inclusion proof`,
      value: perTree,
      unit: 'µs/append',
      ratio: perTree / perAppend,
      baseline: 'share of the whole append',
    },
  ];
}

export async function tlogSuite(options: {
  batchTokens: number;
  rounds: number;
  proofSize: number;
}): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ect-bench-tlog-'));
  try {
    return [
      ...(await batchRows(dir, { tokens: options.batchTokens, rounds: options.rounds })),
      ...(await proofRows(dir, { size: options.proofSize, proofs: 2000 })),
      ...(await treeCostRows({ appends: 4096, batch: 64 })),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
