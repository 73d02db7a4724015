/**
 * Property tests (fast-check) of the parsers and the DAG. Runs are bounded so the suite stays fast.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { auditWorkflow } from '../../src/dag/audit.js';
import { MemoryECTStore } from '../../src/dag/memory-store.js';
import type { DagNode } from '../../src/dag/store.js';
import { validateDag } from '../../src/dag/validate.js';
import { ECTError } from '../../src/errors.js';
import {
  decodeBase64url,
  encodeBase64url,
  isCanonicalBase64url,
} from '../../src/format/base64url.js';
import { parseStrictJSON } from '../../src/format/json.js';
import { parseToken } from '../../src/format/parse.js';
import { verifyECT } from '../../src/verify/verify.js';
import { NOW, token, uuid, verifyOptions, WID } from '../helpers/fixtures.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64Char = fc.constantFrom(...ALPHABET.split(''));
const b64String = fc.array(b64Char, { maxLength: 40 }).map((a) => a.join(''));
const anyChar = fc.constantFrom(...`${ALPHABET}+/=. \n{}"\u00e9\u0000`.split(''));

describe('properties: strict base64url (FMT-2, FMT-3)', () => {
  test('FMT-3: encoding any bytes gives canonical base64url that decodes back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = encodeBase64url(bytes);
        assert.equal(isCanonicalBase64url(text), true);
        assert.match(text, /^[A-Za-z0-9_-]*$/);
        assert.deepEqual(new Uint8Array(decodeBase64url(text)!), bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('FMT-3: a string is accepted only in its canonical form (decode then encode gives it back)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          b64String,
          fc.array(anyChar, { maxLength: 30 }).map((a) => a.join('')),
        ),
        (text) => {
          const bytes = decodeBase64url(text);
          if (bytes === undefined) {
            // Rejected strings are really non-canonical: Node's lenient decoder would not round trip them.
            assert.notEqual(Buffer.from(text, 'base64url').toString('base64url'), text);
            return;
          }
          assert.equal(encodeBase64url(bytes), text);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Serializes a JSON value; in the `target`-th non-empty object (pre-order) a member is written twice. */
function serializeWithDuplicate(
  value: unknown,
  target: number,
  escape: boolean,
): { text: string; injected: boolean } {
  let index = 0;
  let injected = false;
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      const mine = keys.length > 0 ? index++ : -1;
      const members = keys.map(
        (k) => `${JSON.stringify(k)}:${write((v as Record<string, unknown>)[k])}`,
      );
      if (mine === target) {
        const key = keys[keys.length - 1]!;
        // The duplicate name may be spelled with a \u escape: the parser must still see it.
        const name =
          escape && key.length > 0
            ? `"\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(key.slice(1)).slice(1, -1)}"`
            : JSON.stringify(key);
        members.push(`${name} : "dup"`);
        injected = true;
      }
      return `{${members.join(',')}}`;
    }
    return JSON.stringify(v);
  };
  return { text: write(value), injected };
}

