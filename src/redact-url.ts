/**
 * Store URLs in messages without their secrets: a password in `postgres://user:secret@host` or
 * `redis://:secret@host` must never reach an error message or a log. Used by the backends and by
 * `stores/`, which opens them, so it sits below both.
 * @module
 */

/** The URL with its password (and any `password` query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    for (const name of ['password', 'pass', 'sslpassword']) {
      if (parsed.searchParams.has(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    // Not a URL the WHATWG parser accepts: blank out anything between "//user:" and "@".
    return url.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@');
  }
}
