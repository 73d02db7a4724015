/**
 * RFC 8785, the JSON Canonicalization Scheme (JCS): one byte sequence for a JSON value, so that
 * two parties hash the same data the same way (CLM-9 `inp_hash` / `out_hash` of structured data,
 * such as the arguments and the result of an MCP tool call).
 *
 * JCS defines its serialisation by ECMAScript's own: numbers as `Number.prototype.toString`
 * (RFC 8785 §3.2.2.3), strings as `JSON.stringify` writes them (§3.2.2.2), members sorted by the
 * UTF-16 code units of their names (§3.2.3), which is what `Array.prototype.sort` compares. What
 * I-JSON (RFC 7493) cannot hold is refused with `ECT_MALFORMED`: non-finite numbers, strings with
 * an unpaired surrogate, BigInts, cycles. Values `JSON.stringify` leaves out or writes as `null`
 * (`undefined`, functions, symbols) are treated as it treats them, and `toJSON` is honoured, so the
 * canonical form is that of the JSON text the value is sent as.
 *
 * Iterative: a value nested deeper than the call stack (which `JSON.parse` accepts) is serialised
 * instead of throwing a `RangeError`.
 * @module
 */
import { ECTError } from '../errors.js';
import { hashBytes } from './hash.js';

/** A container being written: its remaining items, and whether one was written already. */
interface Frame {
  readonly close: string;
  readonly items: readonly [prefix: string, value: unknown][];
  index: number;
  readonly seen: object;
}

function refuse(why: string): never {
  throw new ECTError('ECT_MALFORMED', `the value cannot be canonicalised (RFC 8785): ${why}`);
}

/** `toJSON`, then boxed primitives unwrapped, as `JSON.stringify` does. */
function prepare(value: unknown, key: string): unknown {
  let current = value;
  if (current !== null && typeof current === 'object') {
    const toJSON = (current as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      current = (toJSON as (key: string) => unknown).call(current, key);
    }
  }
  if (current instanceof Number || current instanceof String || current instanceof Boolean) {
    current = current.valueOf();
  }
  return current;
}

/** Whether `JSON.stringify` leaves a member with this value out. */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** A primitive's canonical text, or `undefined` for an object or array. */
function primitive(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
        refuse('a string holds an unpaired surrogate (I-JSON, RFC 7493 §2.1)');
      }
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse(`the number ${String(value)} is not finite`);
      // ECMAScript Number::toString: exactly the serialisation of RFC 8785 §3.2.2.3 (-0 is "0").
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return refuse('a BigInt is not a JSON number');
    case 'undefined':
    case 'function':
    case 'symbol':
      // Inside an array, as JSON.stringify writes them; at the top level there is no JSON text.
      return 'null';
    default:
      return value === null ? 'null' : undefined;
  }
}

/** The members of an object in JCS order, as (prefix, value) pairs. */
function members(object: Record<string, unknown>): [string, unknown][] {
  const names = Object.keys(object).sort();
  const items: [string, unknown][] = [];
  for (const name of names) {
    const value = prepare(object[name], name);
    if (omitted(value)) continue;
    const text = primitive(name)!;
    items.push([`${items.length === 0 ? '' : ','}${text}:`, value]);
  }
  return items;
}

/**
 * The RFC 8785 canonical JSON text of a value. Throws `ECTError` (`ECT_MALFORMED`) for a value
 * I-JSON cannot hold: a non-finite number, an unpaired surrogate, a BigInt, a cycle, or no JSON
 * value at all (`undefined` at the top level).
 */
export function canonicalJSON(value: unknown): string {
  const top = prepare(value, '');
  if (omitted(top)) refuse('it has no JSON form (undefined, a function or a symbol)');
  let out = '';
  const stack: Frame[] = [];
  const open = new Set<object>();
  let next: unknown = top;
  let pending = true;
  for (;;) {
    if (pending) {
      pending = false;
      const text = primitive(next);
      if (text !== undefined) {
        out += text;
      } else {
        const container = next as object;
        if (open.has(container)) refuse('the value holds a cycle');
        open.add(container);
        if (Array.isArray(container)) {
          out += '[';
          const items = container.map((item, i): [string, unknown] => [
            i === 0 ? '' : ',',
            prepare(item, String(i)),
          ]);
          stack.push({ close: ']', items, index: 0, seen: container });
        } else {
          out += '{';
          const items = members(container as Record<string, unknown>);
          stack.push({ close: '}', items, index: 0, seen: container });
        }
      }
    }
    const frame = stack[stack.length - 1];
    if (frame === undefined) return out;
    if (frame.index < frame.items.length) {
      const [prefix, item] = frame.items[frame.index++]!;
      out += prefix;
      next = item;
      pending = true;
    } else {
      out += frame.close;
      open.delete(frame.seen);
      stack.pop();
    }
  }
}

/** CLM-9 digest of a JSON value: SHA-256 of its RFC 8785 canonical UTF-8 text, base64url. */
export function hashJSON(value: unknown): string {
  return hashBytes(canonicalJSON(value));
}
