/**
 * A tlog witness over node:http (c2sp.org/tlog-witness): `POST /add-checkpoint` (§add-checkpoint)
 * verifies a log's checkpoint and its consistency with the last one cosigned, then returns a
 * cosignature; `GET /<hex SHA-256 of origin>/checkpoint` (§Monitor Retrieval Mechanism) serves
 * the latest cosigned checkpoint. Both prefixes are the server's root. Request bodies are bounded.
 *
 * Statuses of add-checkpoint, in the order the checks run: 400 malformed body or old size above
 * the checkpoint size; 404 unknown origin; 403 no valid signature of a known log key (or an
 * invalid one); 409 old size not the size last cosigned (body: that size, `text/x.tlog.size`);
 * 422 empty tree with another root, proof present from size 0, proof that does not verify, or
 * same size with another root; 200 the cosignature lines. The 409 and 422 checks and the update
 * run in one state transaction (see state.ts). Refused but validly signed checkpoints (422) are
 * kept as evidence, which the spec allows.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCheckpoint, type Checkpoint } from '../tlog/checkpoint.js';
import { TlogError } from '../tlog/errors.js';
import { emptyRoot } from '../tlog/hash.js';
import {
  decodeBase64Std,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
  type NoteSigner,
  type NoteVerifier,
} from '../tlog/note.js';
import { verifyConsistency } from '../tlog/verify-proof.js';
import type { CosignedCheckpoint, WitnessState } from './state.js';

/** Options of `createWitnessHandler`. */
export interface WitnessHandlerOptions {
  /** The witness's key: a cosignature/v1 signer (see `cosignatureSigner`). */
  readonly cosigner: NoteSigner;
  readonly state: WitnessState;
  /** Milliseconds since the epoch, for the time recorded with evidence (default `Date.now`). */
  readonly clock?: () => number;
  /** Largest request body accepted, bytes (default 256 KiB); larger ones get 413. */
  readonly maxBodyBytes?: number;
  /** Told about unexpected failures (answered with 500); default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/** Options of `startWitnessServer`: the handler's, and where to listen. */
export interface WitnessServerOptions extends WitnessHandlerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** A running witness server. */
export interface RunningWitness {
  /** `http://host:port`, the submission and monitoring prefix. */
  readonly url: string;
  /** Stops listening and closes open connections (the state stays open: it is the caller's). */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
const MAX_PROOF_LINES = 63;
const TEXT = 'text/plain; charset=utf-8';
const SIZE_TYPE = 'text/x.tlog.size';
const OLD_LINE = /^old (0|[1-9][0-9]*)$/;
const CHECKPOINT_PATH = /^\/([0-9a-f]{64})\/checkpoint$/;

/** An answer other than 200, thrown by the checks and written by the handler. */
class Refusal extends Error {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the checkpoint was validly signed but inconsistent (kept as evidence). */
  readonly evidence: boolean;

