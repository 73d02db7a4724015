/**
 * The explorer page's entry point: the header, then the page the path names (index, ledger,
 * workflow or task). Everything is built with DOM calls from JSON the server sends; proofs are
 * checked in the page with WebCrypto, which needs a secure context (http://127.0.0.1 is one).
 * @module
 */
import type { StatusView } from '../api.js';
import { getJson } from './api-client.js';
import { h, link, replace, verdict } from './dom.js';
import { indexPage } from './index-page.js';
import { ledgerPage } from './ledger-page.js';
import { workflowPage, workflowRef } from './workflow-page.js';

async function start(): Promise<void> {
  const main = h('main', {}, h('p', { class: 'muted' }, 'loading…'));
  const where = h('span', { class: 'where' });
  document.body.replaceChildren(
    h(
      'header',
      { class: 'top' },
      h('strong', {}, 'ECT audit explorer'),
      h('nav', {}, link('/', 'Workflows'), ' ', link('/ledger', 'Ledger')),
      where,
    ),
    main,
  );
  try {
    if (globalThis.crypto?.subtle === undefined) {
      throw new Error(
        'WebCrypto is not available: this page is not a secure context. Open it as ' +
          'http://127.0.0.1:PORT/ (an SSH tunnel to a remote explorer), or over HTTPS.',
      );
    }
    const status = await getJson<StatusView>('/api/status');
    where.textContent = `${status.mode}: ${status.location}`;
    const path = window.location.pathname;
    if (path === '/') return await indexPage(main);
    if (path === '/ledger') return await ledgerPage(main, status);
    const ref = workflowRef(path);
    if (ref !== undefined) return await workflowPage({ main, ref, status });
    replace(main, verdict('bad', 'no such page'));
  } catch (error) {
    replace(main, verdict('bad', (error as Error).message));
  } finally {
    document.body.setAttribute('data-ready', 'true');
  }
}

void start();
