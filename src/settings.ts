/**
 * The one check of a numeric or enumerated setting (verifier options, identity sources, HTTP
 * limits, replay stores, creation): its default, its range, and the `ECTConfigError` naming it
 * when it is wrong. Every option of the library is checked here, once, when the object that uses
 * it is built, never at the first token.
 * @module
 */
import { ECTConfigError } from './errors.js';

/** What `numberSetting` accepts. */
export interface NumberSettingOptions {
  /** The value given (anything: it may come from JSON or an untyped caller). */
  readonly value: unknown;
  /** Used when `value` is `undefined`; not checked. Without it, `undefined` is an error. */
  readonly fallback?: number;
  /** The setting named in the error (`options.maxPred`, `trust.x509.cache_size`). */
  readonly setting: string;
  /** Smallest value allowed (default 0). */
  readonly min?: number;
  /** The value must be more than `min`, not equal to it (default false). */
  readonly exclusive?: boolean;
  /** Only safe integers (default false: any finite number). */
  readonly integer?: boolean;
  /** For the message: `seconds`, `milliseconds`, `bytes`. */
  readonly unit?: string;
}

/**
 * A finite number (or safe integer) of at least `min` (more than `min` when `exclusive`), or the
 * fallback when none is given. Throws `ECTConfigError` naming the setting and the value.
 */
export function numberSetting(options: NumberSettingOptions): number {
  const { value, setting } = options;
  if (value === undefined && options.fallback !== undefined) return options.fallback;
  const min = options.min ?? 0;
  const integer = options.integer === true;
  const inRange =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (options.exclusive === true ? value > min : value >= min) &&
    (!integer || Number.isSafeInteger(value));
  if (inRange) return value;
  const unit = options.unit === undefined ? '' : ` of ${options.unit}`;
  const kind = `${integer ? 'an integer' : 'a number'}${unit}`;
  const bound = options.exclusive === true ? `more than ${min}` : `at least ${min}`;
  throw new ECTConfigError(setting, `must be ${kind} of ${bound}, got ${describe(value)}`);
}

/** A count or a duration in whole units: `numberSetting` with a minimum of 1, integers only. */
export function positiveIntegerSetting(
  options: Omit<NumberSettingOptions, 'min' | 'exclusive' | 'integer'>,
): number {
  return numberSetting({ ...options, min: 1, integer: true });
}

/** What `choiceSetting` accepts. */
export interface ChoiceSettingOptions<T extends string> {
  readonly value: unknown;
  readonly fallback: T;
  readonly setting: string;
  /** Every value allowed. */
  readonly choices: readonly T[];
}

/** One of `choices`, or the fallback when none is given. Throws `ECTConfigError` otherwise. */
export function choiceSetting<T extends string>(options: ChoiceSettingOptions<T>): T {
  const { value, choices } = options;
  if (value === undefined) return options.fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value))
    return value as T;
  const list = choices.map((choice) => JSON.stringify(choice));
  const allowed = list.length <= 2 ? list.join(' or ') : `one of ${list.join(', ')}`;
  throw new ECTConfigError(options.setting, `must be ${allowed}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
