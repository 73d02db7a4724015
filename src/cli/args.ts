/**
 * Parsers for option values, shared by the commands. Each throws commander's
 * `InvalidArgumentError`, which the program turns into a usage error (exit 2).
 * @module
 */
import { InvalidArgumentError } from 'commander';
import { isAlgorithm, ALGORITHMS, type Algorithm } from '../crypto/algorithms.js';
import type { Level } from '../format/types.js';

/** A non-negative whole number of seconds (a Unix time or a duration). */
export function parseSeconds(value: string): number {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(
      `expected a whole number of seconds, got ${JSON.stringify(value)}`,
    );
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${value} is too large`);
  return n;
}

/** A positive whole number of seconds. */
export function parsePositiveSeconds(value: string): number {
  const n = parseSeconds(value);
  if (n === 0) throw new InvalidArgumentError('must be more than 0');
  return n;
}

/** An assurance level among `allowed`. */
export function levelParser(allowed: readonly Level[]): (value: string) => Level {
  return (value) => {
    const n = Number(value);
    if (!allowed.includes(n as Level))
      throw new InvalidArgumentError(
        `expected ${allowed.join(', ')}; got ${JSON.stringify(value)}`,
      );
    return n as Level;
  };
}

/** A supported algorithm name. */
export function parseAlgorithm(value: string): Algorithm {
  if (!isAlgorithm(value))
    throw new InvalidArgumentError(`expected one of ${ALGORITHMS.join(', ')}`);
  return value;
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A ledger sequence number: a whole number from 1. */
export function parseSequence(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
    throw new InvalidArgumentError(
      `expected a sequence number (1, 2, …), got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** A ledger tree size: a whole number from 0. */
export function parseTreeSize(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(
      `expected a tree size (0, 1, 2, …), got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** A TCP port, 0 to 65535 (0: the system picks a free one). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}
