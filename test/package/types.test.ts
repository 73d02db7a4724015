/**
 * The published declarations compile in a consumer's project with `skipLibCheck` off, with the
 * oldest and the newest @types/node the package supports, and keep their meaning: `KeyInput` is
 * not `any` (an unresolved `node:crypto` type in a declaration silently becomes `any`).
 * @module
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { installProject, npm, pack, ROOT, run, type Packed } from './packed.js';

const CONSUMER = `
import * as core from 'wimse-ect';
import * as http from 'wimse-ect/http';
import * as fetchAdapter from 'wimse-ect/fetch';
import * as express from 'wimse-ect/express';
import * as fastify from 'wimse-ect/fastify';
import * as hono from 'wimse-ect/hono';
import * as a2a from 'wimse-ect/a2a';
import * as identity from 'wimse-ect/identity';
import * as stores from 'wimse-ect/stores';
import * as sqlite from 'wimse-ect/sqlite';
import * as postgres from 'wimse-ect/postgres';
import * as redis from 'wimse-ect/redis';
import * as otel from 'wimse-ect/otel';
import { createECT, generateKeyPair, type JWK, type KeyInput } from 'wimse-ect';

export const modules = [core, http, fetchAdapter, express, fastify, hono, a2a, identity, stores, otel];
export const backends = [sqlite, postgres, redis];
const pair = generateKeyPair({ alg: 'EdDSA' });
export const jwk: JWK = pair.publicJwk;
export const kty: string | undefined = jwk.kty;
export const token: string = createECT(
  { iss: 'spiffe://a', aud: 'spiffe://b', exec_act: 'x' },
  { key: pair.privateJwk },
);
// @ts-expect-error a number is no key: this fails to compile if KeyInput has become any
export const notAKey: KeyInput = 42;
`;

// The MCP SDK's own declarations name the Fetch API's HeadersInit, which @types/node does not
// declare globally: a project using the SDK compiles with the DOM library, so this one does too.
const CONSUMER_MCP = `
import * as mcp from 'wimse-ect/mcp';
import { generateKeyPair } from 'wimse-ect';
const key = generateKeyPair();
export const caller = mcp.createECTToolCaller;
export const identity: Parameters<typeof caller>[0]['identity'] = {
  iss: 'spiffe://a',
  key: key.privateJwk,
};
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['consumer.ts'],
};

let packed: Packed;
let project: string;

before(() => {
  packed = pack();
  // The subpaths' declarations name their peers' types, as a project using them has them.
  const peers = ['@types/pg@8', '@types/express@5', 'fastify@5', 'redis@6'];
  peers.push('@types/better-sqlite3', 'hono@4', '@a2a-js/sdk@1');
  peers.push('@opentelemetry/api@1', '@modelcontextprotocol/sdk@1');
  project = installProject(packed, 'consumer', { with: peers });
  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(project, 'consumer-mcp.ts'), CONSUMER_MCP);
  const mcpOptions = { ...TSCONFIG.compilerOptions, lib: ['ES2023', 'DOM'] };
  const mcpConfig = { compilerOptions: mcpOptions, files: ['consumer-mcp.ts'] };
  writeFileSync(join(project, 'tsconfig.mcp.json'), JSON.stringify(mcpConfig, null, 2));
});
after(() => packed?.cleanup());

function compile(typesNode: string): void {
  const args = ['install', '--no-save', '--no-package-lock', '--ignore-scripts'];
  npm([...args, `@types/node@${typesNode}`], { cwd: project });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const config of ['tsconfig.json', 'tsconfig.mcp.json']) {
    const result = run(process.execPath, [tsc, '-p', config], { cwd: project });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.status, 0, `@types/node@${typesNode}, ${config}:\n${output}`);
  }
}

test('the declarations compile with @types/node 20 (skipLibCheck off)', () => compile('20'));

test('the declarations compile with the latest @types/node (skipLibCheck off)', () => {
  compile('latest');
});

// @types/node 25 and later no longer export `JsonWebKey` from node:crypto: the package names its
// own JWK type (src/crypto/jwk.ts), and no module may go back to the Node one.
test('no source module imports JsonWebKey from node:crypto', () => {
  const SRC = join(ROOT, 'src');
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  const NODE_JWK = /import[^;]*\bJsonWebKey\b[^;]*from 'node:crypto'/;
  const offenders = files.filter((file) => NODE_JWK.test(readFileSync(join(SRC, file), 'utf8')));
  assert.deepEqual(offenders, []);
});
