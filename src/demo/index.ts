/**
 * `ect demo`: a multi-agent workflow over real HTTP on loopback. Four agents (reviewer,
 * implementer, tester, release manager) run as separate servers with their own keys, bound to their
 * SPIFFE IDs by Workload Identity Tokens from one trust domain (WIMSE, IDB-3); each call
 * carries the caller's ECT (HTTP-1, body bound by HTTP-4), every token is verified by its
 * receiver, recorded in the given ledger (L3, receipts) and DAG-validated against it; the release
 * manager joins two branches (pred = [implementation, tests]) and answers with its ECT (HTTP-5).
 * When the MCP SDK is installed, the implementer first calls a tool server over MCP (mcp-hop.ts):
 * both the call and the tool server's answer are verified and recorded, and the implementation
 * follows the tool's report. Then a replayed token is refused (ECT_REPLAY), the workflow is
 * audited, and its DAG printed.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { auditWorkflow, type AuditReport } from '../dag/audit.js';
import { renderTree } from '../dag/render.js';
import type { Ledger } from '../ledger/ledger.js';
import { hashBytes } from '../format/hash.js';
import {
  EXECUTION_CONTEXT_HEADER,
  formatExecutionContext,
  WORKLOAD_IDENTITY_HEADER,
} from '../http/header.js';
import type { ECTContext } from '../http/handler.js';
import { isInstalled } from '../optional.js';
import type { VerifiedECT } from '../verify/verify.js';
import {
  agentClient,
  agentVerifier,
  makeAgent,
  makeTrustDomain,
  serveAgent,
  type Agent,
  type AgentServer,
  type DemoTrust,
} from './agents.js';

/** Options of `runDemo`. */
export interface DemoOptions {
  /** Where every agent records the tokens it accepts. */
  readonly ledger: Ledger;
  /** Receives the demo's output, line by line. */
  readonly print: (line: string) => void;
  /** Minimum level of every agent's verifier (default: the library's, 2; tokens reach L3 anyway). */
  readonly minLevel?: 1 | 2 | 3;
}

/** One task of the workflow as the demo saw it accepted. */
export interface DemoTask {
  readonly jti: string;
  readonly exec_act: string;
  readonly iss: string;
  readonly verifiedBy: string;
  readonly level: 1 | 2 | 3;
  readonly receiptSeq: number | undefined;
}

/** What `runDemo` returns. */
export interface DemoResult {
  /** True when every step went as expected: all calls accepted, the replay refused, the audit clean. */
  readonly ok: boolean;
  readonly workflowId: string;
  /** Tasks of the workflow recorded in the ledger. */
  readonly tasks: number;
  readonly accepted: readonly DemoTask[];
  /** The refused replay: its HTTP status and problem code (expected 403 ECT_REPLAY). */
  readonly replay: { readonly status: number; readonly code: string | undefined };
  readonly audit: AuditReport;
  readonly integrity: { readonly ok: boolean; readonly checked: number };
  /** The workflow's DAG as a text tree. */
  readonly tree: string;
  /** The agents that ran as servers, with the loopback URL each one listened on (closed now). */
  readonly agents: readonly { readonly name: string; readonly id: string; readonly url: string }[];
  /** What went wrong, when `ok` is false. */
  readonly problems: readonly string[];
}

const short = (jti: string): string => jti.slice(0, 8);
const JSON_TYPE = { 'content-type': 'application/json' } as const;

/** inp_hash of the next task: the hash of the input the agent received (CLM-9). */
function hashOf(ect: ECTContext): { inp_hash?: string } {
  return ect.bodyHash === undefined ? {} : { inp_hash: ect.bodyHash };
}

