/**
 * Workflow shapes for the explorer's layout, as the page receives them: the layout tests
 * (layout.test.ts) check them and the bench (bench/suites/explorer.ts) times them.
 * @module
 */
import type { TaskNode } from '../../src/explorer/api.js';

/** Tasks 0..count-1, task i after the tasks `preds(i)`. */
export function workflow(count: number, preds: (i: number) => readonly number[]): TaskNode[] {
  return Array.from({ length: count }, (_v, i) => ({
    seq: i + 1,
    jti: `j${i}`,
    wid: 'w',
    execAct: `step_${i % 9}`,
    iss: `spiffe://example.org/agent/${i % 5}`,
    level: 3,
    recordedAt: i,
    iat: i,
    pred: [...new Set(preds(i))].map((p) => `j${p}`),
    signature: { state: 'unchecked', message: '' },
  }));
}

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Up to three predecessors each among the `window` tasks before. */
export function randomDag(count: number, options: { seed: number; window: number }): TaskNode[] {
  const next = random(options.seed);
  return workflow(count, (i) => {
    if (i === 0) return [];
    const picks = 1 + Math.floor(next() * 3);
    return Array.from(
      { length: picks },
      () => i - 1 - Math.floor(next() * Math.min(i, options.window)),
    );
  });
}

/** The bench's render shape: each task after the one before and one of the 20 before. */
export function benchShape(count: number): TaskNode[] {
  return workflow(count, (i) => (i === 0 ? [] : [i - 1, Math.max(0, i - 1 - ((i * 7) % 20))]));
}

/** One task and `count - 1` tasks after it. */
export function fanOut(count: number): TaskNode[] {
  return workflow(count, (i) => (i === 0 ? [] : [0]));
}

/** `count - 1` tasks and one task after all of them. */
export function fanIn(count: number): TaskNode[] {
  return workflow(count, (i) =>
    i === count - 1 ? Array.from({ length: count - 1 }, (_v, k) => k) : [],
  );
}
