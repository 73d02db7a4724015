/**
 * LED-2, LED-9 properties: random append sequences (batches of any size, duplicates among them)
 * give a ledger whose every inclusion proof verifies against its latest checkpoint, and any
 * one-byte change to any stored row is detected: in memory under fast-check, and on SQLite by a
 * sweep over every column of every row of every table.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { ECTError } from '../../src/errors.js';
import { ledgerVerifier, openCheckpoint } from '../../src/ledger/checkpoints.js';
import { entryLeafHash } from '../../src/ledger/entry.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { parseNote, signNote } from '../../src/tlog/note.js';
import { parseTlogProof } from '../../src/tlog/proof-file.js';
import { verifyInclusion } from '../../src/tlog/verify-proof.js';
import { useTestServers } from '../helpers/servers.js';
import { chainOfTokens, ledgerKey, ORIGIN, witnessKey } from './support.js';

const env = useTestServers({ tempDir: 'ect-ledger-property-' });
const POOL = chainOfTokens(40);
const witness = witnessKey('witness.example/w1');

/** Appends the batches (indexes into POOL, repeats are duplicates) and cosigns the tip. */
async function fill(ledger: Ledger, batches: readonly (readonly number[])[]): Promise<number> {
  let stored = 0;
  for (const batch of batches) {
    const results = await Promise.allSettled(
      batch.map((i) => ledger.append({ token: POOL[i]!, level: 3 })),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') stored++;
      else assert.equal((r.reason as ECTError).code, 'ECT_DAG_DUPLICATE');
    }
  }
  const latest = await ledger.checkpoint();
  if (latest !== undefined) {
    const line = signNote({
      text: parseNote({ note: latest.note }).text,
      signers: [witness.signer],
    })
      .trimEnd()
      .split('\n')
      .at(-1)!;
    await ledger.backend.addCosignatures([{ size: latest.size, witness: witness.name, line }]);
  }
  return stored;
}

const batchesArb = fc.array(
  fc.array(fc.nat({ max: POOL.length - 1 }), { minLength: 1, maxLength: 6 }),
  {
    minLength: 1,
    maxLength: 6,
  },
);

/** A one-byte (one-character, one-unit) change of a stored value. */
function changed(value: unknown, at: number): unknown {
  if (typeof value === 'number') return value + (at % 2 === 0 ? 1 : -1);
  if (value === null) return 'x';
  if (value instanceof Uint8Array) {
    const copy = Uint8Array.from(value);
    copy[at % copy.length] = copy[at % copy.length]! ^ (1 << (at % 8));
    return copy;
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any other stored value, changed as its text
  const text = String(value);
  const i = at % text.length;
  return `${text.slice(0, i)}${text[i] === 'A' ? 'B' : 'A'}${text.slice(i + 1)}`;
}

describe('LED-2, LED-9 ledger properties', () => {
  test('LED-2, LED-9: random append sequences: every proof verifies; any one-byte change to any stored row is detected (memory)', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesArb,
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (batches, pickTable, pickRow, at) => {
          const backend = new MemoryLedgerBackend();
          const ledger = await Ledger.open({ backend, key: ledgerKey.privateJwk, origin: ORIGIN });
          const stored = await fill(ledger, batches);
          const unique = new Set(batches.flat()).size;
          assert.equal(stored, unique, 'each distinct task stored once (LED-3)');
          const verifier = ledgerVerifier((await ledger.vkey())!);
          for (let seq = 1; seq <= stored; seq++) {
            const proof = parseTlogProof({ text: await ledger.prove({ seq }) });
            const checkpoint = openCheckpoint({ note: proof.checkpoint, ledger: verifier });
            const leaf = entryLeafHash((await ledger.entryAt(seq))!);
            verifyInclusion({
              index: seq - 1,
              size: stored,
              leafHash: leaf,
              proof: proof.proof,
              root: checkpoint.root,
            });
          }
          const check = () => ledger.verifyIntegrity({ witnessVkeys: [witness.vkey] });
          assert.equal((await check()).ok, true);
          // One change anywhere.
          const tables = backend.tables;
          const lists = (
            [
              tables.entries,
              tables.preds,
              tables.nodes,
              tables.checkpoints,
              tables.cosignatures,
            ] as unknown as Record<string, unknown>[][]
          ).filter((l) => l.length > 0);
          const list = lists[pickTable % lists.length]!;
          const index = pickRow % list.length;
          const row = { ...list[index]! };
          const columns = Object.keys(row);
          const column = columns[at % columns.length]!;
          row[column] = changed(row[column], at);
          list[index] = row;
          const report = await check();
          assert.equal(report.ok, false, `undetected change of ${column}`);
        },
      ),
      { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 60) },
    );
  });

  test('LED-2: on SQLite, a one-byte change to any column of any row of any table is detected', async () => {
    const base = join(env.dir, 'base.db');
    const ledger = await openSqliteLedger(base, { key: ledgerKey.privateJwk, origin: ORIGIN });
    await fill(ledger, [[0, 1, 2], [3], [4, 5, 6, 7, 8]]);
    await ledger.close();
    const db = new Database(base, { readonly: true });
    const tables = [
      'ect_ledger',
      'ect_ledger_pred',
      'ect_ledger_nodes',
      'ect_ledger_checkpoints',
      'ect_ledger_cosignatures',
      'ect_ledger_meta',
    ];
    const cells: { table: string; rowid: unknown[]; key: string[]; column: string }[] = [];
    for (const table of tables) {
      const key = (
        db.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(table) as {
          name: string;
        }[]
      ).map((r) => r.name);
      const columns = (
        db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]
      ).map((r) => r.name);
      for (const row of db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
        for (const column of columns)
          cells.push({ table, rowid: key.map((k) => row[k]), key, column });
      }
    }
    db.close();
    assert.ok(cells.length > 100, `${cells.length} cells`);
    let n = 0;
    for (const cell of cells) {
      const path = join(env.dir, `cell-${n++}.db`);
      copyFileSync(base, path);
      const raw = new Database(path);
      const where = cell.key.map((k) => `${k} = ?`).join(' AND ');
      const value = (
        raw
          .prepare(`SELECT ${cell.column} AS v FROM ${cell.table} WHERE ${where}`)
          .get(...cell.rowid) as { v: unknown }
      ).v;
      // A change the store's own constraints refuse (a seq that exists) is tried another way.
      let applied = false;
      const candidates = [changed(value, n), changed(value, n + 1)];
      if (typeof value === 'number') candidates.push(value + 1000);
      for (const next of candidates) {
        try {
          raw
            .prepare(`UPDATE ${cell.table} SET ${cell.column} = ? WHERE ${where}`)
            .run(next instanceof Uint8Array ? Buffer.from(next) : next, ...cell.rowid);
          applied = true;
          break;
        } catch (error) {
          if (!/constraint/i.test((error as Error).message)) throw error;
        }
      }
      raw.close();
      assert.ok(applied, `${cell.table}.${cell.column}: no one-unit change is storable`);
      let report;
      try {
        const reopened = await openSqliteLedger(path);
        try {
          report = await reopened.verifyIntegrity({ witnessVkeys: [witness.vkey] });
        } finally {
          await reopened.close();
        }
      } catch (error) {
        // A change that makes the ledger refuse to open (its meta rows) is detected too.
        if (!(error instanceof Error) || !/ledger|origin|key/i.test(error.message)) throw error;
        continue;
      }
      assert.equal(
        report.ok,
        false,
        `undetected: ${cell.table}.${cell.column} of row ${JSON.stringify(cell.rowid)}`,
      );
    }
  });
});
