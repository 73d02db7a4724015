// Record a workflow in a SQLite ledger (level 3) and check a receipt offline, with nothing but
// the ledger's public key. Needs better-sqlite3 (npm install better-sqlite3).
// Run: node examples/sqlite-ledger.mjs (after npm run build)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createECT, createVerifier, generateKeyPair, verifyReceipt } from 'wimse-ect';
import { openLedger } from 'wimse-ect/stores';

const dir = mkdtempSync(join(tmpdir(), 'ect-example-'));
const agent = generateKeyPair();
// The ledger signs its checkpoints and receipts with an Ed25519 key (ect keygen --alg EdDSA).
const ledgerKey = generateKeyPair({ alg: 'EdDSA' });
const ledger = await openLedger(`sqlite:${join(dir, 'audit.db')}`, {
  key: ledgerKey.privateJwk,
  origin: 'example.org/ect-ledger',
});

try {
  // Each accepted token is appended to the ledger; predecessors are checked against it.
  const verifier = createVerifier({
    audience: 'spiffe://example.org/auditor',
    keys: { keys: [agent.publicJwk] },
    record: { ledger },
    dag: {},
  });
  const wid = randomUUID();
  const task = (exec_act, pred = []) =>
    createECT(
      {
        iss: 'spiffe://example.org/agent',
        aud: 'spiffe://example.org/auditor',
        exec_act,
        wid,
        pred,
      },
      { key: agent.privateJwk },
    );
  const review = await verifier.verify(task('review_spec'));
  const build = await verifier.verify(task('implement_spec', [review.claims.jti]));
  const tests = task('run_tests', [build.claims.jti]);
  const result = await verifier.verify(tests);
  console.log(`recorded 3 tasks at level ${result.level}; the last is entry ${result.receipt.seq}`);

  // Offline, later, elsewhere: the receipt's signature, its checkpoint, the Merkle inclusion
  // proof, and that the entry holds exactly this token.
  const checked = verifyReceipt({
    jws: result.receipt.jws,
    key: ledgerKey.publicJwk,
    token: tests,
  });
  console.log(`receipt verifies: entry ${checked.seq} of a tree of ${checked.checkpoint.size}`);

  // Every stored value re-derived: entries, tree, checkpoints.
  const integrity = await ledger.verifyIntegrity();
  console.log(`ledger intact: ${integrity.ok}, ${integrity.checked} entries`);
} finally {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
}
