import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

/** Runs scripts/run-tests.mjs on one fixture file. */
function runTests(
  file: string,
  env: Record<string, string> = {},
): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  // Without NODE_TEST_CONTEXT: with it, the inner runner would report to this one.
  const { NODE_TEST_CONTEXT: _context, ...outer } = process.env;
  const result = spawnSync(process.execPath, ['scripts/run-tests.mjs', file], {
    encoding: 'utf8',
    env: { ...outer, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the test runner (npm test)', () => {
  test('a failing test is printed with its file, name and the values compared; the run fails', () => {
    const run = runTests('test/package/fixtures/runner-fails.fixture.ts');
    assert.equal(run.status, 1);
    assert.match(
      run.stdout,
      /not ok test\/package\/fixtures\/runner-fails\.fixture\.ts > compares two numbers/,
    );
    assert.match(run.stdout, /expected: 3\n\s+actual: {3}2/);
    assert.match(run.stdout, /# pass 1\n# fail 1/);
    // Compact: no TAP blocks, and the failing suite is not reported twice.
    assert.doesNotMatch(run.stdout, /duration_ms:|not ok .*> a suite/);
  });

  test('a test file that never exits is killed at the deadline, with its processes', () => {
    const run = runTests('test/package/fixtures/runner-hangs.fixture.ts', {
      ECT_TEST_DEADLINE_MINUTES: '0.05',
    });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /ok leaves a timer running/);
    assert.match(run.stderr, /exceeded its deadline of 0\.05 minutes; killed/);
    const left = spawnSync('pgrep', ['-f', 'runner-hangs.fixture'], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'no test process is left running');
  });

  test('a bad ECT_TEST_DEADLINE_MINUTES is a usage error (exit 2) naming the variable', () => {
    const run = runTests('test/package/fixtures/runner-fails.fixture.ts', {
      ECT_TEST_DEADLINE_MINUTES: 'soon',
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /ECT_TEST_DEADLINE_MINUTES must be a positive number of minutes/);
  });
});
