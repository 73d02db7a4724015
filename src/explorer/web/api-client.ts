/**
 * Reading the explorer's JSON API: same origin only (the Content-Security-Policy allows nothing
 * else), with the server's error text shown as text when a request fails.
 * @module
 */

/** A failed request, with the server's one-line reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GETs `path` and parses its JSON. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new ApiError(response.status, `${response.status}: ${text.slice(0, 300)}`);
  }
  return (await response.json()) as T;
}
