/**
 * `ect ledger migrate`: a ledger written by the first release (schema version 1, a hash chain)
 * becomes the verifiable ledger (version 2, LED-2), keeping every entry: its seq, level, time
 * recorded and token. The old chain is checked first (a broken chain is not migrated: its damage
 * would be signed over), then in ONE transaction the old rows are copied aside, the new tables
 * are built with the tree and one checkpoint signed over all entries, and the old tables dropped.
 * A crash leaves either the old ledger or the new one.
 * @module
 */
import { createHash } from 'node:crypto';
import { importPrivateKey, importPublicKey, type KeyInput } from '../crypto/keys.js';
import { ECTConfigError } from '../errors.js';
import { formatCheckpoint } from '../tlog/checkpoint.js';
import { ed25519NoteSigner, ed25519VerifierKey, encodeBase64Std, signNote } from '../tlog/note.js';
import { appendLeaves, rootFromFrontier } from '../tlog/stored-hash.js';
import { entryLeafHash, type Entry } from './entry.js';
import { deriveRows, LEDGER_SCHEMA_VERSION, safeInteger, type BatchRows } from './rows.js';
import { createStatements, type LedgerTables, type SqlTable } from './sql-schema.js';

type Row = Readonly<Record<string, unknown>>;

/** The few statements a migration runs, in either dialect, inside one transaction. */
interface MigrationDb {
  readonly dialect: 'sqlite' | 'postgres';
  /** `?` placeholders; translated for PostgreSQL. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  exec(sql: string): Promise<void>;
}

const PAGE = 1000;

/** The first release's chain (LED-2 of revision 1): SHA-256(prev ‖ SHA-256(token) ‖ seq as u64). */
function v1EntryHash(prev: Uint8Array, token: string, seq: number): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  const tokenHash = createHash('sha256').update(token, 'utf8').digest();
  return createHash('sha256').update(prev).update(tokenHash).update(seqBytes).digest();
}

function insertRows(db: MigrationDb, table: SqlTable, rows: readonly object[]): Promise<Row[]> {
  const names = table.columns.map((c) => c.name);
  const values = rows.map(() => `(${names.map(() => '?').join(', ')})`).join(', ');
  const params = rows.flatMap((row) =>
    names.map((n) => {
      const value = (row as Record<string, unknown>)[n];
      return value instanceof Uint8Array ? Buffer.from(value) : value;
    }),
  );
  return db.query(`INSERT INTO ${table.name} (${names.join(', ')}) VALUES ${values}`, params);
}

/**
 * The migration proper, in the caller's transaction: returns the number of entries and the
 * root, or `undefined` when the ledger is already at the current version.
 */
async function migrateIn(
  db: MigrationDb,
  tables: LedgerTables,
  signing: { origin: string; vkey: string; sign: (text: string) => string },
): Promise<{ entries: number; root: string } | undefined> {
  const t = tables.entries.name;
  const versionTable = db.dialect === 'sqlite' ? 'ect_schema_version' : `${t}_schema_version`;
  const [versionRow] = await db.query(`SELECT max(version) AS version FROM ${versionTable}`);
  const version = Number(versionRow?.['version']);
  if (version === LEDGER_SCHEMA_VERSION) return undefined;
  if (version !== 1) {
    throw new ECTConfigError(
      'ledger',
      `cannot migrate schema version ${String(versionRow?.['version'])}`,
    );
  }
  await db.exec(
    `CREATE TABLE ${t}_v1 AS SELECT seq, token, level, recorded_at, token_hash, prev_hash, entry_hash FROM ${t};
     DROP TABLE ${t}_pred; DROP TABLE ${t};`,
  );
  await db.exec(createStatements(tables, db.dialect));
  let prev: Uint8Array = new Uint8Array(32);
  let frontier: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const page = await db.query(
      `SELECT seq, token, level, recorded_at, token_hash, prev_hash, entry_hash FROM ${t}_v1
       WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`,
      [size],
    );
    if (page.length === 0) break;
    const batch: BatchRows & { entries: BatchRows['entries'][number][] } = {
      entries: [],
      preds: [],
      nodes: [],
      checkpoint: { size: 0, note: '' },
    };
    const preds: BatchRows['preds'][number][] = [];
    const leaves: Uint8Array[] = [];
    for (const row of page) {
      const seq = safeInteger(row['seq'], (p) => new ECTConfigError('ledger', `a v1 seq ${p}`));
      const broken = (why: string): ECTConfigError =>
        new ECTConfigError(
          'ledger',
          `the hash chain is broken at entry ${seq} (${why}); it is not migrated`,
        );
      if (seq !== size + 1) throw broken(`expected entry ${size + 1}`);
      const token = row['token'];
      if (typeof token !== 'string') throw broken('no token');
      const expected = v1EntryHash(prev, token, seq);
      if (
        row['prev_hash'] !== Buffer.from(prev).toString('base64url') ||
        row['entry_hash'] !== expected.toString('base64url')
      ) {
        throw broken('its hashes do not match');
      }
      prev = expected;
      const level = safeInteger(row['level'], (p) => broken(`level ${p}`));
      if (level !== 1 && level !== 2 && level !== 3) throw broken(`level ${level}`);
      const entry: Entry = {
        seq,
        level,
        recordedAt: safeInteger(row['recorded_at'], (p) => broken(`recorded_at ${p}`)),
        token,
      };
      const derived = deriveRows(entry);
      batch.entries.push(derived.entry);
      preds.push(...derived.preds);
      leaves.push(entryLeafHash(entry));
      size = seq;
    }
    const appended = appendLeaves({ size: size - page.length, frontier, leafHashes: leaves });
    frontier = appended.frontier;
    await insertRows(db, tables.entries, batch.entries);
    if (preds.length > 0) await insertRows(db, tables.preds, preds);
    for (let i = 0; i < appended.stored.length; i += PAGE) {
      await insertRows(db, tables.nodes, appended.stored.slice(i, i + PAGE));
    }
  }
  const root = rootFromFrontier({ frontier });
  if (size > 0) {
    const text = formatCheckpoint({ origin: signing.origin, size, root, extensions: [] });
    await insertRows(db, tables.checkpoints, [{ size, note: signing.sign(text) }]);
  }
  await insertRows(db, tables.meta, [
    { name: 'origin', value: signing.origin },
    { name: 'vkey', value: signing.vkey },
  ]);
  await db.exec(`DROP TABLE ${t}_v1`);
  await db.query(`UPDATE ${versionTable} SET version = ?`, [LEDGER_SCHEMA_VERSION]);
  return { entries: size, root: encodeBase64Std(root) };
}

