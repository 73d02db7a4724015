/**
 * LED-2, LED-3, LED-10, LED-11: a database writer edits the stored ledger directly, on SQLite and
 * on PostgreSQL. Every column of every table is edited, entries are deleted, swapped and made up,
 * the tree is rewritten; integrity verification names the first bad entry and the column, or,
 * where the threat needs one, an anchor (a checkpoint or receipt a client kept) catches it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNote, signNote } from '../../src/tlog/note.js';
import { storedHashCount } from '../../src/tlog/stored-hash.js';
import type { IntegrityAnchor } from '../../src/ledger/integrity.js';
import { useTestServers } from '../helpers/servers.js';
import {
  appendBatches,
  chainOfTokens,
  storedLedger,
  witnessKey,
  type BackendKind,
  type RawSql,
  type StoredLedger,
} from './support.js';

const env = useTestServers({ postgres: true, tempDir: 'ect-tamper-' });
const witness = witnessKey('witness.example/w1');
const tokens = chainOfTokens(8);
/** Three batches: checkpoints at sizes 3, 4 and 8. */
const BATCHES = [3, 1, 4];

interface Built {
  readonly stored: StoredLedger;
  /** The latest checkpoint and the receipt of entry 8, as a client would have kept them. */
  readonly checkpoint: string;
  readonly receipt: { seq: number; leafHash: string; proof: string };
}

/** A ledger of 8 entries in 3 batches, the latest checkpoint cosigned by a witness. */
async function build(kind: BackendKind): Promise<Built> {
  const stored = storedLedger({
    kind,
    dir: env.dir,
    ...(kind === 'postgres' ? { pgUrl: env.pg.url } : {}),
  });
  const ledger = await stored.open();
  await appendBatches(ledger, tokens.slice(0, 7), BATCHES.slice(0, 2).concat([3]));
  const last = await ledger.append({ token: tokens[7]!, level: 2 });
  const latest = (await ledger.checkpoint())!;
  const { text } = parseNote({ note: latest.note });
  const line = signNote({ text, signers: [witness.signer] })
    .trimEnd()
    .split('\n')
    .at(-1)!;
  await ledger.backend.addCosignatures([{ size: latest.size, witness: witness.name, line }]);
  const checkpoint = (await ledger.checkpoint())!.note;
  await ledger.close();
  return {
    stored,
    checkpoint,
    receipt: { seq: last.seq, leafHash: last.leafHash, proof: last.proof },
  };
}

async function verify(
  stored: StoredLedger,
  options: { ledgerVkey?: string; anchors?: IntegrityAnchor[]; witnessVkeys?: string[] } = {},
) {
  const ledger = await stored.open({ readOnly: true });
  try {
    return await ledger.verifyIntegrity({ witnessVkeys: [witness.vkey], ...options });
  } finally {
    await ledger.close();
  }
}

async function tamper(
  stored: StoredLedger,
  statements: readonly [string, unknown[]?][],
): Promise<void> {
  const sql: RawSql = await stored.sql();
  try {
    for (const [text, params] of statements) await sql.run(text, params ?? []);
  } finally {
    await sql.close();
  }
}

/** One edit of a stored value and where verification must point. */
interface Case {
  readonly name: string;
  readonly sql: readonly [string, unknown[]?][];
  readonly table: string;
  readonly seq?: number;
  readonly column?: string;
}

const hex = (kind: BackendKind, bytes: string): string =>
  kind === 'sqlite' ? `X'${bytes}'` : `decode('${bytes}', 'hex')`;
const ZERO32 = '00'.repeat(32);

