/**
 * A tool server in its own process for the stdio test: the SDK's `StdioServerTransport` wrapped by
 * `ectServerTransport`. Its key and the key it trusts come from the environment (ECT_TEST_KEYS).
 * @module
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JWK } from '../../src/crypto/jwk.js';
import { ectServerTransport } from '../../src/mcp/index.js';
import { toolServer, TOOLS } from './support.js';

const keys = JSON.parse(process.env['ECT_TEST_KEYS'] ?? '{}') as {
  readonly server: JWK;
  readonly trusted: JWK;
  readonly audience: string;
};
const server = toolServer();
await server.connect(
  ectServerTransport(new StdioServerTransport(), {
    verifier: { audience: keys.audience, keys: { keys: [keys.trusted] } },
    identity: { iss: TOOLS, key: keys.server },
  }),
);
