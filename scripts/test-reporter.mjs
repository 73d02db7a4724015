// A compact reporter for Node's test runner: one line per top-level test or suite, every failing
// test in full (file, name, error, the first lines of its stack), the output tests write, and the
// runner's summary. The TAP reporter prints six lines per test (400 KB for this suite), more than
// a CI log should hold; this one prints about a tenth of that and loses nothing a failure needs.
import { relative } from 'node:path';

/** A test file's path, relative to the working directory. */
function fileOf(data) {
  return data.file === undefined ? '' : relative(process.cwd(), data.file);
}

/** The first `count` lines of a stack or message without Node's own frames, indented. */
function excerpt(text, count) {
  return String(text)
    .split('\n')
    .filter((line) => !/^\s+at (.* \()?node:/.test(line))
    .slice(0, count)
    .map((line) => `    ${line}`)
    .join('\n');
}

function describeError(error) {
  if (error === undefined || error === null) return '    (no error recorded)';
  // The runner wraps a test's error in ERR_TEST_FAILURE; the cause is what the test threw.
  const cause =
    error.code === 'ERR_TEST_FAILURE' && error.cause !== undefined ? error.cause : error;
  const lines = [excerpt(cause?.stack ?? cause?.message ?? cause, 12)];
  if (cause?.expected !== undefined || cause?.actual !== undefined) {
    lines.push(`    expected: ${JSON.stringify(cause.expected)}`);
    lines.push(`    actual:   ${JSON.stringify(cause.actual)}`);
  }
  return lines.join('\n');
}

export default async function* compactReporter(source) {
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:pass' && data.nesting === 0) {
      const ms = Math.round(data.details?.duration_ms ?? 0);
      yield `ok ${data.name} (${ms} ms)\n`;
    } else if (type === 'test:fail') {
      const error = data.details?.error;
      // A suite fails because a test in it failed: that test is reported on its own.
      if (error?.failureType === 'subtestsFailed') continue;
      yield `not ok ${fileOf(data)} > ${data.name}\n${describeError(error)}\n`;
    } else if (type === 'test:stderr' || type === 'test:stdout') {
      yield `# ${fileOf(data)}: ${String(data.message).trimEnd()}\n`;
    } else if (type === 'test:diagnostic' && data.nesting === 0) {
      yield `# ${data.message}\n`;
    }
  }
}
