/**
 * Shared set-up of the explorer tests: a SQLite ledger with a few workflows (one of them written
 * by an attacker: markup, script and very long values in exec_act, iss and ect_ext), the issuer's
 * JWK Set, and a running explorer over it.
 */
import { randomUUID } from 'node:crypto';
import { CompactSign, importJWK } from 'jose';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger } from '../../src/stores/open.js';
import { ledgerSource } from '../../src/explorer/server/ledger-source.js';
import { startExplorer, type RunningExplorer } from '../../src/explorer/server/server.js';
import type { ExplorerSource } from '../../src/explorer/server/source.js';
import { tokenChecker } from '../../src/explorer/server/token-check.js';
import { issuer, ledgerKey, makeToken, ORIGIN } from '../ledger/support.js';

/** Markup that must show as text and never run. */
export const HOSTILE_ACT = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">${'W'.repeat(3000)}`;
export const HOSTILE_ISS = `spiffe://evil.example/"><svg onload="window.__pwned=3">${'i'.repeat(2000)}`;
export const HOSTILE_EXT = {
  note: '</pre><script>window.__pwned=4</script>',
  long: 'x'.repeat(10_000),
};

/**
 * A token signed by the issuer's key but made without `createECT`, whose checks would refuse the
 * attacker's values: what a ledger that recorded without verifying could hold.
 */
export async function rawToken(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: 'spiffe://example.org/agent/b',
    iat: now,
    exp: now + 600,
    pred: [],
    ...claims,
  };
  const key = await importJWK(issuer.privateJwk as never, 'ES256');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ: 'exec+jwt', kid: issuer.publicJwk.kid })
    .sign(key);
}

/** The ledger's contents, for assertions. */
export interface Fixture {
  readonly dir: string;
  readonly url: string;
  readonly jwksFile: string;
  readonly vkey: string;
  /** A three-task workflow: a → b, a → c. */
  readonly wid: string;
  readonly jtis: readonly string[];
  /** The attacker's workflow. */
  readonly hostileWid: string;
  /** Many single-task workflows (paging). */
  readonly many: readonly string[];
}

/** Writes the ledger of the tests into `dir` (or the ledger at `url`). */
export async function makeFixture(
  dir: string,
  options: { readonly many?: number; readonly url?: string } = {},
): Promise<Fixture> {
  const url = options.url ?? `sqlite:${join(dir, 'audit.db')}`;
  const ledger = await openLedger(url, { key: ledgerKey.privateJwk, origin: ORIGIN });
  const wid = randomUUID();
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  await ledger.append({ token: makeToken({ jti: a, wid, exec_act: 'fetch_data' }), level: 3 });
  await ledger.append({
    token: makeToken({
      jti: b,
      wid,
      pred: [a],
      exec_act: 'review_spec',
      iss: 'spiffe://example.org/agent/b',
    }),
    level: 3,
  });
  await ledger.append({
    token: makeToken({ jti: c, wid, pred: [a], exec_act: 'approve' }),
    level: 3,
  });
  const hostileWid = randomUUID();
  const h1 = randomUUID();
  await ledger.append({
    token: await rawToken({
      jti: h1,
      wid: hostileWid,
      iss: 'spiffe://example.org/agent/a',
      exec_act: HOSTILE_ACT,
      ect_ext: HOSTILE_EXT,
    }),
    level: 3,
  });
  await ledger.append({
    token: await rawToken({
      jti: randomUUID(),
      wid: hostileWid,
      pred: [h1],
      iss: HOSTILE_ISS,
      exec_act: 'x',
    }),
    level: 3,
  });
  const many: string[] = [];
  for (let i = 0; i < (options.many ?? 0); i++) {
    const w = randomUUID();
    many.push(w);
    await ledger.append({ token: makeToken({ wid: w, exec_act: `bulk_${i}` }), level: 3 });
  }
  const vkey = (await ledger.vkey())!;
  await ledger.close();
  const jwksFile = join(dir, 'agents.jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [issuer.publicJwk] }));
  return { dir, url, jwksFile, vkey, wid, jtis: [a, b, c], hostileWid, many };
}

/** The explorer's source over the fixture's ledger, opened read-only. */
export async function fixtureSource(fixture: Fixture): Promise<ExplorerSource> {
  const ledger = await openLedger(fixture.url);
  return ledgerSource({
    ledger,
    tokens: tokenChecker({ keys: undefined, description: 'none' }),
    location: fixture.url,
  });
}

/** An explorer over `source` on 127.0.0.1 (or `host`). */
export async function explorer(
  source: ExplorerSource,
  options: { readonly host?: string } = {},
): Promise<RunningExplorer> {
  return startExplorer({ source, host: options.host ?? '127.0.0.1', port: 0 });
}
