/**
 * Shared set-up of the verifiable-ledger tests: signed tokens forming a workflow, the ledger's
 * Ed25519 key and origin, ledgers on every backend, and raw SQL access for tampering (the
 * attacker of docs/ledger.md writes the database directly).
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createECT } from '../../src/create/create.js';
import { generateKeyPair, type GeneratedKeyPair } from '../../src/crypto/keys.js';
import { Ledger, type LedgerOptions } from '../../src/ledger/ledger.js';
import { openPostgresLedger } from '../../src/ledger/postgres.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { cosignatureSigner, cosignatureVerifierKey } from '../../src/tlog/cosignature.js';

export const ORIGIN = 'example.org/ect-ledger';
export const ISS = 'spiffe://example.org/agent/a';
export const AUD = 'spiffe://example.org/agent/b';

/** The issuer's key (tokens) and the ledger's Ed25519 key (checkpoints, receipts). */
export const issuer: GeneratedKeyPair = generateKeyPair({ alg: 'ES256', kid: 'issuer-1' });
export const ledgerKey: GeneratedKeyPair = generateKeyPair({ alg: 'EdDSA', kid: 'ledger-1' });

/** A signed L2 token. */
export function makeToken(claims: Record<string, unknown> = {}): string {
  return createECT(
    { iss: ISS, aud: AUD, exec_act: 'review_spec', jti: randomUUID(), pred: [], ...claims },
    { key: issuer.privateJwk },
  );
}

/** A workflow of `n` tasks, each a child of the one before (the first is a root). */
export function chainOfTokens(n: number, wid: string = randomUUID()): string[] {
  const tokens: string[] = [];
  let previous: string | undefined;
  for (let i = 0; i < n; i++) {
    const jti = randomUUID();
    tokens.push(makeToken({ jti, wid, pred: previous === undefined ? [] : [previous] }));
    previous = jti;
  }
  return tokens;
}

/** A witness's cosigning key, name and verifier key line. */
export function witnessKey(name: string): {
  name: string;
  privateKey: KeyObject;
  vkey: string;
  signer: ReturnType<typeof cosignatureSigner>;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    name,
    privateKey,
    vkey: cosignatureVerifierKey({ name, publicKey }),
    signer: cosignatureSigner({ name, privateKey }),
  };
}

export type BackendKind = 'sqlite' | 'postgres';

/** Raw SQL on a stored ledger, `?` placeholders in both dialects, `{t}` for the table prefix. */
export interface RawSql {
  run(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Where a stored ledger lives, to open it again and to tamper with it. */
export interface StoredLedger {
  readonly kind: BackendKind;
  /** Its URL, as the command line takes it. */
  readonly url: string;
  /** Opens it (with the key and origin unless `readOnly`). */
  open(options?: Partial<LedgerOptions> & { readonly readOnly?: boolean }): Promise<Ledger>;
  /** Raw SQL access to its tables. */
  sql(): Promise<RawSql>;
}

let counter = 0;

/** A new, empty stored ledger: a SQLite file in `dir`, or its own tables in PostgreSQL. */
export function storedLedger(options: {
  kind: BackendKind;
  dir: string;
  pgUrl?: string;
}): StoredLedger {
  const n = ++counter;
  if (options.kind === 'sqlite') {
    const path = join(options.dir, `ledger-${n}.db`);
    return {
      kind: 'sqlite',
      url: `sqlite:${path}`,
      open: async (o = {}) => {
        const { readOnly, ...rest } = o;
        return openSqliteLedger(
          path,
          readOnly ? rest : { key: ledgerKey.privateJwk, origin: ORIGIN, ...rest },
        );
      },
      sql: async () => {
        const db = new Database(path);
        return {
          run: async (sql, params = []) => {
            const statement = db.prepare(sql.replaceAll('{t}', 'ect_ledger'));
            if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
            statement.run(...params);
            return [];
          },
          close: async () => void db.close(),
        };
      },
    };
  }
  const table = `tamper_${process.pid}_${n}`;
  const url = options.pgUrl!;
  return {
    kind: 'postgres',
    url: `${url}${url.includes('?') ? '&' : '?'}ect_table=${table}`,
    open: async (o = {}) => {
      const { readOnly, ...rest } = o;
      return openPostgresLedger(url, {
        table,
        ...(readOnly ? rest : { key: ledgerKey.privateJwk, origin: ORIGIN, ...rest }),
      });
    },
    sql: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return {
        run: async (sql, params = []) => {
          let i = 0;
          const text = sql.replaceAll('{t}', table).replace(/\?/g, () => `$${++i}`);
          return (await client.query(text, params as unknown[])).rows as Record<string, unknown>[];
        },
        close: () => client.end(),
      };
    },
  };
}

/** Appends tokens in batches of the given sizes (each batch one group commit, one checkpoint). */
export async function appendBatches(
  ledger: Ledger,
  tokens: readonly string[],
  sizes: readonly number[],
): Promise<void> {
  let at = 0;
  for (const size of sizes) {
    await Promise.all(
      tokens.slice(at, at + size).map((token) => ledger.append({ token, level: 3 })),
    );
    at += size;
  }
}
