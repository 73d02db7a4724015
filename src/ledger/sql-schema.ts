/**
 * The SQL layout of a stored ledger, built from the column lists of rows.ts for both SQL
 * dialects, so the SQLite and PostgreSQL backends create, fill and check the same tables.
 *
 * Tree storage: a node table keyed by the stored-hash id (tlog/stored-hash.ts), one row per
 * perfect subtree, written once and never updated. Chosen over C2SP tlog tiles because a batch
 * then only inserts rows (tiles rewrite their partial right-edge tile on every batch), a proof is
 * one indexed query of at most 2·log2(n) keys, and integrity verification reads the rows in the
 * order they were appended.
 * @module
 */
import {
  CHECKPOINT_COLUMNS,
  COSIGNATURE_COLUMNS,
  ENTRY_COLUMNS,
  NODE_COLUMNS,
  PRED_COLUMNS,
  type ColumnKind,
  type ColumnSpec,
} from './rows.js';

export type Dialect = 'sqlite' | 'postgres';

/** One stored table: its columns, keys and indexes. */
export interface SqlTable {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  readonly primaryKey: readonly string[];
  readonly unique?: { readonly name: string; readonly columns: readonly string[] };
  readonly indexes: readonly {
    readonly name: string;
    readonly columns: readonly string[];
    readonly where?: string;
  }[];
}

/** The tables of one ledger, named from `prefix` (`ect_ledger` by default). */
export interface LedgerTables {
  readonly entries: SqlTable;
  readonly preds: SqlTable;
  readonly nodes: SqlTable;
  readonly checkpoints: SqlTable;
  readonly cosignatures: SqlTable;
  readonly meta: SqlTable;
}

/** The table names and keys of a ledger stored under `prefix`. */
export function ledgerTables(prefix: string): LedgerTables {
  return {
    entries: {
      name: prefix,
      columns: ENTRY_COLUMNS,
      primaryKey: ['seq'],
      // LED-3: on the canonical scope, a value integrity verification re-derives.
      unique: { name: `${prefix}_scope_key`, columns: ['scope'] },
      indexes: [
        { name: `${prefix}_jti`, columns: ['jti'] },
        { name: `${prefix}_wid`, columns: ['wid', 'seq'], where: 'wid IS NOT NULL' },
      ],
    },
    preds: {
      name: `${prefix}_pred`,
      columns: PRED_COLUMNS,
      primaryKey: ['seq', 'pred'],
      indexes: [{ name: `${prefix}_pred_pred`, columns: ['pred'] }],
    },
    nodes: { name: `${prefix}_nodes`, columns: NODE_COLUMNS, primaryKey: ['id'], indexes: [] },
    checkpoints: {
      name: `${prefix}_checkpoints`,
      columns: CHECKPOINT_COLUMNS,
      primaryKey: ['size'],
      indexes: [],
    },
    cosignatures: {
      name: `${prefix}_cosignatures`,
      columns: COSIGNATURE_COLUMNS,
      primaryKey: ['size', 'witness'],
      indexes: [],
    },
    meta: {
      name: `${prefix}_meta`,
      columns: [
        { name: 'name', kind: 'text' },
        { name: 'value', kind: 'text' },
      ],
      primaryKey: ['name'],
      indexes: [],
    },
  };
}

const TYPES: Readonly<Record<Dialect, Readonly<Record<ColumnKind, string>>>> = {
  sqlite: { integer: 'INTEGER', smallint: 'INTEGER', text: 'TEXT', bytes: 'BLOB' },
  postgres: { integer: 'BIGINT', smallint: 'SMALLINT', text: 'TEXT', bytes: 'BYTEA' },
};

/** The SQL type of a column kind. */
export function sqlType(kind: ColumnKind, dialect: Dialect): string {
  return TYPES[dialect][kind];
}

/** CREATE TABLE and CREATE INDEX statements (idempotent) for every table. */
export function createStatements(tables: LedgerTables, dialect: Dialect): string {
  const out: string[] = [];
  for (const table of Object.values(tables) as SqlTable[]) {
    const columns = table.columns.map(
      (c) => `  ${c.name} ${sqlType(c.kind, dialect)}${c.nullable ? '' : ' NOT NULL'}`,
    );
    columns.push(`  CONSTRAINT ${table.name}_pkey PRIMARY KEY (${table.primaryKey.join(', ')})`);
    // SQLite: a single INTEGER primary key is the rowid; a composite one needs no rowid.
    const rowid = dialect === 'sqlite' && table.primaryKey.length > 1 ? ' WITHOUT ROWID' : '';
    out.push(`CREATE TABLE IF NOT EXISTS ${table.name} (\n${columns.join(',\n')}\n)${rowid};`);
    if (table.unique !== undefined) {
      const { name, columns: unique } = table.unique;
      out.push(
        `CREATE UNIQUE INDEX IF NOT EXISTS ${name} ON ${table.name} (${unique.join(', ')});`,
      );
    }
    for (const index of table.indexes) {
      const where = index.where === undefined ? '' : ` WHERE ${index.where}`;
      out.push(
        `CREATE INDEX IF NOT EXISTS ${index.name} ON ${table.name} (${index.columns.join(', ')})${where};`,
      );
    }
  }
  return out.join('\n');
}

/** Every table and index name the ledger needs, to report what is missing. */
export function expectedObjects(tables: LedgerTables): { tables: string[]; indexes: string[] } {
  const all = Object.values(tables) as SqlTable[];
  return {
    tables: all.map((t) => t.name),
    indexes: all.flatMap((t) => [
      ...(t.unique === undefined ? [] : [t.unique.name]),
      ...t.indexes.map((i) => i.name),
    ]),
  };
}

/** The problems of a stored schema, given the names that exist. */
export function missingObjects(options: {
  tables: LedgerTables;
  present: ReadonlySet<string>;
}): string[] {
  const expected = expectedObjects(options.tables);
  return [
    ...expected.tables.filter((n) => !options.present.has(n)).map((n) => `table ${n} is missing`),
    ...expected.indexes.filter((n) => !options.present.has(n)).map((n) => `index ${n} is missing`),
  ];
}
