/**
 * Who may use the explorer. On a loopback address, whoever can reach it: the machine's own users
 * (the Host header must name the loopback address, so a web page cannot reach it through DNS
 * rebinding). On any other address, only who holds the bearer token printed at start: as an
 * `Authorization: Bearer` header, in a cookie, or once in the URL (`?token=`), which is turned into
 * an HttpOnly, SameSite=Strict cookie and redirected away so it leaves the address bar. Tokens are
 * compared in constant time.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The cookie that holds the token after a login. */
export const TOKEN_COOKIE = 'ect_explorer_token';

/** Whether `host` is a loopback address (or `localhost`): no token is needed there. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** A new bearer token: 256 random bits, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two secrets of any length (their SHA-256 digests are compared). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** What to do with a request. */
export type AccessDecision =
  | { readonly kind: 'pass' }
  /** The token came in the URL: set the cookie and redirect to `location`. */
  | { readonly kind: 'login'; readonly cookie: string; readonly location: string }
  | { readonly kind: 'deny'; readonly status: 401 | 403; readonly message: string };

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return value.join('=');
  }
  return undefined;
}

/** The access policy of a server bound to `host`; `token` is set for a non-loopback address. */
export function decideAccess(options: {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly token: string | undefined;
  /** The Host header values that name this server on a loopback address. */
  readonly loopbackHosts: ReadonlySet<string>;
}): AccessDecision {
  const { req, url, token } = options;
  if (token === undefined) {
    const host = (req.headers.host ?? '').toLowerCase();
    return options.loopbackHosts.has(host)
      ? { kind: 'pass' }
      : {
          kind: 'deny',
          status: 403,
          message: 'this explorer answers only to its loopback address',
        };
  }
  const inUrl = url.searchParams.get('token');
  if (inUrl !== null) {
    if (!sameSecret(inUrl, token)) {
      return { kind: 'deny', status: 401, message: 'wrong token' };
    }
    const rest = new URL(url.href);
    rest.searchParams.delete('token');
    return {
      kind: 'login',
      cookie: `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      location: `${rest.pathname}${rest.search}`,
    };
  }
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
  const given = bearer ?? cookieToken(req);
  if (given !== undefined && sameSecret(given, token)) return { kind: 'pass' };
  return { kind: 'deny', status: 401, message: 'a token is required' };
}