  constructor(
    status: number,
    message: string,
    options: {
      body?: string;
      contentType?: string;
      headers?: Record<string, string>;
      evidence?: boolean;
    } = {},
  ) {
    super(message);
    this.status = status;
    this.body = options.body ?? `${message}\n`;
    this.contentType = options.contentType ?? TEXT;
    this.headers = options.headers ?? {};
    this.evidence = options.evidence ?? false;
  }
}

/** An add-checkpoint request body, parsed. */
interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: Uint8Array[];
  /** The signed note. */
  readonly note: string;
  /** The note text. */
  readonly text: string;
  readonly checkpoint: Checkpoint;
}

/** Parses the body (§add-checkpoint): old size line, proof lines, empty line, checkpoint. */
function parseRequest(body: string): AddCheckpointRequest {
  const split = body.indexOf('\n\n');
  if (split < 0) throw new Refusal(400, 'no empty line between the proof and the checkpoint');
  const [oldLine, ...proofLines] = body.slice(0, split).split('\n') as [string, ...string[]];
  const note = body.slice(split + 2);
  const old = OLD_LINE.exec(oldLine);
  if (old === null) throw new Refusal(400, 'the first line is not "old <size>"');
  const oldSize = Number(old[1]);
  if (!Number.isSafeInteger(oldSize)) throw new Refusal(400, 'the old size is too large');
  if (proofLines.length > MAX_PROOF_LINES) {
    throw new Refusal(400, `more than ${MAX_PROOF_LINES} consistency proof lines`);
  }
  const proof = proofLines.map((line) => {
    const hash = decodeBase64Std(line);
    if (hash === undefined || hash.length !== 32) {
      throw new Refusal(400, 'a proof line is not a 32-byte hash in base64');
    }
    return hash;
  });
  try {
    const { text } = parseNote({ note });
    return { oldSize, proof, note, text, checkpoint: parseCheckpoint({ text }) };
  } catch (error) {
    if (error instanceof TlogError) throw new Refusal(400, `checkpoint: ${error.message}`);
    throw error;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Reads the body as UTF-8, refusing more than `max` bytes (413) and invalid UTF-8 (400). */
async function readBody(request: IncomingMessage, max: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    throw new Refusal(413, `request body larger than ${max} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).length;
    if (total > max) throw new Refusal(413, `request body larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Refusal(400, 'the request body is not UTF-8');
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': TEXT,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(body);
}

/** The checks and the update of one add-checkpoint request; resolves to the response body. */
function addCheckpoint(
  request: AddCheckpointRequest,
  options: { cosigner: NoteSigner; state: WitnessState; verifiers: (vkey: string) => NoteVerifier },
): string {
  const { oldSize, proof, note, text, checkpoint } = request;
  const { cosigner, state } = options;
  const { origin, size, root } = checkpoint;
  const keys = state.logKeys({ origin });
  if (keys.length === 0) throw new Refusal(404, `unknown log origin ${JSON.stringify(origin)}`);
  let logLines: string[];
  try {
    const opened = openNote({ note, verifiers: keys.map(options.verifiers) });
    logLines = opened.verified.map((signature) => `${signature.line}\n`);
  } catch (error) {
    if (error instanceof TlogError) throw new Refusal(403, error.message);
    throw error;
  }
  if (oldSize > size) throw new Refusal(400, `old size ${oldSize} is above the checkpoint size`);
  let cosignature = '';
  state.advance({
    origin,
    update: (current): CosignedCheckpoint => {
      const latestSize = current?.size ?? 0;
      if (oldSize !== latestSize) {
        const message = `old size ${oldSize} is not the latest cosigned size ${latestSize}`;
        throw new Refusal(409, message, { body: `${latestSize}\n`, contentType: SIZE_TYPE });
      }
      checkConsistency({ oldSize, size, root, proof, current });
      // The witness's line is the last of a note it signs; the text is what it cosigns.
      cosignature = signNote({ text, signers: [cosigner] }).slice(text.length + 1);
      return { origin, size, root, note: `${text}\n${logLines.join('')}${cosignature}` };
    },
  });
  return cosignature;
}

/** The 422 checks: the empty tree's root, no proof from 0, the proof, equal roots. */
function checkConsistency(options: {
  oldSize: number;
  size: number;
  root: Uint8Array;
  proof: readonly Uint8Array[];
  current: CosignedCheckpoint | undefined;
}): void {
  const { oldSize, size, root, proof, current } = options;
  if (size === 0 && !sameBytes(root, emptyRoot())) {
    throw new Refusal(422, 'a checkpoint of size 0 must have the empty tree root', {
      evidence: true,
    });
  }
  if (oldSize === 0) {
    if (proof.length > 0) {
      throw new Refusal(422, 'the consistency proof from size 0 must be empty', { evidence: true });
    }
    return;
  }
  if (current === undefined) throw new Error('witness state: a size without a checkpoint');
  try {
    verifyConsistency({ oldSize, newSize: size, oldRoot: current.root, newRoot: root, proof });
  } catch (error) {
    if (error instanceof TlogError) {
      throw new Refusal(422, `not consistent with size ${oldSize}: ${error.message}`, {
        evidence: true,
      });
    }
    throw error;
  }
}

/**
 * A node:http request listener implementing the witness (see the module comment). The known
 * logs and the latest checkpoints live in `state`; logs added there are served at once.
 */
export function createWitnessHandler(
  options: WitnessHandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { cosigner, state } = options;
  const clock = options.clock ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const parsed = new Map<string, NoteVerifier>();
  const verifiers = (vkey: string): NoteVerifier => {
    let verifier = parsed.get(vkey);
    if (verifier === undefined) {
      verifier = parseVerifierKey({ vkey });
      parsed.set(vkey, verifier);
    }
    return verifier;
  };

  async function handleAdd(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request, maxBodyBytes);
    const parsedRequest = parseRequest(body);
    try {
      send(response, 200, addCheckpoint(parsedRequest, { cosigner, state, verifiers }));
    } catch (error) {
      if (error instanceof Refusal && error.evidence) {
        const { origin } = parsedRequest.checkpoint;
        state.recordEvidence({ origin, receivedAt: clock(), reason: error.message, request: body });
      }
      throw error;
    }
  }

  function handleGet(response: ServerResponse, hash: string): void {
    const latest = state.latestByOriginHash({ originHash: hash });
    if (latest === undefined) throw new Refusal(404, 'no checkpoint cosigned for this origin');
    send(response, 200, latest.note);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://witness').pathname;
    if (path === '/add-checkpoint') {
      if (request.method !== 'POST') {
        throw new Refusal(405, 'add-checkpoint takes POST', { headers: { allow: 'POST' } });
      }
      await handleAdd(request, response);
      return;
    }
    const match = CHECKPOINT_PATH.exec(path);
    if (match !== null) {
      if (request.method !== 'GET') {
        throw new Refusal(405, 'checkpoint takes GET', { headers: { allow: 'GET' } });
      }
      handleGet(response, match[1]!);
      return;
    }
    throw new Refusal(404, 'not found');
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof Refusal) {
        const headers: Record<string, string> = {
          ...error.headers,
          'content-type': error.contentType,
        };
        // The rest of an oversized body is not read: the connection closes after the answer.
        if (error.status === 413) headers['connection'] = 'close';
        send(response, error.status, error.body, headers);
        return;
      }
      options.onError?.(error);
      send(response, 500, 'internal error\n');
    });
  };
}

/** Starts a witness on `host:port`; resolves once it listens. */
export async function startWitnessServer(options: WitnessServerOptions): Promise<RunningWitness> {
  const server = createServer(createWitnessHandler(options));
  // Bounds on slow clients: the whole request within 30 s, its headers within 10 s.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: async (): Promise<void> => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
