/**
 * The audit explorer's HTTP server (`ect explore`): node:http, GET and HEAD only (anything else is
 * 405, so nothing served can change the ledger, which is opened without its key anyway), the
 * access policy of auth.ts, the security headers of headers.ts on every response.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECTConfigError } from '../../errors.js';
import type { IntegrityEvent } from '../api.js';
import { explorerAssets, type Assets } from './assets.js';
import { decideAccess, isLoopback, newToken } from './auth.js';
import { setSecurityHeaders } from './headers.js';
import { HttpError, route, type Reply } from './routes.js';
import type { ExplorerSource } from './source.js';

/** Options of `startExplorer`. */
export interface ExplorerOptions {
  readonly source: ExplorerSource;
  /** Address to listen on (default 127.0.0.1); any other than loopback requires the token. */
  readonly host?: string;
  /** TCP port (default 0: a free one). */
  readonly port?: number;
  /** The bearer token on a non-loopback address (default: a new random one). */
  readonly token?: string;
  /** The page files (default: the built ones, or bundled from source). */
  readonly assets?: () => Promise<Assets>;
  /** Told about failures that are not the request's fault (logged, answered 500). */
  readonly onError?: (error: unknown) => void;
}

/** A running explorer. */
export interface RunningExplorer {
  /** The URL to open (without the token). */
  readonly url: string;
  /** The bearer token, on a non-loopback address. */
  readonly token: string | undefined;
  /** Stops listening and closes the source. */
  close(): Promise<void>;
}

const ALLOWED_METHODS = 'GET, HEAD';

function sendText(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`${message}\n`);
}

/** The page asking for the token (a GET form: the token then goes through the URL once). */
function sendLogin(res: ServerResponse, message: string): void {
  res.statusCode = 401;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('WWW-Authenticate', 'Bearer realm="ect-explorer"');
  res.end(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ECT explorer: token' +
      '</title></head><body><h1>ECT audit explorer</h1>' +
      `<p>${message === 'wrong token' ? 'Wrong token.' : 'This explorer needs the token it printed at start.'}</p>` +
      '<form method="get" action="/"><label>Token <input name="token" type="password" ' +
      'autocomplete="off" required></label> <button>Open</button></form></body></html>\n',
  );
}

function sendReply(
  req: IncomingMessage,
  res: ServerResponse,
  reply: Reply & { kind: 'body' },
): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', reply.type);
  res.setHeader('Cache-Control', 'no-store');
  if (reply.download !== undefined) {
    res.setHeader('Content-Disposition', `attachment; filename="${reply.download}"`);
  }
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Streams an integrity run as server-sent events. */
async function sendEvents(res: ServerResponse, source: ExplorerSource): Promise<void> {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.flushHeaders();
  const write = (event: IntegrityEvent): void => {
    if (!res.destroyed && !res.writableEnded) res.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  await source.integrity(write);
  res.end();
}

/** Starts the explorer; resolves once it listens. Throws `ECTConfigError` when it cannot. */
export async function startExplorer(options: ExplorerOptions): Promise<RunningExplorer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  const token = loopback ? undefined : (options.token ?? newToken());
  const assets = options.assets ?? explorerAssets;
  const { source } = options;
  let loopbackHosts: ReadonlySet<string> = new Set();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', ALLOWED_METHODS);
      return sendText(res, 405, 'the explorer is read-only: GET and HEAD only');
    }
    const url = new URL(req.url ?? '/', 'http://explorer.invalid');
    const access = decideAccess({ req, url, token, loopbackHosts });
    if (access.kind === 'deny') {
      if (access.status === 401) return sendLogin(res, access.message);
      return sendText(res, access.status, access.message);
    }
    if (access.kind === 'login') {
      res.statusCode = 303;
      res.setHeader('Set-Cookie', access.cookie);
      res.setHeader('Location', access.location);
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
      return;
    }
    try {
      const reply = await route({ req, url, source, assets });
      if (reply.kind === 'events') await sendEvents(res, source);
      else sendReply(req, res, reply);
    } catch (error) {
      if (error instanceof HttpError) return sendText(res, error.status, error.message);
      if (error instanceof ECTConfigError) return sendText(res, 400, error.message);
      options.onError?.(error);
      if (!res.headersSent)
        sendText(res, 500, "internal error (see the explorer's standard error)");
      else res.end();
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  loopbackHosts = new Set(
    [host, '127.0.0.1', 'localhost', '[::1]'].map((h) =>
      `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}`.toLowerCase(),
    ),
  );
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await source.close();
    },
  };
}
