/**
 * A module on a worker thread, spoken to by request and answer: the SQLite writer and the ledger
 * worker use it. Requests are answered in the order the worker finishes them; errors cross the
 * thread boundary as data and come back as the same classes (`ECTError` with its code,
 * `ECTConfigError` with its setting), so callers see no difference from a call in this thread.
 * @module
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { ECTConfigError, ECTError, isECTErrorCode } from '../errors.js';

/** A request to the worker. */
interface Request {
  readonly id: number;
  readonly op: string;
  readonly args: readonly unknown[];
}

/** An error as it crosses the thread boundary. */
interface Failure {
  readonly message: string;
  readonly code?: string;
  readonly setting?: string;
  readonly member?: string;
}

/** The worker's answer: a value or a failure. Id 0 is the ready signal. */
interface Answer {
  readonly id: number;
  readonly value?: unknown;
  readonly failure?: Failure;
}

function toFailure(error: unknown): Failure {
  const e = error as { message?: unknown; code?: unknown; setting?: unknown; member?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(error instanceof ECTConfigError ? { setting: error.setting } : {}),
    ...(typeof e?.member === 'string' ? { member: e.member } : {}),
  };
}

function fromFailure(failure: Failure): Error {
  if (failure.setting !== undefined) {
    const prefix = `${failure.setting}: `;
    const message = failure.message.startsWith(prefix)
      ? failure.message.slice(prefix.length)
      : failure.message;
    return new ECTConfigError(failure.setting, message);
  }
  if (failure.code !== undefined && isECTErrorCode(failure.code)) {
    return new ECTError(
      failure.code,
      failure.message,
      failure.member === undefined ? {} : { member: failure.member },
    );
  }
  return Object.assign(
    new Error(failure.message),
    failure.code === undefined ? {} : { code: failure.code },
  );
}

/** A worker thread serving one module's operations. */
export interface Thread {
  call(op: string, ...args: unknown[]): Promise<unknown>;
  /** Asks the worker to run `op` (its own clean-up) and then ends it. */
  close(op: string): Promise<void>;
}

/**
 * Starts `module` (a sibling of this file, by name without extension) on a worker thread with
 * `data`; resolves once it signalled that it is ready, rejects with its set-up error.
 */
export function startThread(options: {
  readonly module: string;
  readonly data: unknown;
}): Promise<Thread> {
  // The worker module has this module's extension: .js when built, .ts under a TypeScript loader
  // in development. Worker threads do not inherit such a loader, so there the worker registers
  // tsx before importing; the built package never takes that branch.
  const extension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
  const entry = JSON.stringify(new URL(`./${options.module}${extension}`, import.meta.url).href);
  const script =
    extension === '.ts'
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
        `.then((tsx) => { tsx.register(); return import(${entry}); })`
      : `import(${entry})`;
  const worker = new Worker(script, { eval: true, workerData: options.data });
  let next = 1;
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: unknown) => void }
  >();
  const failAll = (message: string): void => {
    for (const p of pending.values()) p.reject(new ECTError('ECT_LEDGER_UNAVAILABLE', message));
    pending.clear();
  };
  const call = (op: string, ...args: unknown[]): Promise<unknown> => {
    const id = next++;
    // Referenced while a request is open, so the process waits for the answer; idle, it does not
    // keep the process alive.
    worker.ref();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args } satisfies Request);
    });
  };
  return new Promise<Thread>((resolve, reject) => {
    worker.on('message', (answer: Answer) => {
      if (answer.id === 0) {
        if (answer.failure === undefined) {
          worker.unref();
          resolve({
            call,
            close: async (op) => {
              await call(op).catch(() => undefined);
              await worker.terminate();
            },
          });
        } else reject(fromFailure(answer.failure));
        return;
      }
      const p = pending.get(answer.id);
      if (p === undefined) return;
      pending.delete(answer.id);
      if (pending.size === 0) worker.unref();
      if (answer.failure === undefined) p.resolve(answer.value);
      else p.reject(fromFailure(answer.failure));
    });
    worker.on('error', (error) => {
      reject(error);
      failAll(`the ${options.module} thread failed: ${error.message}`);
    });
    worker.on('exit', () => failAll(`the ${options.module} thread stopped`));
  });
}

/**
 * In the worker: sets up with `workerData`, signals ready (or the set-up error), then answers each
 * request with `handle(op, args)`, one at a time in arrival order for synchronous handlers.
 */
export async function serveThread(
  setUp: (data: unknown) => Promise<(op: string, args: readonly unknown[]) => unknown>,
): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('serveThread runs in a worker thread');
  let handle: (op: string, args: readonly unknown[]) => unknown;
  try {
    handle = await setUp(workerData);
  } catch (error) {
    port.postMessage({ id: 0, failure: toFailure(error) } satisfies Answer);
    return;
  }
  port.postMessage({ id: 0 } satisfies Answer);
  port.on('message', (request: Request) => {
    const answer = (value: unknown): void =>
      port.postMessage({ id: request.id, value } satisfies Answer);
    const fail = (error: unknown): void =>
      port.postMessage({ id: request.id, failure: toFailure(error) } satisfies Answer);
    try {
      const value = handle(request.op, request.args);
      if (value instanceof Promise) value.then(answer, fail);
      else answer(value);
    } catch (error) {
      fail(error);
    }
  });
}