function cases(kind: BackendKind): Case[] {
  // The last two characters of the signature, replaced by two others (never by themselves).
  const last2 = kind === 'sqlite' ? 'substr(token, -2)' : 'right(token, 2)';
  const head = kind === 'sqlite' ? 'substr(token, 1, length(token) - 2)' : 'left(token, -2)';
  const flip = `${head} || CASE WHEN ${last2} = 'AA' THEN 'BB' ELSE 'AA' END`;
  const lineFlip =
    kind === 'sqlite' ? "substr(line, 1, length(line) - 4) || 'AAA='" : "left(line, -4) || 'AAA='";
  return [
    {
      name: 'entries.seq',
      sql: [['UPDATE {t} SET seq = 100 WHERE seq = 8']],
      table: 'entries',
      seq: 8,
      column: 'seq',
    },
    {
      name: 'entries.scope (the uniqueness key)',
      sql: [["UPDATE {t} SET scope = 'forged' WHERE seq = 2"]],
      table: 'entries',
      seq: 2,
      column: 'scope',
    },
    {
      name: 'entries.jti',
      sql: [['UPDATE {t} SET jti = upper(jti) WHERE seq = 2']],
      table: 'entries',
      seq: 2,
      column: 'jti',
    },
    {
      name: 'entries.wid',
      sql: [['UPDATE {t} SET wid = NULL WHERE seq = 2']],
      table: 'entries',
      seq: 2,
      column: 'wid',
    },
    {
      name: 'entries.level 3 → 1',
      sql: [['UPDATE {t} SET level = 1 WHERE seq = 2']],
      table: 'entries',
      seq: 2,
      column: 'level',
    },
    {
      name: 'entries.level 2 → 3',
      sql: [['UPDATE {t} SET level = 3 WHERE seq = 8']],
      table: 'entries',
      seq: 8,
      column: 'level',
    },
    {
      name: 'entries.recorded_at',
      sql: [['UPDATE {t} SET recorded_at = recorded_at + 1 WHERE seq = 5']],
      table: 'entries',
      seq: 5,
      column: 'token or recorded_at',
    },
    {
      name: 'entries.token (its signature)',
      sql: [[`UPDATE {t} SET token = ${flip} WHERE seq = 6`]],
      table: 'entries',
      seq: 6,
      column: 'token or recorded_at',
    },
    {
      name: 'entries.claims (pol_decision, out_hash or any claim)',
      sql: [
        ["UPDATE {t} SET claims = replace(claims, 'review_spec', 'approve_all') WHERE seq = 2"],
      ],
      table: 'entries',
      seq: 2,
      column: 'claims',
    },
    {
      name: 'preds.pred',
      sql: [["UPDATE {t}_pred SET pred = 'forged' WHERE seq = 3"]],
      table: 'preds',
      seq: 3,
      column: 'pred',
    },
    {
      name: 'preds.seq',
      sql: [['UPDATE {t}_pred SET seq = 7 WHERE seq = 3']],
      table: 'preds',
      seq: 3,
      column: 'seq',
    },
    {
      name: 'preds: a row added',
      sql: [["INSERT INTO {t}_pred (seq, pred) VALUES (2, 'forged')"]],
      table: 'preds',
      seq: 2,
      column: 'pred',
    },
    {
      name: 'preds: a row deleted',
      sql: [['DELETE FROM {t}_pred WHERE seq = 4']],
      table: 'preds',
      seq: 4,
    },
    {
      name: 'nodes.hash (a leaf)',
      sql: [[`UPDATE {t}_nodes SET hash = ${hex(kind, ZERO32)} WHERE id = 4`]],
      table: 'nodes',
      column: 'hash',
    },
    {
      name: 'nodes.hash (an interior node)',
      sql: [[`UPDATE {t}_nodes SET hash = ${hex(kind, ZERO32)} WHERE id = 2`]],
      table: 'nodes',
      column: 'hash',
    },
    {
      name: 'nodes.id',
      sql: [['UPDATE {t}_nodes SET id = 999 WHERE id = 5']],
      table: 'nodes',
      column: 'id',
    },
    {
      name: 'checkpoints.size',
      sql: [['UPDATE {t}_checkpoints SET size = 6 WHERE size = 4']],
      table: 'checkpoints',
      column: 'size',
    },
    {
      name: 'checkpoints.note',
      sql: [["UPDATE {t}_checkpoints SET note = replace(note, '\n4\n', '\n5\n') WHERE size = 4"]],
      table: 'checkpoints',
      column: 'note',
    },
    {
      name: 'checkpoints: the latest deleted',
      sql: [['DELETE FROM {t}_checkpoints WHERE size = 8'], ['DELETE FROM {t}_cosignatures']],
      table: 'checkpoints',
      column: 'size',
    },
    {
      name: 'cosignatures.line',
      sql: [[`UPDATE {t}_cosignatures SET line = ${lineFlip}`]],
      table: 'cosignatures',
      column: 'line',
    },
    {
      name: 'cosignatures.witness',
      sql: [["UPDATE {t}_cosignatures SET witness = 'other.example'"]],
      table: 'cosignatures',
      column: 'witness',
    },
    {
      name: 'cosignatures.size',
      sql: [['UPDATE {t}_cosignatures SET size = 4']],
      table: 'cosignatures',
    },
    {
      name: 'meta origin',
      sql: [["UPDATE {t}_meta SET value = 'evil.example/ledger' WHERE name = 'origin'"]],
      table: 'meta',
      column: 'origin',
    },
    { name: 'schema: an index dropped', sql: [['DROP INDEX {t}_jti']], table: 'schema' },
    { name: 'the newest entry deleted', sql: [['DELETE FROM {t} WHERE seq = 8']], table: 'nodes' },
    {
      name: 'a middle entry deleted',
      sql: [['DELETE FROM {t} WHERE seq = 4']],
      table: 'entries',
      seq: 4,
      column: 'seq',
    },
    {
      name: 'two entries swapped',
      sql: [
        ['UPDATE {t} SET seq = 100 WHERE seq = 2'],
        ['UPDATE {t} SET seq = 2 WHERE seq = 3'],
        ['UPDATE {t} SET seq = 3 WHERE seq = 100'],
      ],
      // The predecessor rows stayed with their seq: the first difference is entry 2's.
      table: 'preds',
      seq: 2,
    },
    {
      name: 'a made-up entry appended with its tree nodes',
      sql: [
        [
          "INSERT INTO {t} (seq, scope, jti, wid, level, recorded_at, token, claims) SELECT 9, 'forged', jti, wid, level, recorded_at, token, claims FROM {t} WHERE seq = 8",
        ],
        [
          `INSERT INTO {t}_nodes (id, hash) VALUES (${storedHashCount({ size: 8 })}, ${hex(kind, ZERO32)})`,
        ],
      ],
      table: 'entries',
      seq: 9,
    },
  ];
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`LED-2 tampering on ${kind}: every column of every table`, () => {
    test(`LED-2 ${kind}: the untouched ledger verifies, with the witness policy (LED-11)`, async () => {
      const { stored, checkpoint } = await build(kind);
      const report = await verify(stored, {
        anchors: [{ kind: 'checkpoint', note: checkpoint, source: 'kept' }],
      });
      assert.equal(report.ok, true, JSON.stringify(report.firstBad));
      assert.deepEqual(
        [report.checked, report.checkpoints, report.anchors, report.cosignatures],
        [8, 4, 1, 1],
      );
    });
    for (const c of cases(kind)) {
      test(`LED-2 ${kind}: ${c.name} is detected and named`, async () => {
        const { stored } = await build(kind);
        await tamper(stored, c.sql);
        const report = await verify(stored);
        assert.equal(report.ok, false, `not detected: ${c.name}`);
        const bad = report.firstBad!;
        assert.equal(bad.table, c.table, bad.reason);
        if (c.seq !== undefined) assert.equal(bad.seq, c.seq, bad.reason);
        if (c.column !== undefined) assert.equal(bad.column, c.column, bad.reason);
      });
    }

    test(`LED-10 ${kind}: truncation of the newest batch with its checkpoint needs an anchor; a kept checkpoint or receipt catches it`, async () => {
      const { stored, checkpoint, receipt } = await build(kind);
      await tamper(stored, [
        ['DELETE FROM {t} WHERE seq > 4'],
        ['DELETE FROM {t}_pred WHERE seq > 4'],
        [`DELETE FROM {t}_nodes WHERE id >= ${storedHashCount({ size: 4 })}`],
        ['DELETE FROM {t}_cosignatures'],
        ['DELETE FROM {t}_checkpoints WHERE size > 4'],
      ]);
      // Without an anchor or a witness the shorter ledger is self-consistent: this is what anchors
      // and witnesses are for. The witness policy catches it: no cosignature on the new tip.
      const alone = await verify(stored, { witnessVkeys: [] });
      assert.equal(alone.ok, true, JSON.stringify(alone.firstBad));
      const witnessed = await verify(stored);
      assert.deepEqual([witnessed.ok, witnessed.firstBad?.table], [false, 'cosignatures']);
      for (const anchor of [
        { kind: 'checkpoint', note: checkpoint, source: 'kept.checkpoint' } as const,
        { kind: 'receipt', ...receipt, source: 'receipt.json' } as const,
      ]) {
        const report = await verify(stored, { anchors: [anchor] });
        assert.equal(report.ok, false);
        assert.equal(report.firstBad!.table, 'anchor');
        assert.match(report.firstBad!.reason, /covers 8 entries but the ledger has 4/);
      }
    });

    test(`LED-8, LED-10 ${kind}: a history rewritten and re-signed with another key is caught by the pinned key or an anchor`, async () => {
      const victim = await build(kind);
      const vkey = await (async () => {
        const l = await victim.stored.open({ readOnly: true });
        try {
          return (await l.vkey())!;
        } finally {
          await l.close();
        }
      })();
      // The attacker builds a ledger of their own with entry 5 replaced, under the same origin,
      // and copies every row over the victim's.
      const forged = storedLedger({
        kind,
        dir: env.dir,
        ...(kind === 'postgres' ? { pgUrl: env.pg.url } : {}),
      });
      const { generateKeyPair } = await import('../../src/crypto/keys.js');
      const attackerKey = generateKeyPair({ alg: 'EdDSA' }).privateJwk;
      const fake = await forged.open({ key: attackerKey as never });
      const rewritten = [...tokens.slice(0, 4), chainOfTokens(1)[0]!, ...tokens.slice(5)];
      await appendBatches(fake, rewritten, [8]);
      await fake.close();
      await copyRows(forged, victim.stored);
      const alone = await verify(victim.stored, { witnessVkeys: [] });
      assert.equal(alone.ok, true, JSON.stringify(alone.firstBad));
      const witnessed = await verify(victim.stored);
      assert.deepEqual([witnessed.ok, witnessed.firstBad?.table], [false, 'cosignatures']);
      const pinned = await verify(victim.stored, { ledgerVkey: vkey });
      assert.deepEqual(
        [pinned.ok, pinned.firstBad?.table, pinned.firstBad?.column],
        [false, 'meta', 'vkey'],
      );
      const anchored = await verify(victim.stored, {
        anchors: [{ kind: 'checkpoint', note: victim.checkpoint, source: 'kept' }],
      });
      assert.deepEqual([anchored.ok, anchored.firstBad?.table], [false, 'anchor']);
    });

    test(`LED-11 ${kind}: a witness policy of 2 of 2 fails with one cosignature`, async () => {
      const { stored } = await build(kind);
      const other = witnessKey('witness.example/w2');
      const ledger = await stored.open({ readOnly: true });
      try {
        const report = await ledger.verifyIntegrity({ witnessVkeys: [witness.vkey, other.vkey] });
        assert.equal(report.ok, false);
        assert.equal(report.firstBad!.table, 'cosignatures');
        assert.match(report.firstBad!.reason, /TLOG_WITNESS_POLICY/);
        assert.equal(
          (
            await ledger.verifyIntegrity({
              witnessVkeys: [witness.vkey, other.vkey],
              minWitnesses: 1,
            })
          ).ok,
          true,
        );
      } finally {
        await ledger.close();
      }
    });
  });
}

