/**
 * Progress of long commands (`verify --batch`, `ledger export`, `ledger verify`, `bundle export`,
 * `bundle verify`) on standard error, when it is a terminal: one line with the count, the total
 * when known and the rate, redrawn at most ten times a second and cleared at the end. On a pipe, a
 * file or in tests (no terminal) nothing is written at all, so scripts and logs stay clean.
 * @module
 */

/** Where progress is drawn: the process's standard error, or a stand-in in tests. */
export interface ProgressStream {
  /** Progress is drawn only when this is `true` (a terminal). */
  readonly isTTY?: boolean;
  /** The terminal's width; the line is cut to fit. */
  readonly columns?: number | undefined;
  readonly write: (text: string) => unknown;
}

/** Returns to the start of the line and erases it. */
export const CLEAR_LINE = '\r\x1b[2K';

/** Least time between two redraws, milliseconds: at most ten a second. */
export const PROGRESS_INTERVAL_MS = 100;

/** Options of `startProgress` and `withProgress`. */
export interface ProgressOptions {
  /** Where to draw (`Io.progress`); nothing is drawn unless it is a terminal. */
  readonly stream: ProgressStream | undefined;
  /** What runs, at the start of the line: `ledger verify`. */
  readonly label: string;
  /** What is counted: `entries`, `tokens`. */
  readonly unit: string;
  /** The count to reach, when known in advance. */
  readonly total?: number;
  /** Milliseconds clock (tests); default `performance.now`. */
  readonly clock?: () => number;
  /** Least time between two redraws, milliseconds (default 100). */
  readonly intervalMs?: number;
}

/** A progress line being shown (or, without a terminal, a line that draws nothing). */
export interface Progress {
  /** The count so far, and the total when it became known; redraws if enough time passed. */
  readonly set: (count: number, total?: number) => void;
  /** Adds `n` (default 1) to the count. */
  readonly add: (n?: number) => void;
  /** Erases the line (once drawn); later calls draw nothing. */
  readonly done: () => void;
}

const NOTHING: Progress = { set: () => undefined, add: () => undefined, done: () => undefined };

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The text of the line: `ledger verify: 1,200 / 5,000 entries (24%), 3,100/s`. */
export function progressText(options: {
  readonly label: string;
  readonly unit: string;
  readonly count: number;
  readonly total: number | undefined;
  readonly elapsedMs: number;
}): string {
  const { count, total } = options;
  let text = `${options.label}: ${formatCount(count)}`;
  if (total !== undefined && total > 0) {
    const percent = Math.min(100, Math.floor((count / total) * 100));
    text += ` / ${formatCount(total)} ${options.unit} (${percent}%)`;
  } else {
    text += ` ${options.unit}`;
  }
  if (options.elapsedMs >= 1) text += `, ${formatCount((count * 1000) / options.elapsedMs)}/s`;
  return text;
}

/**
 * Starts a progress line. Without a terminal it returns an object whose calls do nothing, so the
 * commands call it unconditionally.
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream;
  if (stream === undefined || stream.isTTY !== true) return NOTHING;
  const clock = options.clock ?? ((): number => performance.now());
  const interval = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  const started = clock();
  let count = 0;
  let total = options.total;
  let drawnAt: number | undefined;
  let finished = false;
  const draw = (): void => {
    const now = clock();
    if (drawnAt !== undefined && now - drawnAt < interval) return;
    drawnAt = now;
    const { label, unit } = options;
    const text = progressText({ label, unit, count, total, elapsedMs: now - started });
    // One column short of the width: a full line would wrap on some terminals.
    const columns = stream.columns ?? 0;
    stream.write(`${CLEAR_LINE}${columns > 1 ? text.slice(0, columns - 1) : text}`);
  };
  const set = (value: number, newTotal?: number): void => {
    if (finished) return;
    count = value;
    if (newTotal !== undefined) total = newTotal;
    draw();
  };
  return {
    set,
    add: (n = 1) => set(count + n),
    done: () => {
      if (finished) return;
      finished = true;
      if (drawnAt !== undefined) stream.write(CLEAR_LINE);
    },
  };
}

/**
 * Runs `work` with a progress line and erases the line when it ends, also when it throws.
 *
 * @example
 * ```ts
 * const report = await withProgress(
 *   { stream: io.progress, label: 'ledger verify', unit: 'entries' },
 *   (progress) => ledger.verifyIntegrity({ onProgress: progress.set }),
 * );
 * ```
 */
export async function withProgress<T>(
  options: ProgressOptions,
  work: (progress: Progress) => Promise<T>,
): Promise<T> {
  const progress = startProgress(options);
  try {
    return await work(progress);
  } finally {
    progress.done();
  }
}
