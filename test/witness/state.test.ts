/**
 * The witness state (SQLite): logs and latest checkpoints survive a reopen, `advance` is the one
 * atomic check-and-update and never rolls a size back, evidence is bounded, and a damaged or
 * foreign file is a clear configuration error.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ECTConfigError } from '../../src/errors.js';
import { TlogError } from '../../src/tlog/errors.js';
import {
  EVIDENCE_PER_ORIGIN,
  openWitnessState,
  originHash,
  type CosignedCheckpoint,
} from '../../src/witness/state.js';
import { TestLog } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ect-witness-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (): string => join(dir, `state-${files++}.db`);
const log = new TestLog('example.com/log');

function record(size: number, note = `note ${size}\n`): CosignedCheckpoint {
  return { origin: log.origin, size, root: new Uint8Array(32).fill(size % 256), note };
}

async function rejectsDamaged(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openWitnessState({ path }), (error: unknown) => {
    assert.ok(error instanceof ECTConfigError, String(error));
    assert.match(error.message, /is not a usable witness state/);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('witness state', () => {
  test('LED-11: logs and the latest checkpoint survive closing and reopening', async () => {
    const path = fresh();
    const state = await openWitnessState({ path });
    state.addLog({ origin: log.origin, vkey: log.vkey });
    state.addLog({ origin: log.origin, vkey: log.vkey });
    assert.deepEqual(state.logs(), [{ origin: log.origin, vkey: log.vkey }]);
    assert.equal(state.latest({ origin: log.origin }), undefined);
    state.advance({ origin: log.origin, update: () => record(5) });
    state.close();
    const again = await openWitnessState({ path });
    assert.deepEqual(again.logKeys({ origin: log.origin }), [log.vkey]);
    assert.deepEqual(again.logKeys({ origin: 'example.com/other' }), []);
    assert.deepEqual(again.latest({ origin: log.origin }), record(5));
    const hash = createHash('sha256').update(log.origin).digest('hex');
    assert.equal(originHash({ origin: log.origin }), hash);
    assert.deepEqual(again.latestByOriginHash({ originHash: hash }), record(5));
    assert.equal(again.latestByOriginHash({ originHash: '00'.repeat(32) }), undefined);
    again.close();
  });

  test('LED-11: advance sees the latest; refusals and rollbacks change nothing', async () => {
    const state = await openWitnessState({ path: fresh() });
    const origin = log.origin;
    const seen: (number | undefined)[] = [];
    const to =
      (size: number) =>
      (current: CosignedCheckpoint | undefined): CosignedCheckpoint => {
        seen.push(current?.size);
        return record(size);
      };
    state.advance({ origin, update: to(3) });
    state.advance({ origin, update: to(8) });
    assert.deepEqual(seen, [undefined, 3]);
    const refuse = (): CosignedCheckpoint => {
      throw new Error('refused');
    };
    assert.throws(() => state.advance({ origin, update: refuse }), /refused/);
    assert.throws(() => state.advance({ origin, update: () => record(7) }), /roll/);
    const elsewhere = (): CosignedCheckpoint => ({ ...record(9), origin: 'x' });
    assert.throws(() => state.advance({ origin, update: elsewhere }), /returned x/);
    assert.deepEqual(state.latest({ origin: log.origin }), record(8));
    // The same size again (a re-cosigned checkpoint) is an update, not a rollback.
    state.advance({ origin: log.origin, update: () => record(8, 'again\n') });
    assert.equal(state.latest({ origin: log.origin })!.note, 'again\n');
    state.close();
  });

  test('LED-11: two states on one file serialize their updates (BEGIN IMMEDIATE)', async () => {
    const path = fresh();
    const a = await openWitnessState({ path });
    const b = await openWitnessState({ path });
    a.advance({ origin: log.origin, update: () => record(1) });
    // b reads a's commit inside its own transaction.
    b.advance({ origin: log.origin, update: (current) => record((current?.size ?? 0) + 1) });
    assert.equal(a.latest({ origin: log.origin })!.size, 2);
    a.close();
    b.close();
  });

  test('LED-11: an invalid log key or origin is refused', async () => {
    const state = await openWitnessState({ path: fresh() });
    const malformed = (e: unknown): boolean =>
      e instanceof TlogError && e.code === 'TLOG_MALFORMED';
    assert.throws(() => state.addLog({ origin: log.origin, vkey: 'nope' }), malformed);
    assert.throws(() => state.addLog({ origin: '', vkey: log.vkey }), TlogError);
    assert.deepEqual(state.logs(), []);
    state.close();
  });

  test(`LED-11: evidence is kept per origin, the newest ${EVIDENCE_PER_ORIGIN} only`, async () => {
    const state = await openWitnessState({ path: fresh() });
    for (let i = 0; i < EVIDENCE_PER_ORIGIN + 5; i++) {
      const evidence = { origin: log.origin, receivedAt: i, reason: `r${i}`, request: `body ${i}` };
      state.recordEvidence(evidence);
    }
    state.recordEvidence({ origin: 'other', receivedAt: 1, reason: 'x', request: 'y' });
    const kept = state.evidence({ origin: log.origin });
    assert.equal(kept.length, EVIDENCE_PER_ORIGIN);
    assert.equal(kept[0]!.reason, 'r5');
    assert.equal(kept.at(-1)!.request, `body ${EVIDENCE_PER_ORIGIN + 4}`);
    assert.equal(state.evidence({ origin: 'other' }).length, 1);
    state.close();
  });
});

describe('witness state: damaged or foreign files', () => {
  test('LED-11: a file that is not SQLite', async () => {
    const path = fresh();
    writeFileSync(path, 'this is not a database, just some text long enough to look like one');
    await rejectsDamaged(path, /not a database/);
  });

  test('LED-11: a SQLite database of something else', async () => {
    const path = fresh();
    const db = new Database(path);
    db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
    db.close();
    await rejectsDamaged(path, /other tables \(accounts\)/);
  });

  test('LED-11: a witness state of an unknown format', async () => {
    const path = fresh();
    (await openWitnessState({ path })).close();
    const db = new Database(path);
    db.prepare("UPDATE witness_meta SET value = 'future 9' WHERE key = 'format'").run();
    db.close();
    await rejectsDamaged(path, /unknown format "future 9"/);
  });

  test('LED-11: a damaged checkpoint row is an error, not a wrong answer', async () => {
    const path = fresh();
    const state = await openWitnessState({ path });
    state.advance({ origin: log.origin, update: () => record(4) });
    state.close();
    const db = new Database(path);
    db.prepare('UPDATE witness_checkpoints SET root = ?').run(Buffer.alloc(5));
    db.close();
    const reopened = await openWitnessState({ path });
    const isDamaged = (e: unknown): boolean =>
      e instanceof ECTConfigError && /damaged/.test(e.message);
    assert.throws(() => reopened.latest({ origin: log.origin }), isDamaged);
    reopened.close();
  });

  test('LED-11: a file with corrupted pages', async () => {
    const path = fresh();
    const state = await openWitnessState({ path });
    state.addLog({ origin: log.origin, vkey: log.vkey });
    for (let i = 1; i <= 50; i++) {
      state.advance({ origin: log.origin, update: () => record(i, 'x'.repeat(3000)) });
    }
    state.close();
    const bytes = readFileSync(path);
    assert.ok(bytes.length > 8192, `file of ${bytes.length} bytes`);
    bytes.fill(0xa5, 4096, bytes.length);
    writeFileSync(path, bytes);
    await rejectsDamaged(path, /./);
  });

  test('LED-11: a path that cannot be opened', async () => {
    await rejectsDamaged(join(dir, 'missing-folder', 'state.db'), /./);
    await rejectsDamaged(dir, /./);
  });
});
