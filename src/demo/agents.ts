/**
 * The agents of the demo, on the WIMSE profile (IDB-3): a trust-domain issuer hands each workload a
 * Workload Identity Token binding its SPIFFE ID to its own ES256 key; the workload signs its ECTs
 * with that key and sends its WIT beside them. Each agent has an HTTP server on a random loopback
 * port, a verifier that trusts the trust domain's WIT issuer (ECT `iss` must be the WIT's `sub`,
 * VER-8) and records into the shared ledger, and a client to call the next agent.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, type GeneratedKeyPair } from '../crypto/keys.js';
import { staticKeySet } from '../identity/key-set.js';
import type { KeySource } from '../identity/key-source.js';
import { wimseTrust } from '../identity/wit.js';
import { createTrustDomainIssuer, type TrustDomainIssuer } from '../identity/wit-issuer.js';
import type { Ledger } from '../ledger/ledger.js';
import { createVerifier, type Verifier } from '../verify/verify.js';
import type { VerifyOptions } from '../verify/options.js';
import { createECTFetch, type ECTFetch } from '../http/client.js';
import type { ECTContext } from '../http/handler.js';
import type { RespondInit } from '../http/respond.js';
import { ectNodeHandler } from '../http/node.js';

/** The SPIFFE trust domain of the demo. */
export const DEMO_TRUST_DOMAIN = 'demo.ect.example';

/** The demo's trust-domain WIT issuer (IDB-3). */
export function makeTrustDomain(): TrustDomainIssuer {
  return createTrustDomainIssuer({ trustDomain: DEMO_TRUST_DOMAIN });
}

/** One workload of the demo. */
export interface Agent {
  readonly name: string;
  /** Its SPIFFE ID: `iss` of its ECTs, `sub` of its WIT, and its verifier's audience. */
  readonly id: string;
  /** Its workload key pair; the WIT's `cnf.jwk` is the public half. */
  readonly keys: GeneratedKeyPair;
  /** Its Workload Identity Token, from the trust domain's issuer. */
  readonly wit: string;
}

/** Creates a workload with a fresh ES256 key pair and has the trust domain issue its WIT. */
export function makeAgent(name: string, trustDomain: TrustDomainIssuer): Agent {
  const id = `spiffe://${DEMO_TRUST_DOMAIN}/agent/${name}`;
  const keys = generateKeyPair({ alg: 'ES256', kid: `${name}-key` });
  return { name, id, keys, wit: trustDomain.issueWit({ sub: id, publicJwk: keys.publicJwk }) };
}

/** A key source for the WIMSE profile: WITs of the demo's trust domain, verified with its issuer's keys. */
export function trustDomainSource(trustDomain: TrustDomainIssuer): KeySource {
  return wimseTrust({
    trustDomains: [
      {
        trustDomain: DEMO_TRUST_DOMAIN,
        keys: staticKeySet(trustDomain.jwks()),
        witIssuer: trustDomain.issuer,
      },
    ],
  });
}

/** Settings shared by every agent's verifier. */
export interface DemoTrust {
  readonly trustDomain: TrustDomainIssuer;
  readonly ledger: Ledger;
  readonly minLevel?: 1 | 2 | 3 | undefined;
}

/** The verifier of `self`: its audience, the others' keys, the ledger (L3), and DAG validation unless `dag` is false. */
export function agentVerifier(
  self: Agent,
  trust: DemoTrust,
  options: { readonly dag: boolean },
): Verifier {
  const verifyOptions: VerifyOptions = {
    audience: self.id,
    keys: trustDomainSource(trust.trustDomain),
    record: { ledger: trust.ledger },
    ...(trust.minLevel === undefined ? {} : { minLevel: trust.minLevel }),
    // dag: {} uses the ledger as the store of accepted tasks (VER-11).
    ...(options.dag ? { dag: {} } : {}),
  };
  return createVerifier(verifyOptions);
}

/** The client of `self`, optionally verifying response ECTs with `verifier` (HTTP-5). */
export function agentClient(self: Agent, verifier?: Verifier): ECTFetch {
  return createECTFetch({
    identity: { iss: self.id, key: self.keys.privateJwk },
    workloadIdentityToken: self.wit,
    ...(verifier === undefined ? {} : { verifier }),
  });
}

/** A request as an agent's task handler sees it. */
export interface TaskRequest {
  readonly input: Record<string, unknown>;
  readonly ect: ECTContext;
}

/** What a task handler answers: a JSON body, and the task to answer with as a response ECT (HTTP-5). */
export interface TaskAnswer {
  readonly body: Record<string, unknown>;
  readonly respond?: Omit<RespondInit, 'body'>;
}

/** An agent's work for one request. */
export type TaskHandler = (request: TaskRequest) => Promise<TaskAnswer>;

/** A running agent server. */
export interface AgentServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A request's JSON body (`{}` when empty). */
export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/**
 * Serves `handler` on 127.0.0.1 with a random free port. Every request must carry an ECT whose
 * `out_hash` is the hash of the body (HTTP-4); the agent's own key signs its response ECTs.
 */
export async function serveAgent(
  self: Agent,
  verifier: Verifier,
  handler: TaskHandler,
): Promise<AgentServer> {
  const server: Server = createServer(
    ectNodeHandler(
      async (request, response, ect) => {
        const answer = await handler({ input: await readJson(request), ect });
        const body = JSON.stringify(answer.body);
        // The body is final before respond() hashes it, so `out_hash` matches the bytes sent.
        if (answer.respond !== undefined) ect.respond({ ...answer.respond, body });
        response
          .writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          })
          .end(body);
      },
      {
        verifier,
        bodyBinding: true,
        responder: { iss: self.id, key: self.keys.privateJwk, workloadIdentityToken: self.wit },
      },
    ),
  );
  return listenOnLoopback(server);
}

/** Starts `server` on 127.0.0.1 with a random free port; `close` drops its connections too. */
export async function listenOnLoopback(server: Server): Promise<AgentServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
