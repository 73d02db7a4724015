/**
 * Asking witnesses to cosign the ledger's checkpoints (LED-11), in the background: the append path
 * never waits for a witness. Each witness has at most one request in flight, always for the
 * newest checkpoint; a witness that is down is retried with backoff and catches up with one
 * consistency proof from the size it last cosigned, so it delays cosignatures but never loses or
 * blocks an entry.
 * @module
 */
import { TlogError } from '../tlog/errors.js';
import { openNote, parseNote, parseVerifierKey, type NoteVerifier } from '../tlog/note.js';
import { requestCosignature } from '../witness/client.js';
import type { LedgerBackend } from './types.js';

/**
 * One witness of a ledger.
 *
 * @example
 * ```ts
 * import { generateKeyPair, Ledger, type WitnessOptions } from 'wimse-ect';
 *
 * const witness: WitnessOptions = { url: 'https://witness.example.net/', timeoutMs: 2000 };
 * const ledger = await Ledger.open({
 *   key: generateKeyPair({ alg: 'EdDSA' }).privateJwk,
 *   origin: 'example.org/ect-ledger',
 *   witnesses: [witness],
 * });
 * ```
 */
export interface WitnessOptions {
  /** The witness's submission prefix: `add-checkpoint` is appended. */
  readonly url: string;
  /**
   * The witness's cosignature verifier key (C2SP vkey, type 0x04). With it, only cosignatures that
   * verify are stored; without it, every well-formed line the witness returns is stored and
   * checked by whoever verifies the ledger or a bundle.
   */
  readonly vkey?: string;
  /** How long one request may take, milliseconds (default 5000). */
  readonly timeoutMs?: number;
}

/**
 * What the ledger last heard from a witness.
 *
 * @example
 * ```ts
 * import { Ledger, type WitnessStatus } from 'wimse-ect';
 *
 * const ledger = await Ledger.open({ origin: 'example.org/ect-ledger' });
 * const statuses: readonly WitnessStatus[] = ledger.witnessStatus();
 * for (const w of statuses) console.log(w.url, w.cosignedSize, w.error ?? 'ok');
 * ```
 */
export interface WitnessStatus {
  readonly url: string;
  /** The largest size this witness cosigned (as far as this process knows). */
  readonly cosignedSize: number | undefined;
  /** The last failure, until the next success. */
  readonly error: string | undefined;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;

interface Witness {
  readonly options: WitnessOptions;
  readonly verifier: NoteVerifier | undefined;
  oldSize: number | undefined;
  error: string | undefined;
  inFlight: Promise<void> | undefined;
  retryMs: number;
  timer: NodeJS.Timeout | undefined;
}

export class WitnessPool {
  readonly #witnesses: Witness[];
  readonly #backend: LedgerBackend;
  readonly #prove: (oldSize: number, newSize: number) => Promise<Uint8Array[]>;
  #latest: { size: number; note: string } | undefined;
  #closed = false;

