/**
 * A table's rows packed column by column, for handing a batch to the SQLite writer thread.
 *
 * `postMessage` structured-clones what it is given, on the calling thread. A batch as row objects
 * (BatchRows) clones every object with every property name and, for each tree node, a Uint8Array
 * with an ArrayBuffer of its own. Packed, a table is one array per column: integers in a
 * Float64Array, text in an array of strings, bytes in one Uint8Array with their lengths in a
 * Float64Array, which the serializer writes with a few memcpys. Measured on a 2-core box for a
 * batch of 256 entries (514 tree nodes), the main thread's time for the hand-off went from
 * 365-405 µs to 225-245 µs with the packing (55-100 µs) included, 1.6-2.2x over runs.
 *
 * The buffers are copied, not transferred: at these sizes (16 KiB of hashes a batch) a transfer
 * list measured no faster (205-250 µs against 225-245 µs), and the thread protocol has none.
 *
 * The packing is generic over a table's `ColumnSpec` list (rows.ts), so a stored column added
 * there is packed, unpacked and inserted without a change here.
 * @module
 */
import type { ColumnSpec } from './rows.js';

/**
 * One packed column. NULL is NaN among numbers (no stored integer is NaN, and SQLite stores a NaN
 * it is given as NULL anyway) and `null` among strings.
 */
export type PackedColumn =
  | { readonly kind: 'numbers'; readonly values: Float64Array }
  | { readonly kind: 'strings'; readonly values: readonly (string | null)[] }
  | {
      readonly kind: 'bytes';
      /** Every value's bytes, one after the other. */
      readonly data: Uint8Array;
      /** Each value's length in `data`; NaN for NULL. */
      readonly lengths: Float64Array;
    };

/** A table's rows packed by column, in the order of its column specs. */
export interface PackedRows {
  readonly count: number;
  readonly columns: readonly PackedColumn[];
}

/** Thrown for a value that does not fit its column's kind: a bug of the caller, not input. */
function misfit(column: ColumnSpec, value: unknown): TypeError {
  return new TypeError(
    `column ${column.name} (${column.kind}) cannot hold ${value === null ? 'NULL' : typeof value}`,
  );
}

function packNumbers(column: ColumnSpec, rows: readonly object[]): PackedColumn {
  const values = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Record<string, unknown>)[column.name];
    if (typeof value === 'number' && !Number.isNaN(value)) values[i] = value;
    else if (value === null && column.nullable === true) values[i] = NaN;
    else throw misfit(column, value);
  }
  return { kind: 'numbers', values };
}

function packStrings(column: ColumnSpec, rows: readonly object[]): PackedColumn {
  const values: (string | null)[] = new Array<string | null>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Record<string, unknown>)[column.name];
    if (typeof value === 'string' || (value === null && column.nullable === true)) {
      values[i] = value;
    } else throw misfit(column, value);
  }
  return { kind: 'strings', values };
}

function packBytes(column: ColumnSpec, rows: readonly object[]): PackedColumn {
  const lengths = new Float64Array(rows.length);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Record<string, unknown>)[column.name];
    if (value instanceof Uint8Array) {
      lengths[i] = value.byteLength;
      total += value.byteLength;
    } else if (value === null && column.nullable === true) lengths[i] = NaN;
    else throw misfit(column, value);
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Record<string, unknown>)[column.name];
    if (value instanceof Uint8Array) {
      data.set(value, offset);
      offset += value.byteLength;
    }
  }
  return { kind: 'bytes', data, lengths };
}

/**
 * Packs `rows` into one array per column of `columns`. Throws `TypeError` for a value its column
 * cannot hold (a NULL in a column that is not nullable, text in an integer column).
 */
export function packRows(options: {
  readonly columns: readonly ColumnSpec[];
  readonly rows: readonly object[];
}): PackedRows {
  const { columns, rows } = options;
  return {
    count: rows.length,
    columns: columns.map((column) => {
      switch (column.kind) {
        case 'integer':
        case 'smallint':
          return packNumbers(column, rows);
        case 'text':
          return packStrings(column, rows);
        case 'bytes':
          return packBytes(column, rows);
      }
    }),
  };
}

/** The ArrayBuffers of a packed table, for a `postMessage` transfer list. */
export function packedBuffers(packed: PackedRows): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const column of packed.columns) {
    if (column.kind === 'numbers') buffers.push(column.values.buffer as ArrayBuffer);
    if (column.kind === 'bytes') {
      buffers.push(column.data.buffer as ArrayBuffer, column.lengths.buffer as ArrayBuffer);
    }
  }
  return buffers;
}

/** The values of one packed column, row by row; bytes are views into the packed data. */
function columnValues(
  spec: ColumnSpec,
  column: PackedColumn | undefined,
  count: number,
): unknown[] {
  const expected = spec.kind === 'text' ? 'strings' : spec.kind === 'bytes' ? 'bytes' : 'numbers';
  if (column === undefined || column.kind !== expected) {
    throw new TypeError(`column ${spec.name} (${spec.kind}) was packed as ${column?.kind}`);
  }
  const length = column.kind === 'bytes' ? column.lengths.length : column.values.length;
  if (length !== count) {
    throw new TypeError(`column ${spec.name} has ${length} values, not ${count}`);
  }
  const values = new Array<unknown>(count);
  if (column.kind === 'numbers') {
    for (let i = 0; i < count; i++) {
      const n = column.values[i]!;
      values[i] = Number.isNaN(n) ? null : n;
    }
  } else if (column.kind === 'strings') {
    for (let i = 0; i < count; i++) values[i] = column.values[i];
  } else {
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const length = column.lengths[i]!;
      if (Number.isNaN(length)) values[i] = null;
      else {
        values[i] = column.data.subarray(offset, offset + length);
        offset += length;
      }
    }
  }
  return values;
}

/**
 * The rows of a packed table as value lists in the order of `columns` (what an INSERT binds):
 * numbers, strings, `null`, and bytes as Uint8Array views into the packed data (no copy).
 */
export function unpackValues(options: {
  readonly columns: readonly ColumnSpec[];
  readonly packed: PackedRows;
}): unknown[][] {
  const { columns, packed } = options;
  if (packed.columns.length !== columns.length) {
    throw new TypeError(`${packed.columns.length} packed columns, not ${columns.length}`);
  }
  const byColumn = columns.map((spec, c) => columnValues(spec, packed.columns[c], packed.count));
  const rows: unknown[][] = new Array<unknown[]>(packed.count);
  for (let i = 0; i < packed.count; i++) rows[i] = byColumn.map((values) => values[i]);
  return rows;
}

/** The rows of a packed table as objects keyed by column name, as they were packed. */
export function unpackRows(options: {
  readonly columns: readonly ColumnSpec[];
  readonly packed: PackedRows;
}): Record<string, unknown>[] {
  return unpackValues(options).map((values) =>
    Object.fromEntries(options.columns.map((spec, c) => [spec.name, values[c]])),
  );
}
