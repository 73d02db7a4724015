/**
 * The column packing of a batch's rows for the SQLite writer thread (row-columns.ts): rows packed
 * by their table's column specs, cloned as `postMessage` clones them, and unpacked, are the rows
 * that were packed, for every table of the ledger and for any column list (byte columns and NULLs
 * included); a value its column cannot hold is refused before it reaches the store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { packRows, unpackRows, unpackValues } from '../../src/ledger/row-columns.js';
import type { ColumnKind, ColumnSpec } from '../../src/ledger/rows.js';
import { ledgerTables, type SqlTable } from '../../src/ledger/sql-schema.js';
import { packBatch } from '../../src/ledger/sqlite-write.js';

/** Values of one column kind, as the ledger's row types hold them. */
function valueOf(kind: ColumnKind): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'integer':
      return fc.maxSafeInteger();
    case 'smallint':
      return fc.integer({ min: -32768, max: 32767 });
    case 'text':
      return fc.string({ unit: 'grapheme', maxLength: 40 });
    case 'bytes':
      return fc.uint8Array({ maxLength: 40 });
  }
}

/** Rows of a column list: any number, NULL wherever the column is nullable. */
function rowsOf(columns: readonly ColumnSpec[]): fc.Arbitrary<Record<string, unknown>[]> {
  const row = fc.record(
    Object.fromEntries(
      columns.map((c) => {
        const value = valueOf(c.kind);
        return [c.name, c.nullable === true ? fc.option(value, { nil: null }) : value];
      }),
    ),
  );
  // fast-check's records have no prototype; rows, like the ledger's, are plain objects.
  return fc.array(
    row.map((r) => ({ ...r })),
    { maxLength: 12 },
  );
}

/** Any column list: distinct names, every kind, nullable or not. */
const columnsArb: fc.Arbitrary<ColumnSpec[]> = fc
  .uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[a-z][a-z_]{0,8}$/),
      kind: fc.constantFrom<ColumnKind>('integer', 'smallint', 'text', 'bytes'),
      nullable: fc.boolean(),
    }),
    { selector: (c) => c.name, minLength: 1, maxLength: 6 },
  )
  .map((specs) =>
    specs.map(({ name, kind, nullable }) => ({ name, kind, ...(nullable ? { nullable } : {}) })),
  );

/** Pack, clone as `postMessage` does (no transfer list), unpack. */
function roundTrip(columns: readonly ColumnSpec[], rows: readonly object[]): object[] {
  const packed = structuredClone(packRows({ columns, rows }));
  return unpackRows({ columns, packed });
}

describe('row columns', () => {
  const tables = Object.entries(ledgerTables('ect_ledger')) as [string, SqlTable][];

  for (const [name, table] of tables) {
    test(`the ${name} table's rows come back as packed`, () => {
      fc.assert(
        fc.property(rowsOf(table.columns), (rows) => {
          assert.deepStrictEqual(roundTrip(table.columns, rows), rows);
        }),
      );
    });
  }

  test('any column list: bytes, NULLs and empty values come back as packed', () => {
    fc.assert(
      fc.property(
        columnsArb.chain((columns) => fc.tuple(fc.constant(columns), rowsOf(columns))),
        ([columns, rows]) => {
          assert.deepStrictEqual(roundTrip(columns, rows), rows);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('NULL bytes between values, an empty value, and a NULL integer keep their places', () => {
    const columns: ColumnSpec[] = [
      { name: 'id', kind: 'integer', nullable: true },
      { name: 'hash', kind: 'bytes', nullable: true },
    ];
    const rows = [
      { id: 1, hash: new Uint8Array([1, 2, 3]) },
      { id: null, hash: null },
      { id: 0, hash: new Uint8Array(0) },
      { id: -5, hash: new Uint8Array([255]) },
    ];
    assert.deepStrictEqual(roundTrip(columns, rows), rows);
    const values = unpackValues({ columns, packed: packRows({ columns, rows }) });
    assert.deepStrictEqual(values[1], [null, null]);
  });

  test('a batch packs into one array per column, all tree hashes in one Uint8Array', () => {
    const t = ledgerTables('ect_ledger');
    const hashes = [0, 1, 2].map((i) => new Uint8Array(32).fill(i));
    const batch = packBatch({
      tables: t,
      rows: {
        entries: [
          {
            seq: 7,
            scope: 's',
            jti: 'j',
            wid: null,
            level: 3,
            recorded_at: 1,
            token: 't',
            claims: '{}',
          },
        ],
        preds: [],
        nodes: hashes.map((hash, id) => ({ id, hash })),
        checkpoint: { size: 7, note: 'n' },
      },
    });
    const [ids, hashColumn] = batch.nodes.columns;
    assert.equal(ids?.kind, 'numbers');
    assert.ok(ids.values instanceof Float64Array);
    assert.equal(hashColumn?.kind, 'bytes');
    assert.equal(hashColumn.data.length, 96);
    assert.deepStrictEqual(
      unpackRows({ columns: t.nodes.columns, packed: structuredClone(batch.nodes) }),
      hashes.map((hash, id) => ({ id, hash })),
    );
    assert.deepStrictEqual(unpackRows({ columns: t.preds.columns, packed: batch.preds }), []);
    assert.deepStrictEqual(
      unpackRows({ columns: t.checkpoints.columns, packed: batch.checkpoints }),
      [{ size: 7, note: 'n' }],
    );
  });

  test('a value its column cannot hold is refused, naming the column', () => {
    const columns: ColumnSpec[] = [
      { name: 'seq', kind: 'integer' },
      { name: 'token', kind: 'text' },
      { name: 'hash', kind: 'bytes' },
    ];
    const ok = { seq: 1, token: 't', hash: new Uint8Array(1) };
    for (const [bad, column] of [
      [{ ...ok, seq: null }, 'seq'],
      [{ ...ok, seq: '1' }, 'seq'],
      [{ ...ok, seq: NaN }, 'seq'],
      [{ ...ok, token: null }, 'token'],
      [{ ...ok, token: 1 }, 'token'],
      [{ ...ok, hash: null }, 'hash'],
      [{ ...ok, hash: 'ab' }, 'hash'],
      [{ seq: 1, token: 't' }, 'hash'],
    ] as const) {
      assert.throws(() => packRows({ columns, rows: [bad] }), {
        name: 'TypeError',
        message: new RegExp(`^column ${column} `),
      });
    }
  });

  test('columns that do not match the specs are refused when unpacked', () => {
    const columns: ColumnSpec[] = [{ name: 'n', kind: 'integer' }];
    const packed = packRows({ columns, rows: [{ n: 1 }] });
    assert.throws(() => unpackRows({ columns: [{ name: 'n', kind: 'text' }], packed }), TypeError);
    assert.throws(() => unpackRows({ columns: [...columns, ...columns], packed }), TypeError);
    assert.throws(() => unpackRows({ columns, packed: { ...packed, count: 2 } }), TypeError);
  });
});
