/**
 * The client side of the tlog-witness protocol (c2sp.org/tlog-witness §add-checkpoint): a log
 * submits its newest checkpoint with a consistency proof from the size the witness last cosigned,
 * and gets back the witness's cosignature lines, or a 409 naming the size the witness holds.
 * Uses the global `fetch`; every request is bounded in time and in the size of the answer.
 * @module
 */
import { TlogError } from '../tlog/errors.js';
import { encodeBase64Std, parseNote, parseSignatureLine } from '../tlog/note.js';

/** What a witness answered to add-checkpoint. */
export type CosignatureAnswer =
  /** 200: the cosignature lines, each without its newline. */
  | { readonly kind: 'cosigned'; readonly lines: string[] }
  /** 409: the witness's latest cosigned size differs from `oldSize`; retry from `size`. */
  | { readonly kind: 'conflict'; readonly size: number };

/** A witness that could not be reached, timed out, or answered something else than 200 or 409. */
export class WitnessRequestError extends Error {
  override readonly name = 'WitnessRequestError';
  /** The add-checkpoint URL asked. */
  readonly url: string;
  /** The HTTP status, when the witness answered. */
  readonly status: number | undefined;

  constructor(url: string, status: number | undefined, message: string, cause?: unknown) {
    super(`witness ${url}: ${message}`, cause === undefined ? undefined : { cause });
    this.url = url;
    this.status = status;
  }
}

/** The protocol's limit on consistency proof lines. */
const MAX_PROOF_LINES = 63;
/** An answer larger than this is not a list of cosignature lines (16 ML-DSA lines fit). */
const MAX_ANSWER_BYTES = 128 * 1024;
const SIZE_BODY = /^(0|[1-9][0-9]*)\n$/;

/** The add-checkpoint URL under a submission prefix (a trailing slash is tolerated). */
function addCheckpointUrl(prefix: string): string {
  return `${prefix.replace(/\/+$/, '')}/add-checkpoint`;
}

/** The request body: `old N`, the proof lines, an empty line, the checkpoint. */
function requestBody(oldSize: number, proof: readonly Uint8Array[], checkpoint: string): string {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) {
    throw new TlogError('TLOG_MALFORMED', `old size ${oldSize} is not a non-negative integer`);
  }
  if (proof.length > MAX_PROOF_LINES) {
    throw new TlogError('TLOG_MALFORMED', `a proof has at most ${MAX_PROOF_LINES} lines`);
  }
  for (const hash of proof) {
    if (hash.length !== 32) throw new TlogError('TLOG_MALFORMED', 'a proof hash is not 32 bytes');
  }
  // The checkpoint must be a well-formed note: a witness would refuse anything else with 400.
  parseNote({ note: checkpoint });
  const lines = [`old ${oldSize}`, ...proof.map(encodeBase64Std)];
  return `${lines.map((line) => `${line}\n`).join('')}\n${checkpoint}`;
}

/** Reads at most `MAX_ANSWER_BYTES` of the answer as UTF-8. */
async function readAnswer(response: Response, url: string): Promise<string> {
  if (response.body === null) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_ANSWER_BYTES) {
      await reader.cancel();
      const message = `answer larger than ${MAX_ANSWER_BYTES} bytes`;
      throw new WitnessRequestError(url, response.status, message);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A short, single-line excerpt of an error answer, for messages. */
function excerpt(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** The cosignature lines of a 200 answer: one or more signature lines, each ending in newline. */
function cosignatureLines(text: string, url: string): string[] {
  if (text.length === 0 || !text.endsWith('\n')) {
    throw new WitnessRequestError(url, 200, 'the answer is not newline-terminated signature lines');
  }
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) {
    try {
      parseSignatureLine({ line });
    } catch (error) {
      const why = (error as Error).message;
      throw new WitnessRequestError(url, 200, `the answer holds a malformed line: ${why}`, error);
    }
  }
  return lines;
}

/**
 * Asks the witness at `url` (its submission prefix) to cosign `checkpoint` (a signed note),
 * proving consistency from `oldSize` with `proof`. Resolves to the cosignature lines (200) or
 * the witness's size (409); any other outcome throws `WitnessRequestError` naming the witness
 * and the status. The whole exchange, answer included, is bounded by `timeoutMs`.
 */
export async function requestCosignature(options: {
  readonly url: string;
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: string;
  readonly timeoutMs: number;
}): Promise<CosignatureAnswer> {
  const { oldSize, proof, checkpoint, timeoutMs } = options;
  const url = addCheckpointUrl(options.url);
  const body = requestBody(oldSize, proof, checkpoint);
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      signal,
      redirect: 'error',
    });
    text = await readAnswer(response, url);
  } catch (error) {
    if (error instanceof WitnessRequestError) throw error;
    if (signal.aborted) {
      throw new WitnessRequestError(url, undefined, `no answer within ${timeoutMs} ms`, error);
    }
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    const message = `request failed: ${(error as Error).message}${cause ? ` (${cause})` : ''}`;
    throw new WitnessRequestError(url, undefined, message, error);
  }
  if (response.status === 200) return { kind: 'cosigned', lines: cosignatureLines(text, url) };
  if (response.status === 409) {
    const match = SIZE_BODY.exec(text);
    const size = match === null ? Number.NaN : Number(match[1]);
    if (!Number.isSafeInteger(size)) {
      throw new WitnessRequestError(url, 409, 'a 409 answer without a tree size in its body');
    }
    return { kind: 'conflict', size };
  }
  const reason = excerpt(text);
  const status = `${response.status} ${response.statusText}`.trim();
  throw new WitnessRequestError(url, response.status, reason ? `${status}: ${reason}` : status);
}