describe('properties: strict JSON (CLM-12)', () => {
  const objects = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), {
    maxKeys: 6,
  });

  test('CLM-12: without duplicates, parseStrictJSON gives exactly what JSON.parse gives', () => {
    fc.assert(
      fc.property(fc.oneof(objects, fc.jsonValue({ maxDepth: 4 })), (value) => {
        const text = JSON.stringify(value);
        const result = parseStrictJSON(text);
        assert.ok(result.ok, text);
        assert.deepEqual(result.value, JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  test('CLM-12: a member name written twice in any object, also behind a \\u escape, is rejected as a duplicate', () => {
    fc.assert(
      fc.property(
        objects.filter((o) => Object.keys(o).length > 0),
        fc.nat({ max: 20 }),
        fc.boolean(),
        (value, pick, escape) => {
          let count = 0;
          const countObjects = (v: unknown): void => {
            if (Array.isArray(v)) v.forEach(countObjects);
            else if (v !== null && typeof v === 'object') {
              if (Object.keys(v).length > 0) count++;
              Object.values(v).forEach(countObjects);
            }
          };
          countObjects(value);
          const { text, injected } = serializeWithDuplicate(value, pick % count, escape);
          assert.ok(injected);
          assert.ok(JSON.parse(text) !== undefined, 'still valid JSON');
          assert.deepEqual(parseStrictJSON(text), { ok: false, reason: 'duplicate' }, text);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('properties: parsing and verification never accept garbage (FMT-3, VER-2, VER-6)', () => {
  const pieces = fc.oneof(
    b64String,
    fc.jsonValue({ maxDepth: 2 }).map((v) => encodeBase64url(JSON.stringify(v))),
    fc.constant(encodeBase64url('{"alg":"ES256","typ":"exec+jwt"}')),
    fc.constant(''),
  );
  const tokenLike = fc
    .array(pieces, { minLength: 1, maxLength: 5 })
    .map((parts) => parts.join('.'));

  test('FMT-3, VER-2: parseToken returns a level 1 or 2 token or throws ECTError ECT_MALFORMED, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), tokenLike), (text) => {
        try {
          const parsed = parseToken(text);
          assert.ok(parsed.level === 1 || parsed.level === 2);
          assert.equal(
            parsed.level === 1 ? text.includes('.') : text.split('.').length !== 3,
            false,
          );
        } catch (error) {
          assert.ok(error instanceof ECTError, `threw ${String(error)}`);
          assert.equal(error.code, 'ECT_MALFORMED');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('VER-6: random edits of a valid token are never accepted (unless the token is unchanged)', async () => {
    const original = token();
    const options = verifyOptions({ minLevel: 1 });
    assert.equal((await verifyECT(original, options)).level, 2);
    const edit = fc.record({
      kind: fc.constantFrom('replace', 'delete', 'insert', 'swap'),
      at: fc.nat(),
      char: anyChar,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        let text = original;
        for (const { kind, at, char } of edits) {
          const i = at % text.length;
          if (kind === 'replace') text = text.slice(0, i) + char + text.slice(i + 1);
          else if (kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
          else if (kind === 'insert') text = text.slice(0, i) + char + text.slice(i);
          else if (i + 1 < text.length)
            text = text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2);
        }
        if (text === original) return;
        let accepted = false;
        try {
          await verifyECT(text, options);
          accepted = true;
        } catch (error) {
          assert.ok(error instanceof ECTError, `threw ${String(error)}`);
        }
        assert.equal(accepted, false, `accepted an edited token: ${text}`);
      }),
      { numRuns: 300 },
    );
  });
});

// ---- DAG ----

interface Graph {
  readonly n: number;
  readonly preds: readonly (readonly number[])[];
}

/** Random directed graphs over nodes 0..n-1 without self-loops (CLM-7 forbids them). */
const graphs = fc.integer({ min: 2, max: 10 }).chain((n) =>
  fc
    .array(fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: 3 }), {
      minLength: n,
      maxLength: n,
    })
    .map((preds) => ({ n, preds: preds.map((p, i) => p.filter((x) => x !== i)) })),
);

const dagNode = (i: number, preds: readonly number[]): DagNode => ({
  jti: uuid(i + 1),
  wid: WID,
  iat: NOW,
  pred: preds.map((p) => uuid(p + 1)),
  level: 2,
});

/** reach[a][b]: b is reachable from a by one or more pred edges among `present` nodes. */
function reachability(graph: Graph, present: ReadonlySet<number>): boolean[][] {
  const reach = Array.from({ length: graph.n }, () => new Array<boolean>(graph.n).fill(false));
  for (const a of present) for (const b of graph.preds[a]!) if (present.has(b)) reach[a]![b] = true;
  for (const k of present)
    for (const a of present)
      if (reach[a]![k]) for (const b of present) if (reach[k]![b]) reach[a]![b] = true;
  return reach;
}

describe('properties: the DAG (DAG-4)', () => {
  test('DAG-4: with partial validation (forward references) the store never holds a cycle, and every ECT_DAG_CYCLE is a real cycle', async () => {
    await fc.assert(
      fc.asyncProperty(graphs, fc.func(fc.integer()), async (graph, shuffleKey) => {
        const order = Array.from({ length: graph.n }, (_, i) => i).sort(
          (a, b) => shuffleKey(a) - shuffleKey(b) || a - b,
        );
        const store = new MemoryECTStore();
        const accepted = new Set<number>();
        for (const i of order) {
          // Would adding i close a cycle among the accepted nodes plus i?
          const withI = new Set([...accepted, i]);
          const closes = reachability(graph, withI)[i]![i]!;
          try {
            await validateDag(dagNode(i, graph.preds[i]!), { store, partial: true });
            assert.equal(closes, false, `accepted node ${i}, which closes a cycle`);
            store.add(dagNode(i, graph.preds[i]!));
            accepted.add(i);
          } catch (error) {
            assert.ok(error instanceof ECTError);
            assert.equal(error.code, 'ECT_DAG_CYCLE');
            assert.equal(closes, true, `node ${i} was refused as a cycle, but it closes none`);
          }
        }
        const reach = reachability(graph, accepted);
        for (const a of accepted) assert.equal(reach[a]![a], false);
        assert.equal(auditWorkflow(store.listWorkflow(WID), { external: () => true }).ok, true);
      }),
      { numRuns: 200 },
    );
  });

  test('DAG-4: a random DAG built with forward references, then a task that closes a cycle through it, is ECT_DAG_CYCLE', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 12 }),
        fc.infiniteStream(fc.nat()),
        async (n, random) => {
          // Nodes 1..n-1 point at smaller ids; node 1 also points at 0, which does not exist yet.
          const next = (() => {
            const it = random[Symbol.iterator]();
            return () => it.next().value as number;
          })();
          const preds: number[][] = [[]];
          for (let i = 1; i < n; i++) {
            const p = new Set<number>([next() % i]);
            if (next() % 2 === 0) p.add(next() % i);
            preds.push([...p]);
          }
          const store = new MemoryECTStore();
          for (let i = 1; i < n; i++) {
            const { missing } = await validateDag(dagNode(i, preds[i]!), { store, partial: true });
            assert.deepEqual(missing, preds[i]!.includes(0) ? [uuid(1)] : []);
            store.add(dagNode(i, preds[i]!));
          }
          // Node 0 arrives last and names a descendant of itself as its predecessor.
          const descendants = [...reachability({ n, preds }, new Set(preds.keys()))].flatMap(
            (row, a) => (row[0] ? [a] : []),
          );
          assert.ok(descendants.length > 0);
          const closing = descendants[next() % descendants.length]!;
          let code: string | undefined;
          try {
            await validateDag(dagNode(0, [closing]), { store, partial: true });
          } catch (error) {
            code = (error as ECTError).code;
          }
          assert.equal(code, 'ECT_DAG_CYCLE');
          // Without the closing edge node 0 is fine.
          await validateDag(dagNode(0, []), { store, partial: true });
        },
      ),
      { numRuns: 200 },
    );
  });

  test('DAG-4: auditWorkflow flags exactly the tasks on a cycle or behind one, and orders the rest topologically', () => {
    fc.assert(
      fc.property(graphs, (graph) => {
        const all = new Set(Array.from({ length: graph.n }, (_, i) => i));
        const reach = reachability(graph, all);
        const onCycle = [...all].filter((v) => reach[v]![v]);
        const expected = [...all]
          .filter((v) => reach[v]![v] || onCycle.some((c) => reach[v]![c]))
          .map((v) => uuid(v + 1))
          .sort();
        const report = auditWorkflow([...all].map((i) => dagNode(i, graph.preds[i]!)));
        const flagged = report.issues.map((issue) => {
          assert.equal(issue.code, 'ECT_DAG_CYCLE');
          return issue.jti;
        });
        assert.deepEqual(flagged.sort(), expected);
        assert.equal(report.ok, expected.length === 0);
        assert.equal(report.order.length, graph.n - expected.length);
        const position = new Map(report.order.map((jti, i) => [jti, i]));
        for (const jti of report.order) {
          const i = Number.parseInt(jti.slice(-12), 16) - 1;
          for (const p of graph.preds[i]!)
            assert.ok(position.get(uuid(p + 1))! < position.get(jti)!);
        }
      }),
      { numRuns: 300 },
    );
  });
});
