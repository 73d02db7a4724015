/**
 * Which keys the page checks with. The ledger's verifier key the server reports is the ledger's
 * own claim (or the bundle's); an auditor pins the key they hold, and witness keys, in this
 * browser (localStorage), and the page then checks with those instead.
 * @module
 */
import type { StatusView } from '../api.js';

const VKEY_PREFIX = 'ect-explorer:vkey:';
const WITNESSES = 'ect-explorer:witnesses';

/** The verifier key in use and where it comes from. */
export interface KeyChoice {
  readonly vkey: string | null;
  readonly source: string;
}

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** The key pinned for `origin` in this browser, if any. */
export function pinnedVkey(origin: string | null): string | null {
  return origin === null ? null : (storage()?.getItem(VKEY_PREFIX + origin) ?? null);
}

/** Pins (or with null, forgets) the key of `origin`. */
export function pinVkey(origin: string, vkey: string | null): void {
  if (vkey === null || vkey.trim() === '') storage()?.removeItem(VKEY_PREFIX + origin);
  else storage()?.setItem(VKEY_PREFIX + origin, vkey.trim());
}

/** The key the page checks checkpoints with. */
export function ledgerKey(status: StatusView): KeyChoice {
  const pinned = pinnedVkey(status.origin);
  if (pinned !== null) return { vkey: pinned, source: 'pinned in this browser' };
  const source = {
    'command line': 'given on the command line (--ledger-vkey)',
    ledger: "the ledger's own meta table, as the server reports it (pin yours on the Ledger page)",
    bundle: "the bundle's own ledgerVkey: NOT TRUSTED (pin the ledger's key on the Ledger page)",
  }[status.vkeySource];
  return { vkey: status.vkey, source };
}

/** The witness keys pinned in this browser. */
export function witnessVkeys(): string[] {
  return (storage()?.getItem(WITNESSES) ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Pins the witness keys (one per line). */
export function pinWitnesses(text: string): void {
  storage()?.setItem(WITNESSES, text);
}
