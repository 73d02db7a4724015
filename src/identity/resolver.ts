/**
 * A resolver function `(header, claims) => key` as a key source (custom resolution).
 * @module
 */
import { KeyObject } from 'node:crypto';
import { importPublicKey } from '../crypto/keys.js';
import type { KeyResolver, KeySource, ResolvedKey } from './key-source.js';

function isResolvedKey(value: unknown): value is ResolvedKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof KeyObject) &&
    (value as ResolvedKey).key instanceof KeyObject
  );
}

/** Wraps a resolver function; what it returns is imported (and cached) as a public key. */
export function resolverSource(resolver: KeyResolver): KeySource {
  return {
    async resolve({ header, claims }): Promise<ResolvedKey> {
      const found = await resolver(header, claims);
      if (isResolvedKey(found)) return found;
      return { key: importPublicKey(found, 'key resolver result') };
    },
  };
}
