// Export one workflow from a ledger as an evidence bundle and verify it as an auditor would:
// offline, with the ledger's verifier key and the agents' keys, item by item.
// Run: node examples/evidence-bundle.mjs (after npm run build)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createECT,
  createVerifier,
  exportBundle,
  formatBundle,
  generateKeyPair,
  verifyBundle,
} from 'wimse-ect';
import { openLedger } from 'wimse-ect/stores';

const dir = mkdtempSync(join(tmpdir(), 'ect-example-'));
const agent = generateKeyPair();
const agents = { keys: [agent.publicJwk] };
const ledger = await openLedger('memory:', {
  key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
  origin: 'example.org/ect-ledger',
});

try {
  // The operator's side: a verifier records a two-task workflow in the ledger.
  const verifier = createVerifier({
    audience: 'spiffe://example.org/auditor',
    keys: agents,
    record: { ledger },
    dag: {},
  });
  const wid = randomUUID();
  const claims = { iss: 'spiffe://example.org/agent', aud: 'spiffe://example.org/auditor', wid };
  const first = await verifier.verify(
    createECT({ ...claims, exec_act: 'collect_data' }, { key: agent.privateJwk }),
  );
  await verifier.verify(
    createECT(
      { ...claims, exec_act: 'train_model', pred: [first.claims.jti] },
      { key: agent.privateJwk },
    ),
  );

  // The bundle: entries, inclusion proofs, the signed checkpoint, the agents' public keys.
  const file = join(dir, 'workflow.bundle.json');
  writeFileSync(file, formatBundle(await exportBundle({ ledger, wid, jwks: agents })));
  // The ledger's verifier key is published once and kept by the auditor.
  const ledgerVkey = await ledger.vkey();

  // The auditor's side: no database, no network.
  const report = await verifyBundle({
    bundle: readFileSync(file, 'utf8'),
    ledgerVkey,
    keys: agents,
  });
  for (const item of report.items) {
    console.log(
      `${item.ok ? 'ok  ' : 'FAIL'} ${item.item}${item.seq ? ` ${item.seq}` : ''}: ${item.message}`,
    );
  }
  console.log(report.ok ? `bundle verified: ${report.entries} entries` : 'BUNDLE DOES NOT VERIFY');
} finally {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
}
