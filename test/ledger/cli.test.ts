/**
 * The verifiable ledger from the command line, in the exact forms of the documentation:
 * `ect verify --ledger … --ledger-origin`, `ect ledger checkpoint|vkey|prove|consistency|export|
 * verify`, `ect bundle export|verify` (LED-8 to LED-12), with the exit codes 0 / 1 / 2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ledgerVerifier, openCheckpoint } from '../../src/ledger/checkpoints.js';
import { parseEntry, entryLeafHash } from '../../src/ledger/entry.js';
import { decodeBase64Std } from '../../src/tlog/note.js';
import { parseTlogProof } from '../../src/tlog/proof-file.js';
import { storedHashCount } from '../../src/tlog/stored-hash.js';
import { verifyConsistency, verifyInclusion } from '../../src/tlog/verify-proof.js';
import { cli } from '../cli/run.js';

const A = 'spiffe://example.org/agent-a';
const B = 'spiffe://example.org/agent-b';
const WID = '5d2c3a3e-1a0f-4a57-b3a1-0c9d2f7e6a11';
const ORIGIN = 'example.org/ect-ledger';
/** The receipt file written by `ect verify --ledger --receipt-out`. */
interface Recorded {
  readonly level: number;
  readonly receipt: { readonly seq: number; readonly jws: string; readonly proof: string };
}
/** A JSON line of `ect ledger export`. */
interface Exported {
  readonly seq: number;
  readonly level: number;
  readonly recordedAt: number;
  readonly token: string;
  readonly entry: string;
}
let dir: string;
let key: string;
let jwks: string;
let ledgerKey: string;
let db: string;
let url: string;
const file = (name: string): string => join(dir, name);

