import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from './run.js';

const A = 'spiffe://example.org/agent-a';
const B = 'spiffe://example.org/agent-b';
const NOW = 1_800_000_000;
let dir: string;
let key: string;
let jwks: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ect-cli-'));
  key = join(dir, 'a.key.json');
  jwks = join(dir, 'a.jwks.json');
  const r = await cli(['keygen', '--out', key, '--jwks-out', jwks, '--kid', 'agent-a-1']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The JSON output of `ect verify --json` and `ect inspect`, as far as these tests read it. */
interface Report {
  readonly valid?: boolean;
  readonly verified?: boolean;
  readonly code: string | null;
  readonly level: number;
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly legacy: boolean;
}

async function create(extra: string[] = []): Promise<string> {
  const r = await cli([
    'create',
    '--key',
    key,
    '--iss',
    A,
    '--aud',
    B,
    '--exec-act',
    'review_spec',
    '--iat',
    String(NOW),
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

describe('ect keygen', () => {
  test('writes a private JWK (mode 0600) and a JWK Set with the public key', () => {
    const priv = JSON.parse(readFileSync(key, 'utf8')) as {
      kid?: string;
      alg?: string;
      d?: string;
    };
    const set = JSON.parse(readFileSync(jwks, 'utf8')) as { keys: { d?: string }[] };
    assert.equal(priv.kid, 'agent-a-1');
    assert.equal(priv.alg, 'ES256');
    assert.ok(priv.d);
    assert.equal(set.keys.length, 1);
    assert.equal(set.keys[0]!.d, undefined);
    assert.equal(statSync(key).mode & 0o777, 0o600);
  });

  test('refuses to overwrite an existing key without --force (exit 2)', async () => {
    const r = await cli(['keygen', '--out', key]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exists; pass --force/);
  });

  test('rejects an unknown algorithm as a usage error', async () => {
    const r = await cli(['keygen', '--alg', 'HS256', '--out', join(dir, 'x.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ES256/);
  });
});

describe('ect create and verify', () => {
  test('a created token verifies (exit 0) and --json has the contract fields', async () => {
    const token = await create(['--wid', '0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10']);
    const r = await cli([
      'verify',
      token,
      '--jwks',
      jwks,
      '--audience',
      B,
      '--now',
      String(NOW + 5),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stdout);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(Object.keys(report).slice(0, 7), [
      'valid',
      'code',
      'message',
      'level',
      'header',
      'claims',
      'legacy',
    ]);
    assert.equal(report.valid, true);
    assert.equal(report.code, null);
    assert.equal(report.level, 2);
    assert.equal(report.header.kid, 'agent-a-1');
    assert.equal(report.claims.exec_act, 'review_spec');
    assert.equal(report.legacy, false);
  });

  test('VER-9: a wrong audience exits 1 with ECT_AUDIENCE_MISMATCH', async () => {
    const token = await create();
    const r = await cli([
      'verify',
      token,
      '--jwks',
      jwks,
      '--audience',
      'spiffe://example.org/other',
      '--now',
      String(NOW),
      '--json',
    ]);
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as Report).code, 'ECT_AUDIENCE_MISMATCH');
  });

  test('VER-10: --now after expiry exits 1 with ECT_EXPIRED', async () => {
    const token = await create(['--ttl', '60']);
    const r = await cli([
      'verify',
      token,
      '--jwks',
      jwks,
      '--audience',
      B,
      '--now',
      String(NOW + 60 + 31),
      '--json',
    ]);
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as Report).code, 'ECT_EXPIRED');
  });

  test('the token can come from standard input with -', async () => {
    const token = await create();
    const r = await cli(['verify', '-', '--jwks', jwks, '--audience', B, '--now', String(NOW)], {
      stdin: `${token}\n`,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^VALID {2}level 2/);
  });

  test('FMT-4: an L1 token is refused at the default minimum level and accepted with --min-level 1', async () => {
    const r1 = await cli([
      'create',
      '--level',
      '1',
      '--iss',
      A,
      '--aud',
      B,
      '--exec-act',
      'x',
      '--iat',
      String(NOW),
    ]);
    const token = r1.stdout.trim();
    assert.doesNotMatch(token, /\./);
    const low = await cli([
      'verify',
      token,
      '--jwks',
      jwks,
      '--audience',
      B,
      '--now',
      String(NOW),
      '--json',
    ]);
    assert.equal((JSON.parse(low.stdout) as Report).code, 'ECT_LEVEL_TOO_LOW');
    const ok = await cli([
      'verify',
      token,
      '--audience',
      B,
      '--now',
      String(NOW),
      '--min-level',
      '1',
      '--json',
    ]);
    assert.equal(ok.code, 0);
    assert.equal((JSON.parse(ok.stdout) as Report).level, 1);
  });

  test('CLM-9: --inp-file and --out-file set the SHA-256 digests of the files', async () => {
    const file = join(dir, 'input.txt');
    writeFileSync(file, 'abc');
    const r = await cli([
      'create',
      '--key',
      key,
      '--iss',
      A,
      '--aud',
      B,
      '--exec-act',
      'x',
      '--inp-file',
      file,
      '--out-file',
      file,
      '--json',
    ]);
    const claims = (JSON.parse(r.stdout) as Report).claims;
    // SHA-256("abc"), RFC 6234 test vector, in base64url.
    assert.equal(claims.inp_hash, 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.equal(claims.out_hash, claims.inp_hash);
  });

  test('CLM-10: an --ext that is not an object is a usage error; one too deep is ECT_EXT_LIMIT (exit 1)', async () => {
    const bad = await cli([
      'create',
      '--key',
      key,
      '--iss',
      A,
      '--aud',
      B,
      '--exec-act',
      'x',
      '--ext',
      '[1]',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--ext/);
    const deep = await cli([
      'create',
      '--key',
      key,
      '--iss',
      A,
      '--aud',
      B,
      '--exec-act',
      'x',
      '--ext',
      '{"a":{"b":{"c":{"d":{"e":{}}}}}}',
    ]);
    assert.equal(deep.code, 1);
    assert.match(deep.stderr, /ECT_EXT_LIMIT/);
  });

  test('configuration comes from ECT_ variables, and a bad one names the variable (exit 2)', async () => {
    const env = { ECT_KEY_FILE: key, ECT_ISSUER: A, ECT_AUDIENCE: B, ECT_JWKS_FILE: jwks };
    const made = await cli(['create', '--exec-act', 'x', '--iat', String(NOW)], { env });
    assert.equal(made.code, 0, made.stderr);
    const ok = await cli(['verify', made.stdout.trim(), '--now', String(NOW)], { env });
    assert.equal(ok.code, 0, ok.stdout);
    const bad = await cli(['verify', made.stdout.trim()], {
      env: { ...env, ECT_MIN_LEVEL: 'two' },
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /ECT_MIN_LEVEL/);
  });

  test('usage errors exit 2: unknown option, missing audience, --ttl with --exp, bad --now', async () => {
    assert.equal((await cli(['verify', 'x', '--bogus'])).code, 2);
    assert.equal((await cli(['verify', 'x', '--jwks', jwks])).code, 2);
    assert.equal(
      (
        await cli([
          'create',
          '--key',
          key,
          '--iss',
          A,
          '--aud',
          B,
          '--exec-act',
          'x',
          '--ttl',
          '5',
          '--exp',
          '9',
        ])
      ).code,
      2,
    );
    assert.equal((await cli(['verify', 'x', '--audience', B, '--now', 'yesterday'])).code, 2);
    const missing = await cli(['verify', 'x', '--audience', B, '--jwks', join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--jwks: cannot read .*nope\.json: no such file/);
  });

  test('--help answers on every command', async () => {
    for (const command of [
      ['keygen'],
      ['create'],
      ['verify'],
      ['inspect'],
      ['dag'],
      ['dag', 'audit'],
      ['dag', 'render'],
      ['ledger'],
      ['ledger', 'verify'],
      ['ledger', 'export'],
      ['demo'],
    ]) {
      const r = await cli([...command, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Usage: ect/);
    }
  });
});

describe('ect verify --trust', () => {
  test('IDB-1, VER-8: a trust file binds the JWK set to its issuer: accepted for it, ECT_ISSUER_MISMATCH for another (also via ECT_TRUST)', async () => {
    const trust = join(dir, 'trust.json');
    writeFileSync(trust, JSON.stringify({ issuers: [{ iss: A, jwks_file: jwks }] }));
    const good = await create();
    const ok = await cli([
      'verify',
      good,
      '--trust',
      trust,
      '--audience',
      B,
      '--now',
      String(NOW),
      '--json',
    ]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const other = (
      await cli([
        'create',
        '--key',
        key,
        '--iss',
        'spiffe://example.org/impostor',
        '--aud',
        B,
        '--exec-act',
        'x',
        '--iat',
        String(NOW),
      ])
    ).stdout.trim();
    const bad = await cli(['verify', other, '--audience', B, '--now', String(NOW), '--json'], {
      env: { ECT_TRUST: trust },
    });
    assert.equal(bad.code, 1);
    assert.equal((JSON.parse(bad.stdout) as Report).code, 'ECT_ISSUER_MISMATCH');
  });

  test('a trust file with a bad entry is a usage error naming the entry', async () => {
    const trust = join(dir, 'bad-trust.json');
    writeFileSync(
      trust,
      JSON.stringify({ issuers: [{ iss: A, jwks_uri: 'http://keys.example.org/jwks.json' }] }),
    );
    const r = await cli(['verify', 'x', '--trust', trust, '--audience', B]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /issuers\[0\]\.jwks_uri/);
  });
});

describe('ect verify --batch', () => {
  test('DAG-2, VER-11, VER-12: tokens share one store and replay cache; each gets a JSON line', async () => {
    const wid = '5d2c3a3e-1a0f-4a57-b3a1-0c9d2f7e6a11';
    const root = await create(['--wid', wid, '--jti', '11111111-1111-4111-8111-111111111111']);
    const child = await create(['--wid', wid, '--pred', '11111111-1111-4111-8111-111111111111']);
    const orphan = await create(['--wid', wid, '--pred', '99999999-9999-4999-8999-999999999999']);
    const file = join(dir, 'batch.txt');
    writeFileSync(file, [root, child, root, orphan, 'garbage'].join('\n'));
    const r = await cli([
      'verify',
      '--batch',
      file,
      '--dag',
      '--jwks',
      jwks,
      '--audience',
      B,
      '--now',
      String(NOW),
    ]);
    assert.equal(r.code, 1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Report);
    assert.deepEqual(
      lines.map((l) => l.code),
      [null, null, 'ECT_DAG_DUPLICATE', 'ECT_DAG_PREDECESSOR_UNKNOWN', 'ECT_MALFORMED'],
    );
  });

  test('RPL-1: without --dag a repeated token in a batch is a replay', async () => {
    const token = await create();
    const r = await cli(
      ['verify', '--batch', '-', '--jwks', jwks, '--audience', B, '--now', String(NOW)],
      { stdin: `${token}\n${token}\n` },
    );
    const codes = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as Report).code);
    assert.deepEqual(codes, [null, 'ECT_REPLAY']);
    assert.equal(r.code, 1);
  });
});

describe('ect inspect', () => {
  test('decodes without verifying and says so on stderr', async () => {
    const token = await create();
    const r = await cli(['inspect', token, '--json']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /UNVERIFIED/);
    const out = JSON.parse(r.stdout) as Report;
    assert.equal(out.verified, false);
    assert.equal(out.claims.iss, A);
  });

  test('FMT-3: a value with one dot is malformed (exit 1)', async () => {
    const r = await cli(['inspect', 'abc.def', '--json']);
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as Report).code, 'ECT_MALFORMED');
  });
});

test('the built binary runs and maps exit codes (0 help, 2 usage)', () => {
  const bin = join(process.cwd(), 'dist', 'cli', 'main.js');
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: ect/);
  const usage = spawnSync(process.execPath, [bin, 'verify', '--nope'], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.doesNotMatch(usage.stderr, /at .*\.js:\d+/); // no stack trace
});

test('a JWK Set given where the private key belongs is a usage error that says so', async () => {
  const r = await cli(['create', '--key', jwks, '--iss', A, '--aud', B, '--exec-act', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--key: .* is a JWK Set .*not a private key/);
});