  constructor(options: {
    readonly witnesses: readonly WitnessOptions[];
    readonly backend: LedgerBackend;
    readonly prove: (oldSize: number, newSize: number) => Promise<Uint8Array[]>;
  }) {
    this.#backend = options.backend;
    this.#prove = options.prove;
    this.#witnesses = options.witnesses.map((w) => ({
      options: w,
      verifier: w.vkey === undefined ? undefined : parseVerifierKey({ vkey: w.vkey }),
      oldSize: undefined,
      error: undefined,
      inFlight: undefined,
      retryMs: RETRY_FIRST_MS,
      timer: undefined,
    }));
  }

  /** A new checkpoint was committed: every idle witness is asked to cosign it. */
  submit(checkpoint: { readonly size: number; readonly note: string }): void {
    if (this.#closed) return;
    if (this.#latest === undefined || checkpoint.size > this.#latest.size)
      this.#latest = checkpoint;
    for (const witness of this.#witnesses) this.#kick(witness);
  }

  status(): WitnessStatus[] {
    return this.#witnesses.map((w) => ({
      url: w.options.url,
      cosignedSize: w.oldSize,
      error: w.error,
    }));
  }

  /** Resolves when no request is in flight for the newest checkpoint. */
  async settle(): Promise<void> {
    for (;;) {
      const busy = this.#witnesses.map((w) => w.inFlight).filter((p) => p !== undefined);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /**
   * Lets every witness that answers catch up with the newest checkpoint, then stops: a witness
   * that is down is not waited for (its retry timer is cancelled).
   */
  async close(): Promise<void> {
    await this.settle();
    this.#closed = true;
    for (const w of this.#witnesses) clearTimeout(w.timer);
    await this.settle();
  }

  #kick(witness: Witness): void {
    if (witness.inFlight !== undefined || this.#closed) return;
    const latest = this.#latest;
    if (latest === undefined || (witness.oldSize ?? -1) >= latest.size) return;
    clearTimeout(witness.timer);
    witness.timer = undefined;
    witness.inFlight = this.#ask(witness, latest).finally(() => {
      witness.inFlight = undefined;
      // A newer checkpoint arrived meanwhile: ask again for that one.
      if (witness.error === undefined) this.#kick(witness);
    });
  }

  async #ask(witness: Witness, checkpoint: { size: number; note: string }): Promise<void> {
    try {
      // A witness that answers 409 says which size it has; at most two corrections per round.
      for (let attempt = 0; attempt < 3; attempt++) {
        const oldSize = Math.min(witness.oldSize ?? 0, checkpoint.size);
        const answer = await requestCosignature({
          url: witness.options.url,
          oldSize,
          proof: oldSize === 0 ? [] : await this.#prove(oldSize, checkpoint.size),
          checkpoint: checkpoint.note,
          timeoutMs: witness.options.timeoutMs ?? 5000,
        });
        if (answer.kind === 'conflict') {
          if (answer.size > checkpoint.size) {
            throw new TlogError(
              'TLOG_PROOF_INVALID',
              `the witness has seen ${answer.size} entries of this log; the ledger has ` +
                `${checkpoint.size} (entries were removed, or another log uses this origin)`,
            );
          }
          witness.oldSize = answer.size;
          continue;
        }
        await this.#store(witness, checkpoint, answer.lines);
        witness.oldSize = checkpoint.size;
        witness.error = undefined;
        witness.retryMs = RETRY_FIRST_MS;
        return;
      }
      throw new Error('the witness kept answering 409 Conflict');
    } catch (error) {
      witness.error = `${witness.options.url}: ${(error as Error).message}`;
      if (this.#closed) return;
      witness.timer = setTimeout(() => {
        witness.timer = undefined;
        witness.error = undefined;
        this.#kick(witness);
      }, witness.retryMs);
      witness.timer.unref();
      witness.retryMs = Math.min(witness.retryMs * 2, RETRY_MAX_MS);
    }
  }

  /** Keeps the lines that are cosignatures of this checkpoint (verified when the key is known). */
  async #store(
    witness: Witness,
    checkpoint: { size: number; note: string },
    lines: readonly string[],
  ): Promise<void> {
    const note = `${checkpoint.note}${lines.map((l) => `${l}\n`).join('')}`;
    const have = new Set(parseNote({ note: checkpoint.note }).signatures.map((s) => s.line));
    let cosignatures = parseNote({ note }).signatures.filter((s) => !have.has(s.line));
    if (witness.verifier !== undefined) {
      const { verified } = openNote({ note, verifiers: [witness.verifier] });
      cosignatures = verified;
    }
    if (cosignatures.length === 0) throw new Error('the witness returned no cosignature');
    await this.#backend.addCosignatures(
      cosignatures.map((s) => ({ size: checkpoint.size, witness: s.name, line: s.line })),
    );
  }
}