/** Where the ledger to migrate is stored (as `parseLedgerUrl` gives it). */
export type MigrationLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly table?: string };

/** Migrates the stored ledger, then verifies it; throws `ECTConfigError` when it cannot. */
export async function migrateLedger(options: {
  readonly location: MigrationLocation;
  readonly key: KeyInput;
  readonly origin: string;
}): Promise<{ entries: number; root: string }> {
  const key = importPrivateKey(options.key, 'ledger key');
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ECTConfigError(
      'ledger key',
      'the ledger key must be Ed25519 (ect keygen --alg EdDSA)',
    );
  }
  const signer = ed25519NoteSigner({ name: options.origin, privateKey: key });
  const signing = {
    origin: options.origin,
    vkey: ed25519VerifierKey({ name: options.origin, publicKey: importPublicKey(key) }),
    sign: (text: string): string => signNote({ text, signers: [signer] }),
  };
  const { location } = options;
  let result: { entries: number; root: string } | undefined;
  if (location.kind === 'sqlite') {
    const { SqliteLedgerBackend } = await import('./sqlite.js');
    const backend = await SqliteLedgerBackend.open({ path: location.path, allowOldSchema: true });
    const conn = backend.connection;
    const db: MigrationDb = {
      dialect: 'sqlite',
      query: async (sql, params = []) => {
        const statement = conn.prepare(sql);
        return statement.reader
          ? (statement.all(...params) as Row[])
          : (statement.run(...params), []);
      },
      exec: async (sql) => void conn.exec(sql),
    };
    try {
      conn.exec('BEGIN IMMEDIATE');
      result = await migrateIn(db, backend.tables, signing);
      conn.exec('COMMIT');
    } catch (error) {
      if (conn.inTransaction) conn.exec('ROLLBACK');
      throw error;
    } finally {
      await backend.close();
    }
  } else {
    const { PostgresLedgerBackend } = await import('./postgres.js');
    const backend = await PostgresLedgerBackend.open({
      url: location.url,
      allowOldSchema: true,
      statementTimeoutMs: 600_000,
      ...(location.table === undefined ? {} : { table: location.table }),
    });
    const client = await backend.pool.connect();
    const db: MigrationDb = {
      dialect: 'postgres',
      query: async (sql, params = []) => {
        let n = 0;
        return (
          await client.query(
            sql.replace(/\?/g, () => `$${++n}`),
            params as unknown[],
          )
        ).rows as Row[];
      },
      exec: async (sql) => void (await client.query(sql)),
    };
    try {
      await client.query('BEGIN');
      result = await migrateIn(db, backend.tables, signing);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
      await backend.close();
    }
  }
  // Reopen as a verifiable ledger with its key and origin, and check every row.
  const ledger =
    location.kind === 'sqlite'
      ? await (
          await import('./sqlite.js')
        ).openSqliteLedger(location.path, { key, origin: options.origin })
      : await (
          await import('./postgres.js')
        ).openPostgresLedger(location.url, {
          key,
          origin: options.origin,
          ...(location.table === undefined ? {} : { table: location.table }),
        });
  try {
    const report = await ledger.verifyIntegrity();
    if (!report.ok) {
      throw new ECTConfigError(
        'ledger',
        `the migrated ledger does not verify: ${report.firstBad?.reason}`,
      );
    }
    return result ?? { entries: report.checked, root: report.root ?? '' };
  } finally {
    await ledger.close();
  }
}
