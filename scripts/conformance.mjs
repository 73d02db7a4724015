#!/usr/bin/env node
// Generates docs/conformance.md: each rule ID of the profile (../shared/spec/ECT-PROFILE.md) with
// the tests whose titles name it. `--check` exits 1 when the file on disk is not what would be
// generated (the test suite runs it so the table never goes stale).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// [D] stated by the draft, [P] this profile's interpretation (configurable numbers).
const RULES = [
  ['FMT-1', 'D', 'L2/L3 are JWS Compact Serialization'],
  ['FMT-2', 'D/P', 'L1 wire form: one unpadded base64url JSON object'],
  ['FMT-3', 'D', 'level detection: two dots = JWS (no fallback), no dot = L1, else malformed'],
  ['FMT-4', 'D/P', 'configured minimum level (default 2), anti-downgrade'],
  ['FMT-5', 'P', 'size limit before decoding (64 KiB)'],
  ['FMT-6', 'P', "L3 = recorded by the verifier's ledger; level stored with the token"],
  ['HDR-1', 'D', 'typ exec+jwt / wimse-exec+jwt, case-insensitive, optional application/'],
  ['HDR-2', 'D/P', 'alg allow-list; none and HS* never; algorithm bound to key type'],
  ['HDR-3', 'P', 'kid required with JWK set and WIMSE profiles'],
  ['HDR-4', 'P', 'unknown crit rejected; b64:false rejected'],
  ['HDR-5', 'P', 'jku, x5u, jwk never fetched nor trusted'],
  ['CLM-1', 'D', 'iss: non-empty string; a spiffe iss is a valid SPIFFE ID'],
  ['CLM-2', 'D', 'aud: string or array; verifier must be in it'],
  ['CLM-3', 'D/P', 'iat required; future and maximum age checks'],
  ['CLM-4', 'D/P', 'exp after iat, with tolerance; lifetime 600 s; NumericDate 0 to 253402300799'],
  ['CLM-5', 'D', 'jti is a UUID; generated on creation; UUIDs compare case-insensitively'],
  ['CLM-6', 'D', 'exec_act non-empty, at most 256 characters'],
  ['CLM-7', 'D/P', 'pred: array of jtis; no duplicates, no self-reference, at most 100'],
  ['CLM-8', 'D', 'wid: optional UUID, scopes jti uniqueness'],
  ['CLM-9', 'D', 'inp_hash/out_hash: unpadded base64url SHA-256, no prefix'],
  ['CLM-10', 'D', 'ect_ext: object, at most 4096 bytes and depth 5'],
  ['CLM-11', 'P', 'other claims kept and ignored; sub not required'],
  ['CLM-12', 'P', 'duplicate JSON member names rejected'],
  ['CLM-13', 'P', '-00 migration (par, ext, pol) when acceptLegacy'],
  ['VER-1', '', 'size limit → ECT_TOO_LARGE'],
  ['VER-2', '', 'level detection and parsing → ECT_MALFORMED'],
  ['VER-3', '', 'minimum level → ECT_LEVEL_TOO_LOW'],
  ['VER-4', '', 'header typ/alg/crit → ECT_TYP_INVALID, ECT_ALG_NOT_ALLOWED, ECT_CRIT_UNSUPPORTED'],
  ['VER-5', '', 'key resolution → ECT_KEY_UNRESOLVED'],
  ['VER-6', '', 'signature → ECT_SIGNATURE_INVALID'],
  ['VER-7', '', 'claim presence and syntax → ECT_CLAIM_MISSING, ECT_CLAIM_INVALID, ECT_EXT_LIMIT'],
  ['VER-8', '', 'issuer binding → ECT_ISSUER_MISMATCH'],
  ['VER-9', '', 'audience → ECT_AUDIENCE_MISMATCH'],
  ['VER-10', '', 'time → ECT_EXPIRED, ECT_IAT_FUTURE, ECT_IAT_TOO_OLD'],
  ['VER-11', '', 'DAG validation → ECT_DAG_*'],
  ['VER-12', '', 'replay → ECT_REPLAY'],
  ['VER-13', '', 'L3 ledger append and receipt → ECT_LEDGER_UNAVAILABLE'],
  ['DAG-1', 'D', 'jti unique in its scope'],
  ['DAG-2', 'D/P', 'predecessors exist (partial mode lists missing ones)'],
  ['DAG-3', 'D/P', 'predecessor iat not after child iat + tolerance'],
  ['DAG-4', 'D/P', 'acyclic; bounded ancestor walk'],
  ['DAG-5', 'D/P', 'workflow consistency of wid'],
  ['DAG-6', 'D/P', 'predecessor level not below the minimum'],
  ['DAG-7', 'P', 'indexed lookups, no scans; audit linear'],
  ['IDB-1', 'D', 'JWK set trust per issuer; remote sets cached and bounded'],
  ['IDB-2', 'D', 'X.509 x5c chain to a trust anchor; iss = URI SAN; revocation hook'],
  ['IDB-3', 'D', 'WIMSE WIT: cnf.jwk key; iss = WIT sub'],
  ['RPL-1', 'D', 'a jti seen within its window is rejected, at every level'],
  ['RPL-2', 'P', 'atomic check-and-record; entry lives until exp + tolerance'],
  ['RPL-3', 'P', 'bounded memory store refuses when full; Redis shared; fail closed'],
  ['LED-1', 'D', 'append-only, tamper-evident ledger operations'],
  [
    'LED-2',
    'P',
    'entries are RFC 9162 leaves of a five-line text; every stored column derived and checked',
  ],
  ['LED-3', 'P', '(wid, jti) uniqueness, lowercase, enforced by the store on checked values'],
  ['LED-4', 'P', 'durable appends survive a crash'],
  ['LED-5', 'P', 'signed receipts with leaf hash and inclusion proof, checkable offline'],
  ['LED-6', 'P', 'backends: memory, SQLite, PostgreSQL'],
  ['LED-7', 'D', 'L3 failure handling: timeout, reject or degrade, async retry'],
  ['LED-8', 'P', 'C2SP signed checkpoints (Ed25519, origin, vkey) for every committed batch'],
  ['LED-9', 'P', 'inclusion proofs as C2SP tlog-proof, O(log n) reads'],
  ['LED-10', 'P', 'consistency proofs; checkpoints and receipts kept as anchors'],
  ['LED-11', 'P', 'witness cosignatures (C2SP tlog-witness), k of n'],
  ['LED-12', 'P', 'evidence bundles checked offline item by item'],
  ['HTTP-1', 'D/P', 'one ECT per Execution-Context field line; several lines only when configured'],
  ['HTTP-2', 'D', '403 with application/problem+json carrying the code'],
  ['HTTP-3', 'D/P', 'header size limit on sender and receiver'],
  ['HTTP-4', 'P', 'body bound to out_hash'],
  ['HTTP-5', 'P', 'response ECT with pred = caller jti'],
  ['HTTP-6', 'D/P', 'body fallback for a token too large for the header'],
];

