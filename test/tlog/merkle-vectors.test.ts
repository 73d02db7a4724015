/**
 * The RFC 9162 proof verifiers against the independent vectors of transparency-dev/merkle in
 * ../shared/vectors/rfc9162-merkle/ (see ../shared/vectors/README.md). Every file found is a test
 * of its own, so a new vector file is picked up without touching this file.
 *
 * Expected outcome: `wantErr: false` verifies; `wantErr: true` throws a TlogError whose code is
 * TLOG_MALFORMED when the arguments cannot describe any tree (a hash that is not 32 bytes, an
 * index not below the size, an old size above the new size) and TLOG_PROOF_INVALID otherwise.
 * One deliberate difference from Go: a `wantErr: false` file whose roots are not 32 bytes (equal
 * sizes, "don't care" roots) is refused as TLOG_MALFORMED, because the verifiers check lengths.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { TlogError, type TlogErrorCode } from '../../src/tlog/errors.js';
import {
  rootFromInclusion,
  verifyConsistency,
  verifyInclusion,
} from '../../src/tlog/verify-proof.js';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/rfc9162-merkle/', import.meta.url));

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string | null;
  leafHash: string | null;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string | null;
  root2: string | null;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

function bytes(base64: string | null): Uint8Array {
  return new Uint8Array(Buffer.from(base64 ?? '', 'base64'));
}

function jsonFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...jsonFiles(path));
    else if (name.endsWith('.json')) files.push(path);
  }
  return files;
}

function vectorFiles(kind: 'inclusion' | 'consistency'): string[] {
  const dir = join(VECTORS, kind);
  if (!existsSync(dir)) {
    assert.fail(`vector folder ${dir} is missing: check out shared/ beside the project`);
  }
  return jsonFiles(dir);
}

/** Runs `run` and returns the TlogError code it throws, or 'ok'. Other errors fail the test. */
function outcome(run: () => void): TlogErrorCode | 'ok' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof TlogError) return error.code;
    throw error;
  }
}

const wrongLength = (hashes: readonly Uint8Array[]): boolean => hashes.some((h) => h.length !== 32);

function expected(wantErr: boolean, malformed: boolean): TlogErrorCode | 'ok' {
  if (malformed) return 'TLOG_MALFORMED';
  return wantErr ? 'TLOG_PROOF_INVALID' : 'ok';
}

describe('RFC 9162 vectors of transparency-dev/merkle', () => {
  const inclusion = existsSync(VECTORS) ? vectorFiles('inclusion') : [];
  const consistency = existsSync(VECTORS) ? vectorFiles('consistency') : [];

  test('LED-9, LED-10: the vector folders exist and hold the expected files', () => {
    assert.ok(existsSync(VECTORS), `vector folder ${VECTORS} is missing`);
    assert.ok(inclusion.length >= 90, `only ${inclusion.length} inclusion vectors`);
    assert.ok(consistency.length >= 90, `only ${consistency.length} consistency vectors`);
    const happy = [...inclusion, ...consistency].filter((f) => f.endsWith('happy-path.json'));
    assert.equal(happy.length, 10);
  });

  for (const file of inclusion) {
    const name = relative(VECTORS, file);
    const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
    const leafHash = bytes(v.leafHash);
    const root = bytes(v.root);
    const proof = (v.proof ?? []).map(bytes);
    const malformed = wrongLength([leafHash, root, ...proof]) || v.leafIdx >= v.treeSize;
    const want = expected(v.wantErr, malformed);
    test(`LED-9: vector ${name} (${v.desc}): ${want}`, () => {
      if (name.endsWith('happy-path.json')) assert.equal(want, 'ok', 'a happy path must verify');
      const args = { index: v.leafIdx, size: v.treeSize, leafHash, proof };
      assert.equal(
        outcome(() => verifyInclusion({ ...args, root })),
        want,
      );
      if (want === 'ok') assert.deepEqual(rootFromInclusion(args), root);
    });
  }

  for (const file of consistency) {
    const name = relative(VECTORS, file);
    const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
    const oldRoot = bytes(v.root1);
    const newRoot = bytes(v.root2);
    const proof = (v.proof ?? []).map(bytes);
    const malformed = wrongLength([oldRoot, newRoot, ...proof]) || v.size1 > v.size2;
    const want = expected(v.wantErr, malformed);
    test(`LED-10: vector ${name} (${v.desc}): ${want}`, () => {
      if (name.endsWith('happy-path.json')) assert.equal(want, 'ok', 'a happy path must verify');
      const args = { oldSize: v.size1, newSize: v.size2, oldRoot, newRoot, proof };
      assert.equal(
        outcome(() => verifyConsistency(args)),
        want,
      );
    });
  }
});
