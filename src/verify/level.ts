/**
 * The level a token gets (FMT-4, FMT-6, LED-7), decided here and nowhere else: the level of its
 * wire form (1 unsigned, 2 signed), raised to 3 when a ledger has recorded it. The minimum level
 * check (VER-3), the level written into the ledger entry and the level of the result all ask
 * `levelOf`.
 * @module
 */
import type { Level } from '../format/types.js';

/**
 * How recording went for one token: not recorded (no ledger), `recorded` (a receipt), `pending`
 * (LED-7 async mode: recorded later), or `degraded` (LED-7 degrade policy: the ledger failed).
 */
export type Recording = 'none' | 'recorded' | 'pending' | 'degraded';

/** FMT-6: a signed token recorded in a ledger is L3; otherwise the level of its wire form. */
export function levelOf(wire: 1 | 2, recording: Recording): Level {
  return wire === 2 && recording === 'recorded' ? 3 : wire;
}

/**
 * VER-3 (FMT-4, anti-downgrade): whether a token of this wire level can reach `minLevel` with this
 * verifier. An L2 token reaches 3 only through a ledger that records it before it is accepted
 * (`records`: a sync ledger; the options refuse minimum level 3 with an async one).
 */
export function reachesMinimum(options: {
  readonly wire: 1 | 2;
  readonly minLevel: Level;
  readonly records: boolean;
}): boolean {
  return levelOf(options.wire, options.records ? 'recorded' : 'none') >= options.minLevel;
}