const ID = /\b(FMT|HDR|CLM|VER|DAG|IDB|RPL|LED|HTTP)-\d+\b/g;
const TITLE = /\b(?:test|it|describe)\s*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

const byRule = new Map(RULES.map(([id]) => [id, []]));
const unknown = new Set();
for (const file of testFiles('test')) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(TITLE)) {
    const title = match[2].replace(/\s+/g, ' ');
    for (const id of new Set(title.match(ID) ?? [])) {
      if (byRule.has(id)) byRule.get(id).push(`${relative('.', file)}: ${title}`);
      else unknown.add(id);
    }
  }
}

const lines = [
  '# Conformance',
  '',
  'Generated by `npm run conformance` from the test titles: each rule of the implementation profile',
  '(draft-nennemann-wimse-ect-01) and the tests that name it. Kind: [D] stated by the draft, [P] this',
  "project's interpretation where the draft is silent (numbers configurable). Do not edit by hand.",
  '',
];
const uncovered = RULES.filter(([id]) => byRule.get(id).length === 0).map(([id]) => id);
lines.push(
  `Rules: ${RULES.length}; covered by at least one test: ${RULES.length - uncovered.length}; not covered yet: ${uncovered.length === 0 ? 'none' : uncovered.join(', ')}.`,
  '',
);
lines.push('| rule | kind | what | tests |', '|---|---|---|---|');
for (const [id, kind, what] of RULES) {
  const tests = byRule.get(id);
  const cell =
    tests.length === 0
      ? '**not covered yet**'
      : `${tests.length}: ${tests
          .slice(0, 4)
          .map((t) => t.replace(/\|/g, '\\|'))
          .join('<br>')}${tests.length > 4 ? `<br>… and ${tests.length - 4} more` : ''}`;
  lines.push(`| ${id} | ${kind ? `[${kind}]` : ''} | ${what} | ${cell} |`);
}
if (unknown.size > 0)
  lines.push(
    '',
    `Test titles name IDs that are not in the profile: ${[...unknown].sort().join(', ')}.`,
  );
