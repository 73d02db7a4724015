/**
 * The selected task: fetched from the server, then checked here (leaf hash, Merkle path,
 * checkpoint signature) before anything is shown as verified. Header and claims are decoded from
 * the proven entry's token; long values wrap inside their box.
 * @module
 */
import type { EntryView, TaskNode } from '../api.js';
import { getJson } from './api-client.js';
import { clip, h, isoTime, link, replace, verdict, workflowPath } from './dom.js';
import { checkEntry, sha256, toBase64Url, type EntryCheck } from './proof-check.js';
import { decodeToken, summaryDifferences } from './token-view.js';
import type { KeyChoice } from './trust.js';

function section(title: string, ...body: (Node | string)[]): HTMLElement {
  return h('section', { class: 'detail-section' }, h('h3', {}, title), ...body);
}

function pre(text: string): HTMLPreElement {
  return h('pre', { class: 'value' }, text);
}

function table(rows: readonly (readonly [string, string])[]): HTMLTableElement {
  return h(
    'table',
    { class: 'fields' },
    ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, h('code', {}, v)))),
  );
}

/** A claim shown as text: a string as it is, anything else as JSON. */
function text(value: unknown, missing: string): string {
  if (value === undefined) return missing;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function json(value: unknown): string {
  return value === undefined ? '(does not decode)' : JSON.stringify(value, null, 2);
}

/** Shows the task in `panel`, checking its proof; resolves to the check. */
export async function showTask(options: {
  readonly panel: HTMLElement;
  readonly task: TaskNode;
  readonly key: KeyChoice;
}): Promise<EntryCheck | undefined> {
  const { panel, task, key } = options;
  replace(panel, h('p', { class: 'muted' }, `loading task seq ${task.seq}…`));
  let view: EntryView;
  try {
    view = await getJson<EntryView>(`/api/entries/${task.seq}`);
  } catch (error) {
    replace(panel, verdict('bad', `cannot load the entry: ${(error as Error).message}`));
    return undefined;
  }
  const check = await checkEntry({ entry: view.entry, proof: view.proof, vkey: key.vkey });
  const fields = check.fields;
  const differences = fields === undefined ? [] : summaryDifferences(task, fields);
  const decoded = fields === undefined ? undefined : decodeToken(fields.token);
  const tokenHash =
    fields === undefined ? '' : toBase64Url(await sha256(new TextEncoder().encode(fields.token)));
  const failed = check.steps.find((s) => !s.ok);
  const claims = decoded?.claims ?? {};
  const sig = view.signature;
  replace(
    panel,
    h('h2', { class: 'task-title' }, clip(text(claims['exec_act'], task.execAct), 300)),
    h('p', { class: 'muted wrap' }, `jti ${task.jti} · seq ${task.seq}`),
    h(
      'p',
      { class: 'proof-verdict', attrs: { 'data-ok': String(check.ok) } },
      check.ok
        ? verdict('ok', 'proof verified (checked in this page)')
        : verdict('bad', `proof FAILED: ${failed?.label ?? ''}: ${failed?.detail ?? ''}`),
    ),
    h(
      'ul',
      { class: 'steps' },
      ...check.steps.map((s) => h('li', {}, verdict(s.ok ? 'ok' : 'bad', s.label), ' ', s.detail)),
      h(
        'li',
        {},
        differences.length === 0
          ? verdict('ok', "server's summary matches the proven entry")
          : verdict(
              'bad',
              `server's summary differs from the proven entry: ${differences.join(', ')}`,
            ),
      ),
      h(
        'li',
        {},
        verdict(
          sig.state === 'valid' ? 'ok' : sig.state === 'invalid' ? 'bad' : 'none',
          'token signature',
        ),
        ` ${sig.message} (checked by the server with the issuers' keys)`,
      ),
    ),
    task.wid === null
      ? null
      : h('p', {}, link(workflowPath({ wid: task.wid, seq: task.seq }), 'workflow page')),
    section('Header', pre(json(decoded?.header ?? null))),
    section('Claims', pre(json(decoded?.claims))),
    section(
      'Hashes (computed in this page)',
      table([
        ['leaf hash (RFC 9162)', check.leafHash ?? '—'],
        ['token SHA-256', tokenHash || '—'],
      ]),
    ),
    section(
      'Receipt',
      h(
        'p',
        { class: 'muted' },
        'The receipt fields, re-derived from the proven entry. The signed receipt (JWS) went to ' +
          'whoever recorded the token; the ledger keeps the entry, its proof and the signed ' +
          'checkpoint, which prove the same.',
      ),
      table([
        ['seq', String(fields?.seq ?? '—')],
        ['jti', text(claims['jti'], '—')],
        ['wid', text(claims['wid'], '—')],
        ['level', String(fields?.level ?? '—')],
        [
          'recorded_at',
          fields === undefined ? '—' : `${fields.recordedAt} (${isoTime(fields.recordedAt)})`,
        ],
        ['token_hash', tokenHash || '—'],
        ['leaf_hash', check.leafHash ?? '—'],
      ]),
    ),
    section(
      'Inclusion proof',
      table([
        ['index', String(check.index ?? '—')],
        ['tree size', String(check.checkpoint?.size ?? '—')],
        ['root computed here', check.root ?? '—'],
      ]),
      h('ol', { class: 'path' }, ...(check.path ?? []).map((p) => h('li', {}, h('code', {}, p)))),
    ),
    section(
      'Checkpoint',
      table([
        ['origin', check.checkpoint?.origin ?? '—'],
        ['root', check.checkpoint?.root ?? '—'],
        ['verifier key', key.vkey ?? '(none)'],
        ['key from', key.source],
      ]),
      pre(view.proof.slice(view.proof.indexOf('\n\n') + 2)),
    ),
    section('Entry text (the leaf bytes)', pre(view.entry)),
  );
  return check;
}
