/**
 * Throwaway real servers for storage tests: a Redis and a PostgreSQL on loopback, on free ports, in
 * temporary folders, without persistence tuning that would slow startup. No mocks: the tests talk
 * to the real thing. Every server is also stopped when the test process exits, so a failing test
 * leaves nothing running; tests should still call `stop()` in an `after` hook.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before } from 'node:test';

/** A running test server. */
export interface TestServer {
  /** Connection URL (`redis://…` or `postgres://…`). */
  readonly url: string;
  readonly port: number;
  /** Stops the server, keeping its port and data (idempotent): an outage, until `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (stopping it first when it runs). */
  restart(): Promise<void>;
  /** Stops the server for good and removes its files (idempotent). Call it in an `after` hook. */
  dispose(): Promise<void>;
}

/** Debian's PostgreSQL binary folders, newest version first (15 on Debian 12, 17 on Debian 13). */
function postgresBinDirs(): string[] {
  const lib = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(lib).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return versions.sort((a, b) => Number(b) - Number(a)).map((version) => join(lib, version, 'bin'));
}
const cleanups = new Set<() => void>();

process.once('exit', () => {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort at exit: nothing else can be done.
    }
  }
});

/** Finds an executable in `extraDirs` or on PATH, or throws naming the Debian package to install. */
export function findBinary(
  name: string,
  options: { debianPackage: string; extraDirs?: readonly string[] },
): string {
  const dirs = [
    ...(options.extraDirs ?? []),
    ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d.length > 0),
  ];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next folder.
    }
  }
  throw new Error(
    `${name} is not installed (looked in ${dirs.join(', ')}): install the Debian package ${options.debianPackage} (apt-get install ${options.debianPackage})`,
  );
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
async function waitForPort(
  port: number,
  options: { timeoutMs: number; what: string; exited?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const exited = options.exited?.();
    if (exited !== undefined)
      throw new Error(`${options.what} exited before accepting connections: ${exited}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(
        `${options.what} did not accept connections on port ${port} within ${options.timeoutMs} ms`,
      );
    await sleep(25);
  }
}

async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

/** Starts `redis-server` on a free loopback port without persistence. */
export async function startRedis(): Promise<TestServer> {
  const binary = findBinary('redis-server', { debianPackage: 'redis-server' });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const killNow = (): void => {
    child?.kill('SIGKILL');
  };

  async function launch(): Promise<void> {
    output = '';
    const proc = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanups.add(killNow);
    await waitForPort(port, {
      timeoutMs: 10_000,
      what: 'redis-server',
      exited: () =>
        proc.exitCode !== null ? output.trim() || `exit code ${proc.exitCode}` : undefined,
    });
  }

  async function halt(): Promise<void> {
    const proc = child;
    if (proc === undefined) return;
    child = undefined;
    proc.kill('SIGKILL');
    await waitForExit(proc);
    cleanups.delete(killNow);
  }

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: halt,
    dispose: halt,
    async restart(): Promise<void> {
      await halt();
      await launch();
    },
  };
}

/** Runs a PostgreSQL binary, as the `postgres` user when this process is root (PostgreSQL refuses root). */
function runPg(binary: string, args: readonly string[], asPostgres: boolean): void {
  const command = asPostgres ? 'runuser' : binary;
  const fullArgs = asPostgres ? ['-u', 'postgres', '--', binary, ...args] : [...args];
  const result = spawnSync(command, fullArgs, { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined)
    throw new Error(`${binary} could not run: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(
      `${binary} ${args.join(' ')} failed (exit ${String(result.status)}): ${result.stderr || result.stdout}`,
    );
}

/**
 * Starts a fresh PostgreSQL cluster in a temporary folder on a free loopback port (trust auth).
 * `durable: true` keeps the server's fsync on (benchmarks of durable appends); tests leave it off.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<TestServer> {
  const pgBin = postgresBinDirs();
  const initdb = findBinary('initdb', { debianPackage: 'postgresql', extraDirs: pgBin });
  const pgCtl = findBinary('pg_ctl', { debianPackage: 'postgresql', extraDirs: pgBin });
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) findBinary('runuser', { debianPackage: 'util-linux' });
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'ect-pg-'));
  const data = join(root, 'data');
  if (asPostgres) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0)
      throw new Error(
        'running as root, PostgreSQL needs the "postgres" system user: install the Debian package postgresql',
      );
    chownSync(root, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  // --no-sync and fsync=off: throwaway data, fast startup. The crash tests kill the client, never
  // the server, so server-side fsync does not change what they prove.
  runPg(
    initdb,
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions'],
    asPostgres,
  );
  const durability = options.durable
    ? []
    : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'];
  const serverOptions = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    ...durability,
    '-c max_connections=100',
    '-c shared_buffers=16MB',
  ].join(' ');
  let running = false;
  let removed = false;
  const stopNow = (): void => {
    if (running)
      spawnSync(
        asPostgres ? 'runuser' : pgCtl,
        [
          ...(asPostgres ? ['-u', 'postgres', '--', pgCtl] : []),
          '-D',
          data,
          '-m',
          'immediate',
          '-w',
          'stop',
        ],
        { timeout: 30_000 },
      );
    running = false;
    if (!removed) rmSync(root, { recursive: true, force: true });
    removed = true;
  };
  cleanups.add(stopNow);

  async function launch(): Promise<void> {
    runPg(
      pgCtl,
      ['-D', data, '-o', serverOptions, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start'],
      asPostgres,
    );
    running = true;
    await waitForPort(port, { timeoutMs: 10_000, what: 'postgres' });
  }

  async function halt(): Promise<void> {
    if (!running) return;
    // Fast shutdown: connections are terminated, as when a database server goes away.
    runPg(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'], asPostgres);
    running = false;
  }

  try {
    await launch();
  } catch (error) {
    stopNow();
    cleanups.delete(stopNow);
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: halt,
    async restart(): Promise<void> {
      await halt();
      await launch();
    },
    async dispose(): Promise<void> {
      stopNow();
      cleanups.delete(stopNow);
    },
  };
}

/** The servers and temporary folder of one test file (see `useTestServers`). */
export interface TestEnvironment {
  /** The PostgreSQL server (with `postgres: true`). */
  readonly pg: TestServer;
  /** The Redis server (with `redis: true`). */
  readonly redis: TestServer;
  /** A temporary folder, made at once (with `tempDir`), removed after the file's tests. */
  readonly dir: string;
}

/**
 * Starts the servers a test file needs before its tests and disposes of them (and of the
 * temporary folder) after them, whatever the tests did. Register the file's own `after` hooks
 * (stopping child processes that use the servers) before calling this: hooks run in order.
 */
export function useTestServers(options: {
  readonly postgres?: boolean;
  readonly redis?: boolean;
  readonly tempDir?: string;
}): TestEnvironment {
  let pg: TestServer | undefined;
  let redis: TestServer | undefined;
  const dir =
    options.tempDir === undefined ? undefined : mkdtempSync(join(tmpdir(), options.tempDir));
  before(async () => {
    [pg, redis] = await Promise.all([
      options.postgres ? startPostgres() : undefined,
      options.redis ? startRedis() : undefined,
    ]);
  });
  after(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined)
      throw new Error(`${what} was not requested from useTestServers, or is not started yet`);
    return value;
  };
  return {
    get pg() {
      return started(pg, 'PostgreSQL');
    },
    get redis() {
      return started(redis, 'Redis');
    },
    get dir() {
      return started(dir, 'the temporary folder');
    },
  };
}