/** Runs the demo; every server it starts is closed before it returns. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { ledger, print } = options;
  const wid = randomUUID();
  // WIMSE (IDB-3): the trust domain's issuer hands each workload a WIT for its own key.
  const trustDomain = makeTrustDomain();
  const orchestrator = makeAgent('orchestrator', trustDomain);
  const reviewer = makeAgent('reviewer', trustDomain);
  const implementer = makeAgent('implementer', trustDomain);
  const tester = makeAgent('tester', trustDomain);
  const releaser = makeAgent('release-manager', trustDomain);
  const toolsAgent = makeAgent('tools', trustDomain);
  // The MCP hop needs the optional MCP SDK; without it the workflow has no tool call.
  const mcp = isInstalled({ name: '@modelcontextprotocol/sdk' })
    ? await import('./mcp-hop.js')
    : undefined;
  let stepNo = 0;
  const step = (): number => ++stepNo;
  const trust: DemoTrust = { trustDomain, ledger, minLevel: options.minLevel };
  const accepted: DemoTask[] = [];
  const problems: string[] = [];

  const record = (who: Agent, verified: VerifiedECT | undefined): void => {
    if (verified === undefined) return void problems.push(`${who.name} received no verified ECT`);
    const seq = verified.receipt?.seq;
    accepted.push({
      jti: verified.claims.jti,
      exec_act: verified.claims.exec_act,
      iss: verified.claims.iss,
      verifiedBy: who.name,
      level: verified.level,
      receiptSeq: seq,
    });
    print(
      `     ${who.name} verified ${verified.claims.exec_act} ${short(verified.claims.jti)}: level L${verified.level}${seq === undefined ? '' : `, ledger receipt #${seq}`}`,
    );
  };
  const expectOk = (step: string, response: Response): void => {
    if (response.status !== 200) problems.push(`${step}: HTTP ${response.status}`);
  };

  print(`ECT demo: workflow ${wid}`);
  print(
    `  trust domain ${trustDomain.issuer}: its issuer gave each agent a Workload Identity Token for the agent's own ES256 key`,
  );
  print(
    '  agents (each verifies callers by their WIT, and their ECT issuer must be the WIT subject):',
  );
  const servers: AgentServer[] = [];
  const listed: { name: string; id: string; url: string }[] = [];
  let replay: { status: number; code: string | undefined } = { status: 0, code: undefined };
  try {
    // The release manager joins the implementation and the test results (pred = [B, C]).
    const releaseServer = await serveAgent(
      releaser,
      agentVerifier(releaser, trust, { dag: true }),
      async ({ input, ect }) => {
        record(releaser, ect.verified);
        const implementation = String(input['implementation_task']);
        const tests = ect.verified!.claims.jti;
        print(
          `  ${step()}. ${releaser.name} performs approve_release, joining implement_spec ${short(implementation)} + run_tests ${short(tests)}; answers with its ECT (HTTP-5)`,
        );
        return {
          body: { approved: true },
          respond: { exec_act: 'approve_release', pred: [implementation] },
        };
      },
    );
    servers.push(releaseServer);
    // The tester records the release manager's response ECT: its client verifier has ledger and DAG too.
    const testerClient = agentClient(tester, agentVerifier(tester, trust, { dag: true }));
    const testerServer = await serveAgent(
      tester,
      agentVerifier(tester, trust, { dag: true }),
      async ({ ect }) => {
        record(tester, ect.verified);
        const implementation = ect.verified!.claims.jti;
        const body = JSON.stringify({ tests: 42, failed: 0, implementation_task: implementation });
        const jti = randomUUID();
        print(
          `  ${step()}. ${tester.name} → ${releaser.name}: run_tests ${short(jti)} (pred ${short(implementation)})`,
        );
        const sent = await testerClient(`${releaseServer.url}/approve`, {
          method: 'POST',
          headers: JSON_TYPE,
          body,
          ect: {
            aud: releaser.id,
            exec_act: 'run_tests',
            jti,
            wid,
            pred: [implementation],
            ...hashOf(ect),
          },
        });
        expectOk('tester → release-manager', sent.response);
        const approval = sent.responseECT;
        if (approval === undefined)
          problems.push('the release manager answered without a verified ECT');
        else record(tester, approval);
        return { body: { tests: 'passed', approval: await sent.response.json() } };
      },
    );
    servers.push(testerServer);
    let toolCall: VerifiedECT | undefined;
    const toolServer =
      mcp === undefined
        ? undefined
        : await mcp.serveTools({
            tools: toolsAgent,
            caller: implementer,
            trust,
            onCall: (verified) => void (toolCall = verified),
          });
    if (toolServer !== undefined) servers.push(toolServer);
    const implementerClient = agentClient(implementer);
    const implementerServer = await serveAgent(
      implementer,
      agentVerifier(implementer, trust, { dag: true }),
      async ({ ect }) => {
        record(implementer, ect.verified);
        const review = ect.verified!.claims.jti;
        const patch = 'diff --git a/spec.md b/spec.md';
        let pred = review;
        if (mcp !== undefined && toolServer !== undefined) {
          const callJti = randomUUID();
          print(
            `  ${step()}. ${implementer.name} → ${toolsAgent.name} over MCP (tools/call, Streamable HTTP): ${mcp.LINT_TOOL} ${short(callJti)} (pred ${short(review)})`,
          );
          const lint = await mcp.callLint({
            caller: implementer,
            tools: toolsAgent,
            trust,
            url: toolServer.url,
            context: ect.verified!,
            patch,
            jti: callJti,
            seen: () => toolCall,
          });
          record(toolsAgent, lint.call);
          record(implementer, lint.report);
          if (lint.report === undefined) problems.push('the tool server answered without an ECT');
          else pred = lint.report.claims.jti;
        }
        const body = JSON.stringify({ patch });
        const jti = randomUUID();
        print(
          `  ${step()}. ${implementer.name} → ${tester.name}: implement_spec ${short(jti)} (pred ${short(pred)})`,
        );
        const sent = await implementerClient(`${testerServer.url}/test`, {
          method: 'POST',
          headers: JSON_TYPE,
          body,
          ect: {
            aud: tester.id,
            exec_act: 'implement_spec',
            jti,
            wid,
            pred: [pred],
            ...hashOf(ect),
          },
        });
        expectOk('implementer → tester', sent.response);
        return { body: (await sent.response.json()) as Record<string, unknown> };
      },
    );
    servers.push(implementerServer);
    const reviewerClient = agentClient(reviewer);
    // The entry agent takes root tasks only: nothing to DAG-validate, so replays meet its replay cache (VER-12).
    const reviewerServer = await serveAgent(
      reviewer,
      agentVerifier(reviewer, trust, { dag: false }),
      async ({ ect }) => {
        record(reviewer, ect.verified);
        const submitted = ect.verified!.claims.jti;
        const body = JSON.stringify({ review: 'approved with comments' });
        const jti = randomUUID();
        print(
          `  ${step()}. ${reviewer.name} → ${implementer.name}: review_spec ${short(jti)} (pred ${short(submitted)})`,
        );
        const sent = await reviewerClient(`${implementerServer.url}/implement`, {
          method: 'POST',
          headers: JSON_TYPE,
          body,
          ect: {
            aud: implementer.id,
            exec_act: 'review_spec',
            jti,
            wid,
            pred: [submitted],
            ...hashOf(ect),
          },
        });
        expectOk('reviewer → implementer', sent.response);
        return { body: (await sent.response.json()) as Record<string, unknown> };
      },
    );
    servers.push(reviewerServer);
    for (const [agent, server] of [
      [reviewer, reviewerServer],
      [implementer, implementerServer],
      [tester, testerServer],
      [releaser, releaseServer],
    ] as const) {
      listed.push({ name: agent.name, id: agent.id, url: server.url });
      print(`    ${agent.name.padEnd(16)} ${agent.id}  ${server.url}`);
    }
    if (toolServer !== undefined) {
      listed.push({ name: toolsAgent.name, id: toolsAgent.id, url: toolServer.url });
      print(`    ${toolsAgent.name.padEnd(16)} ${toolsAgent.id}  ${toolServer.url} (MCP)`);
    }
    print(`    ${orchestrator.name.padEnd(16)} ${orchestrator.id}  (client only)`);
    if (mcp === undefined)
      print('  (no MCP hop: npm install @modelcontextprotocol/sdk to add a tool call over MCP)');
    print(
      `  ${reviewer.name} is the entry point and takes root tasks; the others also validate each task's predecessors against the ledger (DAG).`,
    );
    print('  steps (printed as each call is made; receivers verify before the caller continues):');

    const orchestratorClient = agentClient(orchestrator);
    const spec = JSON.stringify({ spec: 'ECT profile v1', sections: 11 });
    const rootJti = randomUUID();
    print(
      `  ${step()}. ${orchestrator.name} → ${reviewer.name}: submit_spec ${short(rootJti)} (root)`,
    );
    const first = await orchestratorClient(`${reviewerServer.url}/review`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: spec,
      ect: { aud: reviewer.id, exec_act: 'submit_spec', jti: rootJti, wid },
    });
    print(
      `  the call chain completed: ${orchestrator.name} got HTTP ${first.response.status} from ${reviewer.name}`,
    );
    expectOk('orchestrator → reviewer', first.response);
    await first.response.arrayBuffer();

    // The same token, WIT and body again: a replay.
    print(
      `  replay: ${orchestrator.name} sends submit_spec ${short(first.claims.jti)} to ${reviewer.name} again (this must be refused)`,
    );
    const replayed = await fetch(`${reviewerServer.url}/review`, {
      method: 'POST',
      headers: {
        ...JSON_TYPE,
        [EXECUTION_CONTEXT_HEADER]: formatExecutionContext(first.token),
        [WORKLOAD_IDENTITY_HEADER]: orchestrator.wit,
      },
      body: spec,
    });
    const replayProblem = (await replayed.json().catch(() => ({}))) as { code?: string };
    replay = { status: replayed.status, code: replayProblem.code };
    const replayOk = replay.status === 403 && replay.code === 'ECT_REPLAY';
    print(
      `     → ${replay.status} ${replay.code ?? '(no code)'}: ${replayOk ? 'refused as expected (replay protection, RPL-1)' : 'NOT the expected 403 ECT_REPLAY'}`,
    );
    if (!replayOk)
      problems.push(
        `the replay was answered ${replay.status} ${replay.code ?? ''}, expected 403 ECT_REPLAY`,
      );
    if (hashBytes(spec) !== first.claims.out_hash)
      problems.push('out_hash of the first request does not match its body');
  } catch (error) {
    problems.push(`unexpected failure: ${(error as Error)?.message ?? String(error)}`);
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }

  const nodes = await ledger.listWorkflow(wid);
  const audit = auditWorkflow(nodes);
  const integrity = await ledger.verifyIntegrity();
  print(
    `  audit of workflow ${wid}: ${audit.nodes} tasks, ${audit.ok ? 'no issues' : `${audit.issues.length} issue(s): ${audit.issues.map((i) => i.code).join(', ')}`}; ledger integrity ${integrity.ok ? 'ok' : 'BROKEN'} (${integrity.checked} entries)`,
  );
  if (!audit.ok)
    problems.push(`audit: ${audit.issues.map((i) => `${i.code} ${i.jti}`).join('; ')}`);
  if (!integrity.ok) problems.push(`ledger integrity: ${integrity.firstBad?.reason ?? 'broken'}`);
  const expected = mcp === undefined ? 5 : 7;
  if (nodes.length !== expected)
    problems.push(`expected ${expected} tasks in the workflow, the ledger holds ${nodes.length}`);
  const tree = renderTree(nodes);
  print('  the workflow DAG:');
  for (const line of tree.split('\n')) print(`    ${line}`);
  const ok = problems.length === 0;
  print(
    ok
      ? 'demo ok: every call verified and recorded, the replay refused, the DAG audited'
      : `demo FAILED: ${problems.join('; ')}`,
  );
  return {
    ok,
    workflowId: wid,
    tasks: nodes.length,
    accepted,
    replay,
    audit,
    integrity: { ok: integrity.ok, checked: integrity.checked },
    tree,
    agents: listed,
    problems,
  };
}
