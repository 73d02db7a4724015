/**
 * LED-6: the ledger contract against the in-memory reference, a SQLite file and a real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { MemoryLedgerBackend } from '../../src/ledger/memory.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import { useTestServers } from '../helpers/servers.js';
import { ledgerContract } from './ledger-contract.js';

const env = useTestServers({ postgres: true, tempDir: 'ect-sqlite-' });
const dir = env.dir;

ledgerContract({
  name: 'memory',
  durable: false,
  async create() {
    return { backend: new MemoryLedgerBackend() };
  },
});

ledgerContract({
  name: 'SQLite',
  durable: true,
  async create() {
    const path = join(dir, `${randomUUID()}.db`);
    return {
      backend: await SqliteLedgerBackend.open({ path }),
      reopen: async () => SqliteLedgerBackend.open({ path }),
    };
  },
});

ledgerContract({
  name: 'PostgreSQL',
  durable: true,
  async create() {
    const url = env.pg.url;
    // One table per test: a fresh, empty ledger without a new database.
    const table = `ledger_${randomUUID().replaceAll('-', '')}`;
    return {
      backend: await PostgresLedgerBackend.open({ url, table }),
      reopen: async () => PostgresLedgerBackend.open({ url, table }),
    };
  },
});