async function create(extra: string[]): Promise<string> {
  const r = await cli([
    'create',
    '--key',
    key,
    '--iss',
    A,
    '--aud',
    B,
    '--exec-act',
    'step',
    '--wid',
    WID,
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function record(tokens: string[], more: string[] = []): Promise<string[]> {
  writeFileSync(file('batch.txt'), tokens.join('\n'));
  const r = await cli([
    'verify',
    '--batch',
    file('batch.txt'),
    '--dag',
    '--jwks',
    jwks,
    '--audience',
    B,
    '--ledger',
    url,
    '--ledger-key',
    ledgerKey,
    '--ledger-origin',
    ORIGIN,
    ...more,
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout.trim().split('\n');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-cli-tlog-'));
  key = file('a.key.json');
  jwks = file('a.jwks.json');
  ledgerKey = file('ledger.key.json');
  db = file('audit.db');
  url = `sqlite:${db}`;
  assert.equal((await cli(['keygen', '--out', key, '--jwks-out', jwks])).code, 0);
  assert.equal((await cli(['keygen', '--out', ledgerKey, '--alg', 'EdDSA'])).code, 0);
  const root = await create(['--jti', '11111111-1111-4111-8111-111111111111']);
  const child = await create([
    '--jti',
    '22222222-2222-4222-8222-222222222222',
    '--pred',
    '11111111-1111-4111-8111-111111111111',
  ]);
  const join_ = await create([
    '--jti',
    '33333333-3333-4333-8333-333333333333',
    '--pred',
    '11111111-1111-4111-8111-111111111111',
    '--pred',
    '22222222-2222-4222-8222-222222222222',
  ]);
  const lines = await record([root, child, join_]);
  writeFileSync(file('receipt.json'), lines[2]!);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ect ledger (verifiable ledger)', () => {
  test('LED-5, LED-8: verify --ledger records at level 3 with receipts carrying tlog-proofs', async () => {
    const line = JSON.parse(readFileSync(file('receipt.json'), 'utf8')) as Recorded;
    assert.equal(line.level, 3);
    assert.equal(line.receipt.seq, 3);
    assert.match(line.receipt.proof, /^c2sp\.org\/tlog-proof@v1\nindex 2\n/);
    assert.equal(typeof line.receipt.jws, 'string');
  });

  test('LED-8: ledger vkey and ledger checkpoint print the verifier key and a checkpoint it verifies', async () => {
    const vkey = await cli(['ledger', 'vkey', url]);
    assert.equal(vkey.code, 0, vkey.stderr);
    assert.match(
      vkey.stdout,
      new RegExp(`^${ORIGIN.replace('.', '\\.')}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]+=*\\n$`),
    );
    writeFileSync(file('ledger.vkey'), vkey.stdout);
    const checkpoint = await cli(['ledger', 'checkpoint', url]);
    assert.equal(checkpoint.code, 0);
    const verified = openCheckpoint({
      note: checkpoint.stdout,
      ledger: ledgerVerifier(vkey.stdout),
    });
    assert.equal(verified.size, 3);
    assert.match(
      checkpoint.stdout,
      new RegExp(`^${ORIGIN}\\n3\\n[A-Za-z0-9+/]{43}=\\n\\n— ${ORIGIN} `),
    );
    writeFileSync(file('kept.checkpoint'), checkpoint.stdout);
  });

  test('LED-9: ledger prove --seq N prints a tlog-proof of that entry against the latest checkpoint', async () => {
    const vkey = (await cli(['ledger', 'vkey', url])).stdout;
    const exported = (await cli(['ledger', 'export', url])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Exported);
    for (const seq of [1, 2, 3]) {
      const r = await cli(['ledger', 'prove', url, '--seq', String(seq)]);
      assert.equal(r.code, 0, r.stderr);
      const proof = parseTlogProof({ text: r.stdout });
      const checkpoint = openCheckpoint({ note: proof.checkpoint, ledger: ledgerVerifier(vkey) });
      const entry = parseEntry(exported[seq - 1]!.entry)!;
      verifyInclusion({
        index: seq - 1,
        size: checkpoint.size,
        leafHash: entryLeafHash(entry),
        proof: proof.proof,
        root: checkpoint.root,
      });
    }
    for (const bad of ['0', '4', 'x']) {
      assert.equal((await cli(['ledger', 'prove', url, '--seq', bad])).code, 2, `--seq ${bad}`);
    }
  });

  test('LED-2: ledger export prints JSON lines with seq, level, token and the exact entry text', async () => {
    const r = await cli(['ledger', 'export', url]);
    assert.equal(r.code, 0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Exported);
    assert.deepEqual(
      lines.map((l) => l.seq),
      [1, 2, 3],
    );
    for (const l of lines) {
      assert.equal(l.level, 3);
      assert.equal(l.entry, `ect-ledger-entry/v1\n${l.seq}\n3\n${l.recordedAt}\n${l.token}\n`);
    }
  });

  test('LED-10: ledger consistency --from --to prints one base64 hash a line, verifying between two checkpoints', async () => {
    const before = readFileSync(file('kept.checkpoint'), 'utf8');
    await record([await create(['--pred', '33333333-3333-4333-8333-333333333333'])]);
    const vkey = ledgerVerifier((await cli(['ledger', 'vkey', url])).stdout);
    const after = (await cli(['ledger', 'checkpoint', url])).stdout;
    const r = await cli(['ledger', 'consistency', url, '--from', '3', '--to', '4']);
    assert.equal(r.code, 0, r.stderr);
    const proof = r.stdout
      .trim()
      .split('\n')
      .map((l) => decodeBase64Std(l)!);
    const old = openCheckpoint({ note: before, ledger: vkey });
    const now = openCheckpoint({ note: after, ledger: vkey });
    verifyConsistency({ oldSize: 3, newSize: 4, oldRoot: old.root, newRoot: now.root, proof });
    const defaultTo = await cli(['ledger', 'consistency', url, '--from', '3']);
    assert.equal(defaultTo.stdout, r.stdout);
    assert.equal((await cli(['ledger', 'consistency', url, '--from', '5'])).code, 2);
  });

  test('LED-10: ledger verify --checkpoint and --receipt pass while the ledger is consistent with them', async () => {
    const r = await cli([
      'ledger',
      'verify',
      url,
      '--checkpoint',
      file('kept.checkpoint'),
      '--receipt',
      file('receipt.json'),
      '--ledger-vkey',
      file('ledger.vkey'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ledger intact: 4 entries/);
    const j = JSON.parse(
      (await cli(['ledger', 'verify', url, '--json', '--checkpoint', file('kept.checkpoint')]))
        .stdout,
    ) as { ok: boolean; anchors: number };
    assert.equal(j.ok, true);
    assert.equal(j.anchors, 1);
  });

  test('LED-12: bundle export then bundle verify offline, a line per item and --json', async () => {
    const out = file('workflow.bundle.json');
    const e = await cli(['bundle', 'export', url, '--wid', WID, '--out', out, '--jwks', jwks]);
    assert.equal(e.code, 0, e.stderr);
    const text = readFileSync(out, 'utf8');
    assert.doesNotMatch(text, /"d":/, 'no private key member');
    const v = await cli([
      'bundle',
      'verify',
      out,
      '--ledger-vkey',
      file('ledger.vkey'),
      '--jwks',
      jwks,
    ]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const lines = v.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ok {3}checkpoint: signed by the ledger/);
    assert.equal(
      lines.filter((l) => /^ok {3}entry \d: included; level 3; signature valid/.test(l)).length,
      4,
    );
    assert.match(lines.at(-2)!, /^ok {3}dag: 4 tasks/);
    assert.equal(lines.at(-1), 'bundle verified: 4 entries');
    const j = JSON.parse(
      (
        await cli([
          'bundle',
          'verify',
          out,
          '--ledger-vkey',
          file('ledger.vkey'),
          '--jwks',
          jwks,
          '--json',
        ])
      ).stdout,
    ) as { ok: boolean; entries: number; items: unknown[] };
    assert.deepEqual([j.ok, j.entries, j.items.length], [true, 4, 6]);
    // Without the auditor's keys: the bundle's own keys, with a warning; still exit 0.
    const own = await cli(['bundle', 'verify', out, '--ledger-vkey', file('ledger.vkey')]);
    assert.equal(own.code, 0, own.stdout);
    assert.match(own.stdout, /^WARN keys: issuer keys taken from the bundle itself/m);
  });

  test('LED-12: a changed token, another ledger key or a missing witness fails the bundle (exit 1); bad input is exit 2', async () => {
    const out = file('workflow.bundle.json');
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as { entries: { entry: string }[] };
    const first = bundle.entries[1]!.entry;
    bundle.entries[1]!.entry = first.replace(
      /\n(\d+)\n(\S+)\n$/,
      (_m: string, t: string, tok: string) => `\n${Number(t) + 1}\n${tok}\n`,
    );
    writeFileSync(file('changed.bundle.json'), JSON.stringify(bundle));
    const changed = await cli([
      'bundle',
      'verify',
      file('changed.bundle.json'),
      '--ledger-vkey',
      file('ledger.vkey'),
      '--jwks',
      jwks,
    ]);
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, /^FAIL entry 2: TLOG_PROOF_INVALID/m);
    const other = file('other.key.json');
    await cli(['keygen', '--alg', 'EdDSA', '--out', other]);
    const otherDb = `sqlite:${file('other.db')}`;
    writeFileSync(file('one.txt'), await create([]));
    await cli([
      'verify',
      '--batch',
      file('one.txt'),
      '--jwks',
      jwks,
      '--audience',
      B,
      '--ledger',
      otherDb,
      '--ledger-key',
      other,
      '--ledger-origin',
      ORIGIN,
    ]);
    const otherVkey = (await cli(['ledger', 'vkey', otherDb])).stdout.trim();
    const wrongKey = await cli([
      'bundle',
      'verify',
      out,
      '--ledger-vkey',
      otherVkey,
      '--jwks',
      jwks,
    ]);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stdout, /^FAIL checkpoint: TLOG_SIGNATURE_INVALID/m);
    const { cosignatureVerifierKey } = await import('../../src/tlog/cosignature.js');
    const { generateKeyPairSync } = await import('node:crypto');
    const witness = cosignatureVerifierKey({
      name: 'witness.example/w1',
      publicKey: generateKeyPairSync('ed25519').publicKey,
    });
    const unwitnessed = await cli([
      'bundle',
      'verify',
      out,
      '--ledger-vkey',
      file('ledger.vkey'),
      '--witness-vkey',
      witness,
      '--jwks',
      jwks,
    ]);
    assert.equal(unwitnessed.code, 1);
    assert.match(unwitnessed.stdout, /^FAIL witnesses: TLOG_WITNESS_POLICY/m);
    writeFileSync(file('broken.bundle.json'), '{"format":"ect-evidence-bundle/v1"');
    for (const args of [
      ['bundle', 'verify', file('missing.json'), '--ledger-vkey', file('ledger.vkey')],
      ['bundle', 'verify', file('broken.bundle.json'), '--ledger-vkey', file('ledger.vkey')],
      ['bundle', 'verify', out, '--ledger-vkey', 'not-a-vkey'],
      [
        'bundle',
        'export',
        url,
        '--wid',
        '99999999-9999-4999-8999-999999999999',
        '--out',
        file('none.json'),
      ],
      ['bundle', 'export', url, '--wid', WID, '--out', out],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^ect: /);
    }
  });

  test('LED-8: a new ledger needs an origin; another origin or key on reopening is a configuration error', async () => {
    const tokenFile = file('lone.txt');
    writeFileSync(tokenFile, await create([]));
    const base = ['verify', '--batch', tokenFile, '--jwks', jwks, '--audience', B];
    const none = await cli([
      ...base,
      '--ledger',
      `sqlite:${file('new.db')}`,
      '--ledger-key',
      ledgerKey,
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs an origin .*--ledger-origin/);
    const origin = await cli([
      ...base,
      '--ledger',
      url,
      '--ledger-key',
      ledgerKey,
      '--ledger-origin',
      'other.example/ledger',
    ]);
    assert.equal(origin.code, 2);
    assert.match(origin.stderr, /has origin example\.org\/ect-ledger, not other\.example\/ledger/);
    const other = file('third.key.json');
    await cli(['keygen', '--alg', 'EdDSA', '--out', other]);
    const key2 = await cli([...base, '--ledger', url, '--ledger-key', other]);
    assert.equal(key2.code, 2);
    assert.match(key2.stderr, /signs with .* the key given is/);
    const es = await cli([...base, '--ledger', url, '--ledger-key', key]);
    assert.equal(es.code, 2);
    assert.match(es.stderr, /Ed25519/);
  });

  test('LED-10: after the newest entry is removed with its tree and checkpoint, ledger verify with the kept checkpoint fails', async () => {
    const kept = file('latest.checkpoint');
    writeFileSync(kept, (await cli(['ledger', 'checkpoint', url])).stdout);
    const raw = new Database(db);
    raw.exec(`DELETE FROM ect_ledger WHERE seq = 4; DELETE FROM ect_ledger_pred WHERE seq = 4;
      DELETE FROM ect_ledger_nodes WHERE id >= ${storedHashCount({ size: 3 })}; DELETE FROM ect_ledger_checkpoints WHERE size = 4;`);
    raw.close();
    assert.equal(
      (await cli(['ledger', 'verify', url])).code,
      0,
      'self-consistent without an anchor',
    );
    const r = await cli(['ledger', 'verify', url, '--checkpoint', kept]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^LEDGER BROKEN \(anchor\): .*covers 4 entries but the ledger has 3/);
  });
});
