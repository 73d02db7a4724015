import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { ECTError, ECT_ERROR_CODES } from '../../src/errors.js';
import {
  BODY_TOO_LARGE_CODE,
  createECTFetch,
  ECT_MISSING_CODE,
  ectNodeHandler,
  formatExecutionContext,
  problemFor,
  problemFromError,
  readExecutionContext,
} from '../../src/http/index.js';
import {
  assertProblem,
  CALLER,
  callerKeys,
  callerToken,
  listen,
  send,
  SERVER,
  serverVerifier,
} from './support.js';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ECTError, String(error));
    return error.code;
  }
  assert.fail('expected an ECTError');
}

describe('Execution-Context codec', () => {
  test('HTTP-1: one field line is read and trimmed; an absent field is undefined', () => {
    assert.equal(readExecutionContext(' a.b.c '), 'a.b.c');
    assert.equal(readExecutionContext(['a.b.c']), 'a.b.c');
    assert.equal(readExecutionContext(undefined), undefined);
    assert.equal(readExecutionContext(null), undefined);
    assert.equal(readExecutionContext([]), undefined);
  });

  test('HTTP-1: two field lines, a comma list or an empty value are ECT_MALFORMED', () => {
    assert.equal(
      codeOf(() => readExecutionContext(['a.b.c', 'd.e.f'])),
      'ECT_MALFORMED',
    );
    assert.equal(
      codeOf(() => readExecutionContext('a.b.c, d.e.f')),
      'ECT_MALFORMED',
    );
    assert.equal(
      codeOf(() => readExecutionContext('  ')),
      'ECT_MALFORMED',
    );
  });

  test('HTTP-3: a receiver rejects a value over the limit (8 KiB default, configurable) with ECT_TOO_LARGE', () => {
    assert.equal(readExecutionContext('a'.repeat(8192)), 'a'.repeat(8192));
    assert.equal(
      codeOf(() => readExecutionContext('a'.repeat(8193))),
      'ECT_TOO_LARGE',
    );
    assert.equal(
      codeOf(() => readExecutionContext('a'.repeat(101), { maxHeaderSize: 100 })),
      'ECT_TOO_LARGE',
    );
    // Size comes before the line count, like VER-1 before VER-2.
    assert.equal(
      codeOf(() => readExecutionContext(['a'.repeat(8193), 'b'])),
      'ECT_TOO_LARGE',
    );
  });

  test('HTTP-3: a sender refuses a token over the limit and says why', () => {
    const big = callerToken({ note: 'x'.repeat(9000) });
    try {
      formatExecutionContext(big);
      assert.fail('expected ECT_TOO_LARGE');
    } catch (error) {
      assert.ok(error instanceof ECTError);
      assert.equal(error.code, 'ECT_TOO_LARGE');
      assert.match(error.message, new RegExp(`${big.length} bytes.*8192-byte limit.*HTTP-3`));
    }
    assert.equal(formatExecutionContext(big, { maxHeaderSize: 64 * 1024 }), big);
    assert.equal(
      codeOf(() => formatExecutionContext('a.b.c\r\nX-Injected: 1')),
      'ECT_MALFORMED',
    );
  });

  test('HTTP-3: with bodyFallback: false the client wrapper refuses to send an ECT over the header limit, before any request', async () => {
    let called = false;
    // By default it sends such a token in the body instead (HTTP-6, test/http/fallback.test.ts).
    const client = createECTFetch({
      identity: { iss: CALLER, key: callerKeys.privateJwk },
      bodyFallback: false,
      fetch: async () => ((called = true), new Response()),
    });
    await assert.rejects(
      client('http://127.0.0.1:9/', {
        method: 'POST',
        body: '{}',
        ect: {
          aud: SERVER,
          exec_act: 'x',
          ect_ext: { a: 'y'.repeat(3000) },
          note: 'z'.repeat(6000),
        },
      }),
      (error: unknown) => error instanceof ECTError && error.code === 'ECT_TOO_LARGE',
    );
    assert.equal(called, false);
  });
});

describe('problem details', () => {
  test('HTTP-2: every section 11 code maps to a 403 problem with type, title, status, detail and code', () => {
    for (const code of ECT_ERROR_CODES) {
      const problem = problemFor(code);
      assert.deepEqual(Object.keys(problem).sort(), ['code', 'detail', 'status', 'title', 'type']);
      assert.equal(problem.status, 403);
      assert.equal(problem.code, code);
    }
    assert.equal(problemFor(ECT_MISSING_CODE).status, 403);
    assert.equal(problemFor(BODY_TOO_LARGE_CODE).status, 413);
    assert.ok(!(ECT_ERROR_CODES as readonly string[]).includes(ECT_MISSING_CODE));
  });

  test('HTTP-2: no internal detail leaks: the detail is fixed per code, never the error message or its cause', () => {
    const error = new ECTError(
      'ECT_LEDGER_UNAVAILABLE',
      'the ledger could not record the token: ECONNREFUSED 10.0.0.7:5432',
      { cause: new Error('password=hunter2') },
    );
    const problem = problemFromError(error)!;
    assert.equal(problem.code, 'ECT_LEDGER_UNAVAILABLE');
    assert.doesNotMatch(JSON.stringify(problem), /ECONNREFUSED|10\.0\.0\.7|hunter2|stack/);
    assert.equal(problemFromError(new Error('bug')), undefined);
  });

  test('HTTP-2: a replay store failure is answered 403 ECT_REPLAY_STORE_UNAVAILABLE without the store error', async () => {
    const verifier = serverVerifier([], {
      replay: {
        checkAndRecord: async () => {
          throw new Error('redis://admin:s3cret@10.1.2.3 unreachable');
        },
      },
    });
    const app = await listen(
      createServer(ectNodeHandler((_req, res) => void res.end('ok'), { verifier })),
    );
    try {
      const problem = assertProblem(
        await send(app.url, { body: '{}', headers: { 'execution-context': callerToken() } }),
        'ECT_REPLAY_STORE_UNAVAILABLE',
      );
      assert.doesNotMatch(JSON.stringify(problem), /s3cret|10\.1\.2\.3|redis/);
    } finally {
      await app.close();
    }
  });
});

describe('loading', () => {
  test('HTTP adapters: importing the core, ect/http and every adapter loads neither Express nor Fastify', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import('./src/index.ts');
      await import('./src/http/index.ts');
      await import('./src/http/express.ts');
      await import('./src/http/fastify.ts');
      await import('./src/http/fetch.ts');
      const cache = Object.keys(createRequire(import.meta.url).cache);
      const loaded = cache.filter((path) => /node_modules[\\\\/](express|fastify)[\\\\/]/.test(path));
      process.stdout.write(JSON.stringify(loaded));
    `;
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(out), []);
    // Control: the same check sees Express when it is loaded.
    const control = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `await import('express'); ${script}`],
      { encoding: 'utf8' },
    );
    assert.ok((JSON.parse(control) as string[]).length > 0);
  });

  test('HTTP adapters: the Express and Fastify adapters import only types from their frameworks', () => {
    for (const file of ['src/http/express.ts', 'src/http/fastify.ts']) {
      const source = readFileSync(file, 'utf8');
      const imports = source.match(/^import .* from '(express|fastify)';$/gm) ?? [];
      assert.ok(imports.length > 0, file);
      for (const line of imports) assert.match(line, /^import type /, `${file}: ${line}`);
      assert.doesNotMatch(
        source,
        /import\(['"](express|fastify)['"]\)|require\(['"](express|fastify)['"]\)/,
      );
    }
  });
});
