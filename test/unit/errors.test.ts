import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import {
  ECT_ERROR_CODES,
  ECTConfigError,
  ECTError,
  isECTError,
  isECTErrorCode,
} from '../../src/errors.js';

// Profile section 11, in the profile's order.
const SECTION_11 = [
  'ECT_TOO_LARGE',
  'ECT_MALFORMED',
  'ECT_LEVEL_TOO_LOW',
  'ECT_TYP_INVALID',
  'ECT_ALG_NOT_ALLOWED',
  'ECT_CRIT_UNSUPPORTED',
  'ECT_KEY_UNRESOLVED',
  'ECT_SIGNATURE_INVALID',
  'ECT_CLAIM_MISSING',
  'ECT_CLAIM_INVALID',
  'ECT_EXT_LIMIT',
  'ECT_ISSUER_MISMATCH',
  'ECT_AUDIENCE_MISMATCH',
  'ECT_EXPIRED',
  'ECT_IAT_FUTURE',
  'ECT_IAT_TOO_OLD',
  'ECT_DAG_DUPLICATE',
  'ECT_DAG_PREDECESSOR_UNKNOWN',
  'ECT_DAG_TEMPORAL',
  'ECT_DAG_CYCLE',
  'ECT_DAG_LIMIT',
  'ECT_DAG_WORKFLOW_MISMATCH',
  'ECT_DAG_LEVEL',
  'ECT_REPLAY',
  'ECT_REPLAY_STORE_UNAVAILABLE',
  'ECT_LEDGER_UNAVAILABLE',
];

describe('error codes (section 11)', () => {
  test('the exported codes are exactly the 26 codes of section 11', () => {
    assert.deepEqual([...ECT_ERROR_CODES], SECTION_11);
    for (const code of SECTION_11) assert.equal(isECTErrorCode(code), true);
    for (const other of [
      'ECT_CONFIG_INVALID',
      'ECT_RECEIPT_INVALID',
      'ect_malformed',
      '',
      undefined,
      1,
    ])
      assert.equal(isECTErrorCode(other), false);
  });

  test('ECTError carries the code and context; withContext keeps the code and adds what was learned', () => {
    const cause = new Error('inner');
    const error = new ECTError('ECT_EXPIRED', 'expired', { member: 'exp', level: 2, cause });
    assert.equal(error.name, 'ECTError');
    assert.equal(error.code, 'ECT_EXPIRED');
    assert.equal(error.member, 'exp');
    assert.equal(error.cause, cause);
    assert.equal(error.legacy, false);
    const more = error.withContext({ claims: { jti: 'x' }, legacy: true });
    assert.ok(more instanceof ECTError);
    assert.equal(more.code, 'ECT_EXPIRED');
    assert.equal(more.member, 'exp');
    assert.equal(more.level, 2);
    assert.deepEqual(more.claims, { jti: 'x' });
    assert.equal(more.legacy, true);
    assert.equal(more.cause, cause);
  });

  test('isECTError recognises ECTError (also from another copy of the package) but not configuration errors', () => {
    assert.equal(isECTError(new ECTError('ECT_REPLAY', 'r')), true);
    assert.equal(isECTError(Object.assign(new Error('x'), { code: 'ECT_REPLAY' })), true);
    assert.equal(isECTError(new ECTConfigError('ECT_MIN_LEVEL', 'bad')), false);
    assert.equal(isECTError({ code: 'ECT_REPLAY' }), false);
    const config = new ECTConfigError('options.audience', 'required');
    assert.equal(config.code, 'ECT_CONFIG_INVALID');
    assert.equal(config.setting, 'options.audience');
    assert.match(config.message, /^options\.audience: /);
  });
});
