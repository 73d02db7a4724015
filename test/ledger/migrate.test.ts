/**
 * `ect ledger migrate`: a ledger written by the first release (schema 1, a hash chain) becomes the
 * verifiable ledger (LED-2) on SQLite and PostgreSQL, keeping every entry; a broken chain is
 * refused; a v1 ledger opened without migrating is a clear configuration error.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ECTConfigError } from '../../src/errors.js';
import { parseToken } from '../../src/format/parse.js';
import { taskKey } from '../../src/format/task-key.js';
import { cli } from '../cli/run.js';
import { useTestServers } from '../helpers/servers.js';
import {
  chainOfTokens,
  ledgerKey,
  ORIGIN,
  storedLedger,
  type BackendKind,
  type RawSql,
} from './support.js';

const env = useTestServers({ postgres: true, tempDir: 'ect-migrate-' });

/** The first release's schema, as it created it. */
function v1Schema(kind: BackendKind): string {
  const int = kind === 'sqlite' ? 'INTEGER' : 'BIGINT';
  return `
CREATE TABLE {t}_schema_version (version INTEGER NOT NULL);
CREATE TABLE {t} (seq ${int} PRIMARY KEY, scope TEXT NOT NULL UNIQUE, jti TEXT NOT NULL, wid TEXT,
  token TEXT NOT NULL, claims TEXT NOT NULL, level INTEGER NOT NULL, recorded_at ${int} NOT NULL,
  token_hash TEXT NOT NULL, prev_hash TEXT NOT NULL, entry_hash TEXT NOT NULL);
CREATE INDEX {t}_jti ON {t} (jti);
CREATE TABLE {t}_pred (pred TEXT NOT NULL, seq ${int} NOT NULL, PRIMARY KEY (pred, seq));
INSERT INTO {t}_schema_version (version) VALUES (1);`;
}

const tokens = chainOfTokens(7);

/** Writes a v1 ledger of `tokens` (levels 3, recorded one second apart), chained as v1 did. */
async function writeV1(
  sql: RawSql,
  kind: BackendKind,
  options: { breakAt?: number } = {},
): Promise<void> {
  for (const statement of v1Schema(kind)
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const text =
      kind === 'sqlite'
        ? statement.replaceAll('{t}_schema_version', 'ect_schema_version')
        : statement;
    await sql.run(text);
  }
  let prev = Buffer.alloc(32);
  for (const [i, token] of tokens.entries()) {
    const seq = i + 1;
    const claims = parseToken(token).payload as { jti: string; wid?: string; pred: string[] };
    const tokenHash = createHash('sha256').update(token).digest();
    const seqBytes = Buffer.alloc(8);
    seqBytes.writeBigUInt64BE(BigInt(seq));
    const entryHash = createHash('sha256').update(prev).update(tokenHash).update(seqBytes).digest();
    const storedToken = seq === options.breakAt ? `${token}x` : token;
    await sql.run(
      'INSERT INTO {t} (seq, scope, jti, wid, token, claims, level, recorded_at, token_hash, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        seq,
        taskKey(claims.jti, claims.wid),
        claims.jti,
        claims.wid ?? null,
        storedToken,
        JSON.stringify(claims),
        3,
        1_700_000_000_000 + seq * 1000,
        tokenHash.toString('base64url'),
        prev.toString('base64url'),
        entryHash.toString('base64url'),
      ],
    );
    for (const p of claims.pred)
      await sql.run('INSERT INTO {t}_pred (pred, seq) VALUES (?, ?)', [p, seq]);
    prev = entryHash;
  }
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`ect ledger migrate (${kind})`, () => {
    const keyFile = () => {
      const file = join(env.dir, 'ledger.key.json');
      writeFileSync(file, JSON.stringify(ledgerKey.privateJwk));
      return file;
    };

    async function v1Ledger(options: { breakAt?: number } = {}) {
      const stored = storedLedger({
        kind,
        dir: env.dir,
        ...(kind === 'postgres' ? { pgUrl: env.pg.url } : {}),
      });
      const sql = await stored.sql();
      await writeV1(sql, kind, options);
      await sql.close();
      return stored;
    }

    test(`LED-2 ${kind}: a v1 ledger opened without migrating is a configuration error naming the command`, async () => {
      const stored = await v1Ledger();
      await assert.rejects(
        stored.open(),
        (e: unknown) => e instanceof ECTConfigError && /ect ledger migrate/.test(e.message),
      );
    });

    test(`LED-2 ${kind}: migrate keeps every entry (seq, level, time, token) and the result verifies`, async () => {
      const stored = await v1Ledger();
      const { url } = stored;
      const r = await cli([
        'ledger',
        'migrate',
        url,
        '--ledger-key',
        keyFile(),
        '--ledger-origin',
        ORIGIN,
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /migrated 7 entries/);
      const ledger = await stored.open();
      const entries = [];
      for await (const e of ledger.entries()) entries.push(e);
      assert.deepEqual(
        entries.map((e) => [e.seq, e.level, e.recordedAt, e.token]),
        tokens.map((t, i) => [i + 1, 3, 1_700_000_000_000 + (i + 1) * 1000, t]),
      );
      const report = await ledger.verifyIntegrity();
      assert.equal(report.ok, true, JSON.stringify(report.firstBad));
      assert.equal(report.checkpoints, 1);
      // It goes on as a verifiable ledger.
      const next = chainOfTokens(1)[0]!;
      assert.equal((await ledger.append({ token: next, level: 3 })).seq, 8);
      assert.equal((await ledger.verifyIntegrity()).ok, true);
      await ledger.close();
      const again = await cli([
        'ledger',
        'migrate',
        url,
        '--ledger-key',
        keyFile(),
        '--ledger-origin',
        ORIGIN,
      ]);
      assert.equal(again.code, 0, again.stderr);
    });

    test(`LED-2 ${kind}: a broken hash chain is not migrated, and the v1 ledger is left as it was`, async () => {
      const stored = await v1Ledger({ breakAt: 4 });
      const { url } = stored;
      const r = await cli([
        'ledger',
        'migrate',
        url,
        '--ledger-key',
        keyFile(),
        '--ledger-origin',
        ORIGIN,
      ]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /broken at entry 4/);
      const sql = await stored.sql();
      const rows = await sql.run('SELECT count(*) AS n FROM {t}');
      await sql.close();
      assert.equal(Number(rows[0]!['n']), 7);
      await assert.rejects(stored.open(), /ect ledger migrate/);
    });
  });
}
