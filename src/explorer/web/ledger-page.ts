/**
 * The ledger's status: its identity, the latest checkpoint with its signature checked in this
 * page, the witnesses' cosignatures (checked against the witness keys pinned here), the keys the
 * page trusts, and the integrity check, run on demand with its progress streamed (server-sent
 * events).
 * @module
 */
import type { IntegrityEvent, StatusView } from '../api.js';
import { h, replace, verdict } from './dom.js';
import { parseNote, verifyCosignature, verifyNote } from './proof-check.js';
import { ledgerKey, pinVkey, pinWitnesses, pinnedVkey, witnessVkeys } from './trust.js';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function cosignatureRows(note: string): HTMLElement {
  let signatures;
  try {
    signatures = parseNote(note).signatures;
  } catch (error) {
    return verdict('bad', (error as Error).message);
  }
  const rows = signatures.slice(1).map((s) => {
    const time =
      s.signature.length === 72
        ? new Date(
            Number(new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0)) *
              1000,
          ).toISOString()
        : '—';
    return h(
      'tr',
      {},
      h('td', {}, s.name),
      h('td', {}, h('code', {}, hex(s.keyId))),
      h('td', {}, time),
    );
  });
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No witness cosignature on it.');
  return h(
    'table',
    { class: 'fields' },
    h('tr', {}, h('th', {}, 'witness'), h('th', {}, 'key ID'), h('th', {}, 'time (as signed)')),
    ...rows,
  );
}

function integritySection(): HTMLElement {
  const bar = h('progress', { attrs: { max: '1', value: '0' } });
  const text = h('p', { class: 'integrity-result' }, 'Not run yet.');
  const button = h('button', { attrs: { type: 'button' } }, 'Run the integrity check');
  button.addEventListener('click', () => {
    button.disabled = true;
    replace(text, verdict('wait', 'checking…'));
    const events = new EventSource('/api/integrity');
    const end = (): void => {
      events.close();
      button.disabled = false;
    };
    events.addEventListener('message', (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as IntegrityEvent;
      if (event.type === 'progress') {
        bar.max = Math.max(1, event.total);
        bar.value = event.checked;
        replace(text, verdict('wait', `checked ${event.checked} of ${event.total} entries…`));
      } else if (event.type === 'done') {
        bar.value = bar.max;
        replace(
          text,
          verdict(event.ok ? 'ok' : 'bad', event.summary),
          event.problem === undefined
            ? ''
            : h('span', { class: 'problem' }, ` first problem: ${event.problem}`),
        );
        end();
      } else {
        replace(text, verdict('bad', `the check could not run: ${event.message}`));
        end();
      }
    });
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED) return;
      replace(text, verdict('bad', 'the connection to the explorer was lost'));
      end();
    });
  });
  return h(
    'section',
    { class: 'detail-section' },
    h('h2', {}, 'Integrity'),
    h(
      'p',
      { class: 'muted' },
      'Re-derives every stored row, recomputes the tree and checks every signed checkpoint ' +
        '(ect ledger verify), on the server.',
    ),
    button,
    ' ',
    bar,
    text,
  );
}

function keySection(status: StatusView): HTMLElement {
  const input = h('textarea', { attrs: { rows: '2', cols: '80', spellcheck: 'false' } });
  input.value = pinnedVkey(status.origin) ?? '';
  const witnesses = h('textarea', { attrs: { rows: '3', cols: '80', spellcheck: 'false' } });
  witnesses.value = witnessVkeys().join('\n');
  const save = h('button', { attrs: { type: 'button' } }, 'Pin these keys in this browser');
  save.addEventListener('click', () => {
    if (status.origin !== null) pinVkey(status.origin, input.value);
    pinWitnesses(witnesses.value);
    window.location.reload();
  });
  return h(
    'section',
    { class: 'detail-section' },
    h('h2', {}, 'Keys this page checks with'),
    h('label', { class: 'block' }, "Ledger verifier key you hold (empty: the server's)", input),
    h('label', { class: 'block' }, 'Witness verifier keys you trust, one per line', witnesses),
    save,
  );
}

/** Builds the ledger page into `main`. */
export async function ledgerPage(main: HTMLElement, status: StatusView): Promise<void> {
  const key = ledgerKey(status);
  const note = status.checkpoint;
  const signature =
    note === null || key.vkey === null
      ? verdict('none', 'no checkpoint or no verifier key')
      : await verifyNote(note, key.vkey).then((s) =>
          verdict(s.ok ? 'ok' : 'bad', `${s.label}: ${s.detail}`),
        );
  const cosigned =
    note === null ? [] : await Promise.all(witnessVkeys().map((w) => verifyCosignature(note, w)));
  replace(
    main,
    h('h1', {}, status.mode === 'bundle' ? 'Evidence bundle' : 'Ledger'),
    h(
      'table',
      { class: 'fields' },
      ...(
        [
          ['location', status.location],
          ['origin', status.origin ?? '(new, empty ledger)'],
          ['entries', String(status.size)],
          ['verifier key in use', key.vkey ?? '(none)'],
          ['key from', key.source],
          ['issuer keys (token signatures)', status.keys],
        ] as const
      ).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, h('code', {}, v)))),
    ),
    h(
      'section',
      { class: 'detail-section' },
      h('h2', {}, status.mode === 'bundle' ? "The bundle's checkpoint" : 'Latest checkpoint'),
      signature,
      h('pre', { class: 'value' }, note ?? '(none)'),
      h('h3', {}, 'Witness cosignatures'),
      note === null ? '' : cosignatureRows(note),
      h(
        'ul',
        { class: 'steps' },
        ...cosigned.map((s) => h('li', {}, verdict(s.ok ? 'ok' : 'bad', s.label), ` ${s.detail}`)),
      ),
    ),
    keySection(status),
    integritySection(),
  );
}
