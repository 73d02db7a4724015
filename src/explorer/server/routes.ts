/**
 * The explorer's routes, all GET (or HEAD): the page (one HTML shell for every page path), its
 * two asset files, the JSON API, the integrity run as server-sent events, and exports. Path
 * segments are percent-decoded once; ids are never put into HTML by the server.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { IndexQuery } from '../api.js';
import type { Assets } from './assets.js';
import type { ExplorerSource, WorkflowKey } from './source.js';

/** The HTML of every page: the script builds the page; nothing inline. */
const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ECT audit explorer</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<noscript>The ECT audit explorer needs JavaScript: it checks every proof in this page.</noscript>
</body>
</html>
`;

/** A request the routes could not serve, with the status to answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What one route answers. */
export type Reply =
  | {
      readonly kind: 'body';
      readonly type: string;
      readonly body: string | Buffer;
      readonly download?: string;
    }
  | { readonly kind: 'events' };

function json(value: unknown): Reply {
  return { kind: 'body', type: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new HttpError(404, `no such ${what}`);
  return value;
}

/** A positive safe integer from a path segment or query value. */
function integer(text: string | null | undefined, what: string): number {
  if (text === null || text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) {
    throw new HttpError(400, `${what} must be a positive integer`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `${what} is too large`);
  return n;
}

/** A non-empty search text of bounded length, or undefined. */
function text(value: string | null, what: string): string | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (value.length > 1000) throw new HttpError(400, `${what} is longer than 1000 characters`);
  return value.trim();
}

/** The index query of the URL's parameters. */
export function indexQuery(params: URLSearchParams): IndexQuery {
  const optional = (name: string): number | undefined =>
    params.get(name) === null || params.get(name) === ''
      ? undefined
      : integer(params.get(name), name);
  const query: Record<string, unknown> = {
    before: optional('before'),
    limit: optional('limit'),
    jti: text(params.get('jti'), 'jti'),
    iss: text(params.get('iss'), 'iss'),
    execAct: text(params.get('exec_act'), 'exec_act'),
    from: optional('from'),
    to: optional('to'),
  };
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
}

/** The workflow a path names: `workflows/<wid>` or `tasks/<seq>`. */
function keyOf(kind: string, id: string): WorkflowKey {
  if (kind === 'workflows') {
    if (id.length === 0 || id.length > 1000) throw new HttpError(400, 'bad workflow id');
    return { wid: id };
  }
  return { seq: integer(id, 'seq') };
}

/** A file name part made of safe characters only (Content-Disposition). */
function fileName(key: WorkflowKey): string {
  const raw = 'wid' in key ? key.wid : `task-${key.seq}`;
  return raw.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'workflow';
}

/** The decoded path segments; a malformed escape is a 400. */
function segments(pathname: string): string[] {
  try {
    return pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'malformed path');
  }
}

/** Answers a GET: the reply, or throws HttpError. */
export async function route(options: {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly source: ExplorerSource;
  readonly assets: () => Promise<Assets>;
}): Promise<Reply> {
  const { url, source } = options;
  const parts = segments(url.pathname);
  const [first = '', second, third, fourth] = parts;
  const n = parts.length;
  if ((first === '' && n === 1) || (first === 'ledger' && n === 1)) return html();
  if ((first === 'workflows' || first === 'tasks') && n === 2) return html();
  if (first === 'assets' && n === 2) {
    const asset = found((await options.assets()).get(second ?? ''), 'file');
    return { kind: 'body', type: asset.type, body: asset.body };
  }
  if (first === 'api') return api(parts.slice(1), url, source);
  if (first === 'export' && n === 4 && (second === 'workflows' || second === 'tasks')) {
    const key = keyOf(second, third ?? '');
    if (fourth === 'bundle.json') {
      const body = found(await source.bundle(key), 'workflow');
      const download = `${fileName(key)}.bundle.json`;
      return { kind: 'body', type: 'application/json; charset=utf-8', body, download };
    }
    if (fourth === 'dag.mmd') {
      const body = found(await source.mermaid(key), 'workflow');
      return {
        kind: 'body',
        type: 'text/plain; charset=utf-8',
        body,
        download: `${fileName(key)}.mmd`,
      };
    }
  }
  throw new HttpError(404, 'not found');
}

function html(): Reply {
  return { kind: 'body', type: 'text/html; charset=utf-8', body: SHELL };
}

async function api(parts: readonly string[], url: URL, source: ExplorerSource): Promise<Reply> {
  const [first, second, third] = parts;
  const n = parts.length;
  if (first === 'status' && n === 1) return json(await source.status());
  if (first === 'integrity' && n === 1) return { kind: 'events' };
  if (first === 'workflows' && n === 1)
    return json(await source.index(indexQuery(url.searchParams)));
  if (
    (first === 'workflows' || first === 'tasks') &&
    (n === 2 || (n === 3 && third === 'proofs'))
  ) {
    const key = keyOf(first, second ?? '');
    if (n === 2) return json(found(await source.workflow(key), 'workflow'));
    return json(found(await source.proofs(key), 'workflow'));
  }
  if (first === 'entries' && n === 2) {
    return json(found(await source.entry(integer(second, 'seq')), 'entry'));
  }
  throw new HttpError(404, 'no such API');
}
