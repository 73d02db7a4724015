/**
 * Shared by the witness tests: a test log (Ed25519 note key, leaves in memory) whose tree hashes
 * and consistency proofs are computed here by the naive recursion of RFC 9162 §2.1.1 and
 * §2.1.4.1, independently of src/tlog, and a witness process started from the CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { formatCheckpoint } from '../../src/tlog/checkpoint.js';
import {
  ed25519NoteSigner,
  ed25519VerifierKey,
  signNote,
  type NoteSigner,
} from '../../src/tlog/note.js';

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** MTH(D[n]) of RFC 9162 §2.1.1 over leaf hashes. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return sha256(Uint8Array.of(1), merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1. */
function subproof(m: number, leaves: readonly Uint8Array[], complete: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [merkleRoot(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), complete), merkleRoot(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), merkleRoot(leaves.slice(0, k))];
}

/** A log for tests: entries in memory, checkpoints signed with its own Ed25519 key. */
export class TestLog {
  readonly origin: string;
  readonly signer: NoteSigner;
  readonly vkey: string;
  readonly #leaves: Uint8Array[] = [];

  constructor(origin: string) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.origin = origin;
    this.signer = ed25519NoteSigner({ name: origin, privateKey });
    this.vkey = ed25519VerifierKey({ name: origin, publicKey });
  }

  get size(): number {
    return this.#leaves.length;
  }

  /** Appends `count` entries. */
  grow(count: number): this {
    for (let i = 0; i < count; i++) {
      const entry = new TextEncoder().encode(`${this.origin} entry ${this.#leaves.length}`);
      this.#leaves.push(sha256(Uint8Array.of(0), entry));
    }
    return this;
  }

  root(size = this.size): Uint8Array {
    return merkleRoot(this.#leaves.slice(0, size));
  }

  /** The signed checkpoint at `size`, optionally with another root (a forked view). */
  checkpoint(options: { size?: number; root?: Uint8Array; signer?: NoteSigner } = {}): string {
    const size = options.size ?? this.size;
    const root = options.root ?? this.root(size);
    const text = formatCheckpoint({ origin: this.origin, size, root, extensions: [] });
    return signNote({ text, signers: [options.signer ?? this.signer] });
  }

  /** PROOF(oldSize, D[newSize]) (empty from 0). */
  proof(oldSize: number, newSize = this.size): Uint8Array[] {
    if (oldSize === 0) return [];
    return subproof(oldSize, this.#leaves.slice(0, newSize), true);
  }
}

/** A witness started as `ect witness serve` in its own process. */
export interface WitnessProcess {
  readonly url: string;
  readonly vkey: string;
  readonly child: ChildProcess;
  /** Everything written on stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGTERM) unless it exited; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Runs `node --import tsx src/cli/main.ts witness serve ARGS`; resolves once it prints its URL. */
export async function startWitnessProcess(args: readonly string[]): Promise<WitnessProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'witness', 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
  });
  const ready = await new Promise<{ url: string; vkey: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`witness did not start: ${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /^url (\S+)$/m.exec(stdout)?.[1];
      const vkey = /^vkey (\S+)$/m.exec(stdout)?.[1];
      if (url !== undefined && vkey !== undefined) {
        clearTimeout(timer);
        resolve({ url, vkey });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`witness exited with ${code} before starting: ${stderr}`));
    });
  });
  return {
    ...ready,
    child,
    stderr: () => stderr,
    stop: async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The add-checkpoint body: old size, proof lines, empty line, checkpoint. */
export function addCheckpointBody(
  oldSize: number,
  proof: readonly Uint8Array[],
  note: string,
): string {
  const lines = [`old ${oldSize}`, ...proof.map((h) => Buffer.from(h).toString('base64'))];
  return `${lines.join('\n')}\n\n${note}`;
}

/** POSTs a raw body to add-checkpoint. */
export async function postRaw(
  url: string,
  body: string | Uint8Array,
): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  const type = response.headers.get('content-type');
  return { status: response.status, type, text: await response.text() };
}
