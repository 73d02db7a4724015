/**
 * The index: workflows newest first, with their first and last recording time, task count,
 * issuers and DAG status; a search by jti, issuer, action and time range (UTC). The search form
 * is a plain GET form of this page; paging follows the server's cursor.
 * @module
 */
import type { IndexPage } from '../api.js';
import { getJson } from './api-client.js';
import { clip, h, isoTime, link, replace, verdict, workflowPath } from './dom.js';

const FIELDS = [
  ['jti', 'jti (exact)'],
  ['iss', 'issuer contains'],
  ['exec_act', 'action contains'],
] as const;

/** A datetime-local value read as UTC milliseconds, or undefined. */
function utcMillis(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const ms = Date.parse(`${value}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

function searchForm(params: URLSearchParams): HTMLFormElement {
  const input = (name: string, label: string, type = 'text'): HTMLElement =>
    h(
      'label',
      {},
      `${label} `,
      h('input', { attrs: { name, type, value: params.get(name) ?? '', maxlength: '1000' } }),
    );
  return h(
    'form',
    { class: 'search', attrs: { method: 'get', action: '/' } },
    ...FIELDS.map(([name, label]) => input(name, label)),
    input('from', 'recorded from (UTC)', 'datetime-local'),
    input('to', 'to (UTC)', 'datetime-local'),
    h('button', { attrs: { type: 'submit' } }, 'Search'),
    ' ',
    link('/', 'clear'),
  );
}

/** Builds the index page into `main`. */
export async function indexPage(main: HTMLElement): Promise<void> {
  const params = new URLSearchParams(window.location.search);
  const api = new URLSearchParams();
  for (const [name] of FIELDS) {
    const value = params.get(name);
    if (value !== null && value !== '') api.set(name, value);
  }
  const from = utcMillis(params.get('from'));
  const to = utcMillis(params.get('to'));
  if (from !== undefined) api.set('from', String(from));
  // A datetime-local has minutes: the whole last minute is included.
  if (to !== undefined) api.set('to', String(to + 59_999));
  const before = params.get('before');
  if (before !== null && before !== '') api.set('before', before);
  const results = h('div', { class: 'results' }, h('p', { class: 'muted' }, 'loading…'));
  replace(main, h('h1', {}, 'Workflows'), searchForm(params), results);
  let page: IndexPage;
  try {
    page = await getJson<IndexPage>(`/api/workflows?${api.toString()}`);
  } catch (error) {
    replace(results, verdict('bad', (error as Error).message));
    return;
  }
  const rows = page.rows.map((row) =>
    h(
      'tr',
      {},
      h(
        'td',
        { class: 'wid' },
        link(
          workflowPath(row),
          row.wid === null ? `task seq ${row.seq} (no wid)` : clip(row.wid, 80),
        ),
      ),
      h('td', {}, isoTime(row.first)),
      h('td', {}, isoTime(row.last)),
      h('td', { class: 'num' }, String(row.tasks)),
      h(
        'td',
        { class: 'issuers' },
        ...row.issuers.map((i) => h('div', { attrs: { title: i } }, clip(i, 60))),
        row.moreIssuers > 0 ? h('div', { class: 'muted' }, `and ${row.moreIssuers} more`) : null,
      ),
      h('td', {}, verdict(row.status.ok ? 'ok' : 'bad', clip(row.status.text, 120))),
    ),
  );
  const next = new URLSearchParams(params);
  if (page.next !== null) next.set('before', String(page.next));
  replace(
    results,
    h(
      'p',
      { class: 'muted' },
      `${page.size} entries in the ledger · ${page.rows.length} rows · ${page.scanned} entries examined`,
    ),
    rows.length === 0
      ? h('p', {}, 'No workflow matches.')
      : h(
          'table',
          { class: 'index' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['workflow', 'first recorded', 'last recorded', 'tasks', 'issuers', 'status'].map(
                (c) => h('th', {}, c),
              ),
            ),
          ),
          h('tbody', {}, ...rows),
        ),
    h(
      'p',
      { class: 'paging' },
      before === null ? null : link(`/?${withoutBefore(params)}`, '⇤ newest'),
      ' ',
      page.next === null ? null : link(`/?${next.toString()}`, 'older →'),
    ),
  );
}

function withoutBefore(params: URLSearchParams): string {
  const copy = new URLSearchParams(params);
  copy.delete('before');
  return copy.toString();
}
