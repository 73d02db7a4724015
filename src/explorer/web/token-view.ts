/**
 * A token read in the page from the proven entry text (not from the server's summary): its JOSE
 * header and claims decoded from base64url, and whether the server's summary of the task says
 * the same as the entry the proof covers.
 * @module
 */
import type { TaskNode } from '../api.js';
import { base64UrlText } from './proof-check.js';

/** The decoded parts of a token: a JWS (header.payload.signature) or an L1 token (payload). */
export interface DecodedToken {
  readonly header: unknown;
  readonly claims: Record<string, unknown> | undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Decodes a token's header and claims; undefined parts when they do not decode. */
export function decodeToken(token: string): DecodedToken {
  const parts = token.split('.');
  const header = parts.length === 3 ? parseJson(base64UrlText(parts[0]!)) : null;
  const payload = parseJson(base64UrlText(parts.length === 3 ? parts[1]! : parts[0]!));
  const claims =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  return { header, claims };
}

/** The predecessors a payload names (`pred`, or `par` of -00 tokens), lowercase. */
function predOf(claims: Record<string, unknown>): string[] {
  const pred = claims['pred'] === undefined ? claims['par'] : claims['pred'];
  return Array.isArray(pred)
    ? pred.filter((p): p is string => typeof p === 'string').map((p) => p.toLowerCase())
    : [];
}

/**
 * Differences between the server's summary of a task and the proven entry (empty: none): the
 * page draws the summary, so a server that lied in it is caught here.
 */
export function summaryDifferences(
  task: TaskNode,
  entry: {
    readonly seq: number;
    readonly level: number;
    readonly recordedAt: number;
    readonly token: string;
  },
): string[] {
  const { claims } = decodeToken(entry.token);
  if (claims === undefined) return ['the token does not decode'];
  const out: string[] = [];
  if (entry.seq !== task.seq) out.push('seq');
  if (entry.level !== task.level) out.push('level');
  if (entry.recordedAt !== task.recordedAt) out.push('recorded time');
  if (String(claims['jti']).toLowerCase() !== task.jti) out.push('jti');
  if (claims['exec_act'] !== task.execAct) out.push('exec_act');
  if (claims['iss'] !== task.iss) out.push('iss');
  const a = [...new Set(predOf(claims))].sort().join(' ');
  const b = [...new Set(task.pred.map((p) => p.toLowerCase()))].sort().join(' ');
  if (a !== b) out.push('pred');
  return out;
}
