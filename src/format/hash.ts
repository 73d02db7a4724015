/**
 * `inp_hash` / `out_hash` values (CLM-9): unpadded base64url of the SHA-256 digest of the bytes,
 * with no algorithm prefix.
 * @module
 */
import { createHash } from 'node:crypto';

/** The CLM-9 digest of bytes (or of a string's UTF-8 bytes). */
export function hashBytes(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** The CLM-9 digest of a stream of bytes: a Node stream, a web `ReadableStream`, or any async iterable. */
export async function hashStream(stream: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) hash.update(chunk);
  return hash.digest('base64url');
}
