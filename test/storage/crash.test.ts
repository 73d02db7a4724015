/**
 * LED-4: an append that returned a receipt survives a crash. A child process appends in a loop and
 * prints each receipt as it gets it; it is killed with SIGKILL in the middle of its work, several
 * times over the same ledger. Every printed receipt must be in the ledger afterwards and the log
 * (entries, tree and signed checkpoints) must verify.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Ledger } from '../../src/ledger/ledger.js';
import { PostgresLedgerBackend } from '../../src/ledger/postgres.js';
import { SqliteLedgerBackend } from '../../src/ledger/sqlite.js';
import type { LedgerBackend } from '../../src/ledger/types.js';
import { useTestServers } from '../helpers/servers.js';
import { startChild, type Child } from './fixtures/children.js';
import { SIGNING } from './ledger-contract.js';

const ROUNDS = 3;
/** Receipts to wait for before each kill. */
const RECEIPTS_PER_ROUND = 40;
const children: Child[] = [];

after(async () => {
  await Promise.all(children.map((c) => c.kill()));
});

const env = useTestServers({ postgres: true, tempDir: 'ect-crash-' });
const dir = env.dir;

type LedgerConfig =
  { kind: 'postgres'; url: string; table: string } | { kind: 'sqlite'; path: string };

async function openBackend(config: LedgerConfig): Promise<LedgerBackend> {
  return config.kind === 'postgres'
    ? PostgresLedgerBackend.open({ url: config.url, table: config.table })
    : SqliteLedgerBackend.open({ path: config.path });
}

/** Opens the shared ledger with the key and origin its child processes use (LED-8). */
async function openShared(config: LedgerConfig): Promise<Ledger> {
  return Ledger.open({ backend: await openBackend(config), ...SIGNING });
}

async function crashRounds(config: LedgerConfig): Promise<void> {
  const receipts: [number, string][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const child = startChild('append-child.ts', { ledger: config, ...SIGNING });
    children.push(child);
    const target = receipts.length + RECEIPTS_PER_ROUND;
    await child.waitFor((line) => Number(line.split(' ')[0]) >= target);
    // SIGKILL: no exit handler, no close, no flush; whatever append is in flight is cut off.
    await child.kill();
    const printed = child.lines
      .filter((l) => /^\d+ /.test(l))
      .map((l) => l.split(' '))
      .map(([seq, jti]) => [Number(seq), jti!] as [number, string]);
    receipts.push(...printed);

    const ledger = await openShared(config);
    try {
      const report = await ledger.verifyIntegrity();
      assert.equal(report.ok, true, `round ${round}: ${JSON.stringify(report)}`);
      // An append may have committed just before the kill without having been printed: never fewer.
      assert.ok(
        report.checked >= receipts.length,
        `round ${round}: ${report.checked} entries, ${receipts.length} receipts`,
      );
      for (const [seq, jti] of receipts)
        assert.equal(
          (await ledger.entry(jti, undefined))?.seq,
          seq,
          `round ${round}: receipt ${seq} ${jti} is in the ledger`,
        );
      receipts.length = 0;
      for await (const entry of ledger.entries()) receipts.push([entry.seq, entry.jti]);
    } finally {
      await ledger.close();
    }
  }
}

describe('crash of an appending process', () => {
  it(
    'LED-4: SQLite: every receipt handed out before a SIGKILL is in the file and the log ' +
      `verifies (${ROUNDS} kills)`,
    async () => {
      await crashRounds({ kind: 'sqlite', path: join(dir, `${randomUUID()}.db`) });
    },
  );

  it(
    'LED-4: PostgreSQL: every receipt handed out before a SIGKILL is in the database and the ' +
      `log verifies (${ROUNDS} kills)`,
    async () => {
      const table = `crash_${randomUUID().replaceAll('-', '')}`;
      await crashRounds({ kind: 'postgres', url: env.pg.url, table });
    },
  );
});
