/**
 * Side-by-side measurement: contenders run in interleaved rounds (A B C A B C …) so that machine
 * noise (other processes, CPU frequency) hits all of them alike; each contender's rate is the median
 * of its rounds. Ratios are taken between contenders of the same run, never against stored numbers.
 * @module
 */

/** One contender: runs `ops` operations for round `round` (a round may need fresh inputs). */
export interface Contender {
  readonly name: string;
  readonly run: (round: number, ops: number) => void | Promise<void>;
}

/** Operations per second of each contender (median over rounds). */
export type Rates = Record<string, number>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs every contender `rounds` times (after one warm-up round each) with `ops` operations a round. */
export async function compare(
  contenders: readonly Contender[],
  options: { rounds: number; ops: number },
): Promise<Rates> {
  const samples: Record<string, number[]> = {};
  for (const c of contenders) {
    samples[c.name] = [];
    await c.run(0, Math.min(options.ops, 200)); // warm-up: JIT and caches
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const c of contenders) {
      const start = process.hrtime.bigint();
      await c.run(round, options.ops);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      samples[c.name]!.push(options.ops / seconds);
    }
  }
  const rates: Rates = {};
  for (const c of contenders) rates[c.name] = median(samples[c.name]!);
  return rates;
}

/** Seconds taken by `fn`. */
export async function time(fn: () => void | Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** One line of the results table. */
export interface Row {
  readonly suite: string;
  readonly case: string;
  /** The measured figure, with its unit. */
  readonly value: number;
  readonly unit: string;
  /** The ratio against the baseline of the same run, when there is one. */
  readonly ratio?: number;
  readonly baseline?: string;
  /** The target for the ratio, and whether it holds. */
  readonly target?: string;
  readonly pass?: boolean;
}