lines.push(
  '',
  '## Interpretations',
  '',
  'Where the profile leaves a detail open, this implementation decides as follows (numbers are options).',
  '',
  '- FMT-3, HDR-2: an empty signature segment is JWS syntax (RFC 7515 §7.1), not a malformed token: with `alg: none` it is `ECT_ALG_NOT_ALLOWED`, with any allowed algorithm `ECT_SIGNATURE_INVALID`. Empty header or payload segments are `ECT_MALFORMED`.',
  '- CLM-3: a token is too old when `now - iat > maxIatAge + clockTolerance` (the tolerance applies at both ends of the window, as for `exp`).',
  '- RPL-1, DAG-1: the replay key and the uniqueness scope are both (`wid`, `jti`); a token without `wid` is scoped globally.',
  '- VER-11, VER-12: with DAG validation on, a token presented twice is reported as `ECT_DAG_DUPLICATE`, because DAG validation runs before the replay check; without it, as `ECT_REPLAY`.',
  '- VER-13, LED-7: when the ledger rejects a token (reject policy), its replay entry is removed again, so the token can be presented once the ledger is back; it is never accepted unrecorded. With the degrade policy it is accepted at level 2 and the result says why.',
  '- LED-2: the leaf is the whole entry (seq, level, time, token); every other column is re-derived and compared. Removing the newest batch with its tree rows and checkpoint leaves a shorter self-consistent log: a kept checkpoint or receipt (LED-10) or the witness policy (LED-11) detects it. The tree is stored as a node table keyed by the stored-hash index (docs/ledger.md).',
  '- LED-8: checkpoints use Ed25519 signed notes; cosignatures (LED-11) use the Ed25519 cosignature/v1 type, as Node 20 has no ML-DSA-44.',
  '- LED-3: concurrent appends may share one transaction (group commit); each keeps its own receipt and its own duplicate verdict.',
  '- HTTP-1, HTTP-2: a missing `Execution-Context` on a route that requires one is answered 403 with the problem code `EXECUTION_CONTEXT_MISSING`, and a body over the binding limit 413 `BODY_TOO_LARGE`; neither is a section 11 code, because no token was judged.',
  '- HTTP-4: the body hash is taken over the bytes as sent (before any content decoding).',
  '- CLM-1, IDB-2, IDB-3: a value in the `spiffe` scheme (any case) must be a valid SPIFFE ' +
    'ID (SPIFFE-ID §2, written `spiffe://`): a malformed `iss` is `ECT_CLAIM_INVALID`, a ' +
    'malformed X.509 URI SAN or WIT `sub` is `ECT_KEY_UNRESOLVED` (key resolution, VER-5, ' +
    'runs first). An X.509 leaf that carries a SPIFFE ID follows the X509-SVID leaf rules ' +
    '(§5.2): exactly one URI SAN, with a path, not a CA, neither keyCertSign nor cRLSign.',
  '- CLM-5: replay keys, DAG lookups and `pred` checks compare UUIDs in lowercase; ids that ' +
    'are not UUIDs (UUID check relaxed) keep their case. The replay stores compare keys ' +
    'exactly: `replayKey` makes them canonical.',
  "- IDB-2: the trust anchor's own pathLenConstraint and keyUsage bind the path below it, " +
    'whether or not the anchor is sent in `x5c` (as `openssl verify`; RFC 5937).',
  '- VER-2: a string or member name with an unpaired surrogate, escaped (`\\ud800`) or raw, ' +
    'is `ECT_MALFORMED` (I-JSON, RFC 7493 §2.1); creation refuses such a claim with the same ' +
    'code.',
  '- DAG-4: the ancestor walk runs only when the new task can close a cycle: a stored task ' +
    'already lists its `jti` as a predecessor (after partial validation, DAG-2), its `jti` ' +
    'exists in another scope, or it names itself. Then the walk is bounded by `maxAncestors` ' +
    '(10,000) and a longer ancestry is `ECT_DAG_LIMIT`; otherwise no stored task can reach ' +
    'it, nothing is walked and no limit applies (a chain of any length is accepted at ' +
    'constant cost, DAG-7).',
);
const output = `${lines.join('\n')}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync('docs/conformance.md', 'utf8');
  } catch {
    // No file yet: it is out of date.
  }
  if (current !== output) {
    console.error('docs/conformance.md is out of date: run `npm run conformance` and commit it.');
    process.exit(1);
  }
} else {
  writeFileSync('docs/conformance.md', output);
  console.log(
    `docs/conformance.md: ${RULES.length - uncovered.length}/${RULES.length} rules covered`,
  );
}