/** Replaces every row of `to`'s tables with `from`'s (the attacker's copy). */
async function copyRows(from: StoredLedger, to: StoredLedger): Promise<void> {
  const source = await from.sql();
  const target = await to.sql();
  try {
    for (const suffix of ['', '_pred', '_nodes', '_checkpoints', '_cosignatures', '_meta']) {
      const rows = await source.run(`SELECT * FROM {t}${suffix}`);
      await target.run(`DELETE FROM {t}${suffix}`);
      for (const row of rows) {
        const names = Object.keys(row);
        await target.run(
          `INSERT INTO {t}${suffix} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
          names.map((n) => row[n]),
        );
      }
    }
  } finally {
    await source.close();
    await target.close();
  }
}

describe('LED-2 a damaged schema', () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    test(`LED-2, LED-3 ${kind}: a dropped index is reported, never recreated, and the ledger refuses writes`, async () => {
      const { stored } = await build(kind);
      await tamper(stored, [['DROP INDEX {t}_scope_key']]);
      await assert.rejects(stored.open(), /index \S+_scope_key is missing.*nothing was recreated/);
      const report = await verify(stored);
      assert.deepEqual([report.ok, report.firstBad?.table], [false, 'schema']);
      const sql = await stored.sql();
      const rows =
        kind === 'sqlite'
          ? await sql.run("SELECT name FROM sqlite_master WHERE name = 'ect_ledger_scope_key'")
          : await sql.run("SELECT to_regclass('{t}_scope_key') AS name");
      await sql.close();
      assert.ok(rows.length === 0 || rows[0]!['name'] === null, 'not recreated');
    });
  }

  for (const kind of ['sqlite', 'postgres'] as const) {
    test(`LED-2 ${kind}: a deleted schema version row is reported, never recreated`, async () => {
      const { stored } = await build(kind);
      const table = kind === 'sqlite' ? 'ect_schema_version' : '{t}_schema_version';
      await tamper(stored, [[`DELETE FROM ${table}`]]);
      await assert.rejects(
        stored.open({ readOnly: true }),
        /version row .*nothing was recreated|no version row/,
      );
      const sql = await stored.sql();
      const rows = await sql.run(`SELECT count(*) AS n FROM ${table}`);
      await sql.close();
      assert.equal(Number(rows[0]!['n']), 0, 'not recreated');
    });
  }
});
