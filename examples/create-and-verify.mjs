// Create an Execution Context Token and verify it: the smallest use of wimse-ect.
// Run: node examples/create-and-verify.mjs (in this repository, after npm run build)
import { createECT, createVerifier, ECTError, generateKeyPair } from 'wimse-ect';

// Agent A signs with its private key; verifiers trust the public half (a JWK Set).
const agentA = generateKeyPair({ kid: 'agent-a-1' });

// Agent A records the task it performed for agent B: iat, exp, jti and pred are filled in.
const token = createECT(
  {
    iss: 'spiffe://example.org/agent-a',
    aud: 'spiffe://example.org/agent-b',
    exec_act: 'review_spec',
  },
  { key: agentA.privateJwk },
);

// Agent B builds its verifier once: keys imported, its own replay cache.
const verifier = createVerifier({
  audience: 'spiffe://example.org/agent-b',
  keys: { keys: [agentA.publicJwk] },
});
const { level, claims } = await verifier.verify(token);
console.log(`verified: level ${level}, ${claims.exec_act} by ${claims.iss}, task ${claims.jti}`);

// The same token a second time is a replay; every rejection carries a stable code.
try {
  await verifier.verify(token);
} catch (error) {
  if (!(error instanceof ECTError)) throw error;
  console.log(`presented again: ${error.code}`);
}
