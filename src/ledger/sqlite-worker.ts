/**
 * The SQLite ledger's writer thread: it owns one connection and serves the write operations of
 * sqlite-write.ts by message, one at a time, in order. The main thread goes on verifying while this
 * thread waits for the database lock or for the commit's fsync (LED-4).
 * @module
 */
import { loadOptional } from '../optional.js';
import { connectSqlite, writeOperations } from './sqlite-write.js';
import { serveThread } from './thread.js';

void serveThread(async (data) => {
  const { path, busyTimeoutMs } = data as { path: string; busyTimeoutMs: number };
  const Driver = (await loadOptional({ name: 'better-sqlite3' })).default;
  const ops = writeOperations(connectSqlite(Driver, { path, busyTimeoutMs }));
  return (op, args) => (ops[op as keyof typeof ops] as (...a: unknown[]) => unknown)(...args);
});
