/**
 * `inp_hash` / `out_hash` values (CLM-9): unpadded base64url of the SHA-256 digest of the bytes,
 * with no algorithm prefix.
 * @module
 */
import { createHash } from 'node:crypto';

/**
 * The CLM-9 digest of bytes (or of a string's UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { createECT, generateKeyPair, hashBytes } from 'wimse-ect';
 *
 * const key = generateKeyPair();
 * const report = 'all 42 tests pass';
 * const token = createECT(
 *   {
 *     iss: 'spiffe://example.org/ci',
 *     aud: 'spiffe://example.org/release',
 *     exec_act: 'run_tests',
 *     out_hash: hashBytes(report),
 *   },
 *   { key: key.privateJwk },
 * );
 * ```
 */
export function hashBytes(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64url');
}

/**
 * The CLM-9 digest of a stream of bytes: a Node stream, a web `ReadableStream`, or any async
 * iterable.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { hashStream } from 'wimse-ect';
 *
 * // The inp_hash of a file, without reading it into memory.
 * const inp_hash = await hashStream(createReadStream(new URL(import.meta.url)));
 * console.log(inp_hash.length); // 43
 * ```
 */
export async function hashStream(
  stream: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>,
): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) hash.update(chunk);
  return hash.digest('base64url');
}
