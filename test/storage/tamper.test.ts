/**
 * LED-2: integrity verification detects a changed, removed or reordered entry made directly in the
 * database (SQLite and PostgreSQL), and names the first bad entry. Rows that no longer decode give a
 * clear error naming the entry and the column on reads, never a crash, and are the first bad entry
 * of an integrity check.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { tokenDigest } from '../../src/ledger/chain.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import { useTestServers } from '../helpers/servers.js';
import { rejectsWithCode } from './ledger-contract.js';
import { makeToken, type TestToken } from './fixtures/tokens.js';

const env = useTestServers({ postgres: true, tempDir: 'ect-tamper-' });
const dir = env.dir;



/** A ledger of five entries and a raw SQL connection to its storage. */
interface Tampered {
  readonly ledger: Ledger;
  readonly tokens: readonly TestToken[];
  /** Runs SQL with `{t}` replaced by the ledger's table. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** SQL of one dialect for what differs between SQLite and PostgreSQL. */
interface Target {
  readonly name: string;
  open(): Promise<Tampered>;
  readonly changeIat: string;
  readonly breakClaims: string;
}

async function fill(ledger: Ledger): Promise<TestToken[]> {
  const wid = randomUUID();
  const first = makeToken({ wid });
  const tokens = [first, makeToken({ wid, pred: [first.claims.jti] }), makeToken(), makeToken({ wid }), makeToken()];
  for (const t of tokens) await ledger.append(t.token, t.claims, 3);
  return tokens;
}

const sqlite: Target = {
  name: 'SQLite',
  async open() {
    const path = join(dir, `${randomUUID()}.db`);
    const ledger = new Ledger({ backend: new SqliteLedgerBackend({ path }) });
    const tokens = await fill(ledger);
    const db = new Database(path);
    return {
      ledger,
      tokens,
      async exec(sql: string) {
        db.exec(sql.replaceAll('{t}', 'ect_ledger'));
      },
      async close() {
        db.close();
        await ledger.close();
      },
    };
  },
  changeIat: "UPDATE {t} SET claims = json_set(claims, '$.iat', 1) WHERE seq = 4",
  breakClaims: "UPDATE {t} SET claims = '{\"jti\": ' WHERE seq = 2",
};

const postgres: Target = {
  name: 'PostgreSQL',
  async open() {
    const table = `tamper_${randomUUID().replaceAll('-', '')}`;
    const ledger = new Ledger({ backend: await PostgresLedgerBackend.open({ url: env.pg.url, table }) });
    const tokens = await fill(ledger);
    const client = new pg.Client({ connectionString: env.pg.url });
    await client.connect();
    return {
      ledger,
      tokens,
      async exec(sql: string) {
        await client.query(sql.replaceAll('{t}', table));
      },
      async close() {
        await client.end();
        await ledger.close();
      },
    };
  },
  changeIat: "UPDATE {t} SET claims = jsonb_set(claims, '{iat}', '1') WHERE seq = 4",
  breakClaims: `UPDATE {t} SET claims = '"just a string"'::jsonb WHERE seq = 2`,
};

async function firstBad(target: Target, sql: (t: Tampered) => string): Promise<{ seq: number; reason: string }> {
  const t = await target.open();
  try {
    assert.deepEqual(await t.ledger.verifyIntegrity(), { ok: true, checked: 5 });
    await t.exec(sql(t));
    const report = await t.ledger.verifyIntegrity();
    assert.equal(report.ok, false);
    assert.ok(report.firstBad !== undefined);
    return report.firstBad;
  } finally {
    await t.close();
  }
}

for (const target of [sqlite, postgres]) {
  describe(`tampering with a ${target.name} ledger`, () => {
    it('LED-2: an edited token is found at its entry', async () => {
      const bad = await firstBad(target, () => "UPDATE {t} SET token = token || 'x' WHERE seq = 3");
      assert.equal(bad.seq, 3);
      assert.match(bad.reason, /token/);
    });

    it('LED-2: an edited token with a recomputed token hash is found by the entry hash', async () => {
      const bad = await firstBad(target, (t) => {
        const token = `${t.tokens[2]!.token}x`;
        return `UPDATE {t} SET token = '${token}', token_hash = '${Buffer.from(tokenDigest(token)).toString('base64url')}' WHERE seq = 3`;
      });
      assert.equal(bad.seq, 3);
      assert.match(bad.reason, /entry_hash/);
    });

    it('LED-2: a deleted entry is found at its place', async () => {
      const bad = await firstBad(target, () => 'DELETE FROM {t} WHERE seq = 3');
      assert.equal(bad.seq, 3);
      assert.match(bad.reason, /removed/);
    });

    it('LED-2: a deleted first entry is found', async () => {
      const bad = await firstBad(target, () => 'DELETE FROM {t} WHERE seq = 1');
      assert.equal(bad.seq, 1);
    });

    it('LED-2: two swapped entries are found at the first of them', async () => {
      const bad = await firstBad(target, () => 'UPDATE {t} SET seq = -2 WHERE seq = 2; UPDATE {t} SET seq = 2 WHERE seq = 4; UPDATE {t} SET seq = 4 WHERE seq = -2');
      assert.equal(bad.seq, 2);
    });

    it('LED-2: changed recorded claims are found at their entry', async () => {
      const bad = await firstBad(target, () => target.changeIat);
      assert.equal(bad.seq, 4);
      assert.match(bad.reason, /claims/);
    });

    it('LED-2: claims that no longer decode: reads give ECT_LEDGER_UNAVAILABLE naming the entry and the column; the integrity check reports that entry', async () => {
      const t = await target.open();
      try {
        await t.exec(target.breakClaims);
        const report = await t.ledger.verifyIntegrity();
        assert.equal(report.ok, false);
        assert.equal(report.firstBad?.seq, 2);
        assert.match(report.firstBad?.reason ?? '', /ledger entry 2 cannot be read: column claims/);
        const second = t.tokens[1]!;
        await rejectsWithCode(t.ledger.get(second.claims.jti, second.claims.wid), 'ECT_LEDGER_UNAVAILABLE');
        assert.equal((await t.ledger.entry(t.tokens[0]!.claims.jti, t.tokens[0]!.claims.wid))?.seq, 1, 'the other entries still read');
      } finally {
        await t.close();
      }
    });

    it('LED-2: an impossible level gives ECT_LEDGER_UNAVAILABLE naming the entry and the column', async () => {
      const t = await target.open();
      try {
        await t.exec('UPDATE {t} SET level = 9 WHERE seq = 5');
        const error = await rejectsWithCode(t.ledger.backend.readFrom(1, 10), 'ECT_LEDGER_UNAVAILABLE');
        assert.match(error.message, /ledger entry 5 cannot be read: column level is 9/);
      } finally {
        await t.close();
      }
    });
  });
}
