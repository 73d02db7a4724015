/**
 * `ect dag audit` and `ect dag render`: a workflow's DAG from a file of tokens (decoded, not
 * verified: use `ect verify --batch --dag` to verify) or from a ledger, checked as a whole (DAG-1 …
 * DAG-5, linear) and drawn as a text tree, Mermaid or Graphviz dot.
 * @module
 */
import { InvalidArgumentError, type Command } from 'commander';
import { auditWorkflow } from '../../dag/audit.js';
import { renderDot, renderMermaid, renderTree } from '../../dag/render.js';
import type { DagNode } from '../../dag/store.js';
import { ECTConfigError } from '../../errors.js';
import { configFromEnv } from '../../config/env.js';
import { DEFAULT_CLAIM_RULES, isUuid, validateClaims } from '../../format/claims.js';
import { parseToken } from '../../format/parse.js';
import { sameId } from '../../format/task-key.js';
import { EXIT_INVALID, EXIT_VALID, json, readLines, type Io } from '../io.js';
import { openLedgerFromFlags } from '../verifier-options.js';

type Format = 'tree' | 'mermaid' | 'dot';

interface SourceFlags {
  ledger?: string;
  wid?: string;
}

function parseFormat(value: string): Format {
  if (value !== 'tree' && value !== 'mermaid' && value !== 'dot')
    throw new InvalidArgumentError('expected tree, mermaid or dot');
  return value;
}

/**
 * A `--wid` value: a UUID (CLM-8), or with ECT_REQUIRE_UUID=false any id without white space or
 * control characters. A mistyped id is a usage error, not an empty (and so "sound") workflow.
 */
function checkWorkflowId(wid: string, io: Io): void {
  const requireUuid = configFromEnv(io.env).requireUuid ?? DEFAULT_CLAIM_RULES.requireUuid;
  const wellFormed = requireUuid ? isUuid(wid) : /^[^\s\p{Cc}]+$/u.test(wid);
  if (!wellFormed) {
    const expected = requireUuid ? 'a UUID (or set ECT_REQUIRE_UUID=false)' : 'a non-empty id';
    throw new ECTConfigError('--wid', `expected ${expected}, got ${JSON.stringify(wid)}`);
  }
}

/** The tasks read, and whether they come verified (from a ledger). */
interface Loaded {
  readonly nodes: DagNode[];
  readonly verified: boolean;
}

/** The nodes of one workflow, from a token file or a ledger; a `--wid` with no task is an error. */
async function loadNodes(file: string | undefined, flags: SourceFlags, io: Io): Promise<Loaded> {
  const loaded = await readNodes(file, flags, io);
  if (flags.wid !== undefined && loaded.nodes.length === 0) {
    const where = flags.ledger === undefined ? `in ${file ?? 'the input'}` : 'in the ledger';
    throw new ECTConfigError('--wid', `no task of workflow ${flags.wid} ${where}`);
  }
  return loaded;
}

/** The nodes of one workflow, from a token file or a ledger. */
async function readNodes(file: string | undefined, flags: SourceFlags, io: Io): Promise<Loaded> {
  if (flags.ledger !== undefined) {
    if (file !== undefined)
      throw new ECTConfigError('--ledger', 'give either a token file or --ledger, not both');
    if (flags.wid === undefined)
      throw new ECTConfigError('--wid', 'with --ledger, name the workflow with --wid');
    checkWorkflowId(flags.wid, io);
    const ledger = await openLedgerFromFlags(flags.ledger, { mustExist: true });
    try {
      return { nodes: [...(await ledger.listWorkflow(flags.wid))], verified: true };
    } finally {
      await ledger.close();
    }
  }
  if (file === undefined)
    throw new ECTConfigError(
      'FILE',
      'give a file of tokens (one per line, - for standard input) or --ledger URL --wid ID',
    );
  if (flags.wid !== undefined) checkWorkflowId(flags.wid, io);
  const nodes: DagNode[] = [];
  const lines = await readLines(file, io, 'FILE');
  lines.forEach((token, index) => {
    try {
      const parsed = parseToken(token);
      const { claims } = validateClaims(parsed.payload, {
        ...DEFAULT_CLAIM_RULES,
        requireUuid: false,
        maxPred: 0,
        acceptLegacy: true,
      });
      if (flags.wid !== undefined && !sameId(claims.wid, flags.wid)) return;
      nodes.push({
        jti: claims.jti,
        wid: claims.wid,
        iat: claims.iat,
        pred: claims.pred,
        level: parsed.level,
        iss: claims.iss,
        exec_act: claims.exec_act,
      });
    } catch (error) {
      throw new ECTConfigError(
        `line ${index + 1}`,
        `not a decodable ECT (${(error as Error).message})`,
      );
    }
  });
  return { nodes, verified: false };
}

function render(nodes: readonly DagNode[], format: Format): string {
  if (format === 'mermaid') return renderMermaid(nodes);
  if (format === 'dot') return renderDot(nodes);
  return renderTree(nodes);
}

const UNVERIFIED =
  'note: tokens from a file are decoded, not verified (use `ect verify --batch --dag` to verify them)\n';

export function registerDag(program: Command, io: Io, setExit: (code: number) => void): void {
  const dag = program
    .command('dag')
    .description("check or draw a workflow's task graph, from a file of tokens or a ledger");

  dag
    .command('audit')
    .description(
      'check a whole workflow: unique tasks, known predecessors, time order, no cycles, one workflow; exit 0 sound, 1 with findings',
    )
    .argument('[file]', 'tokens, one per line (- for standard input)')
    .option('--ledger <url>', 'read the workflow from a ledger instead (sqlite:PATH, postgres://…)')
    .option('--wid <id>', 'the workflow (required with --ledger; filters a token file)')
    .option('--json', 'print the audit report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ect dag audit workflow.txt\n  ect dag audit --ledger sqlite:./audit.db --wid 0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10\n',
    )
    .action(async (file: string | undefined, flags: SourceFlags & { json?: boolean }) => {
      const { nodes, verified } = await loadNodes(file, flags, io);
      const report = auditWorkflow(nodes);
      if (!verified) io.stderr(UNVERIFIED);
      if (flags.json) io.stdout(json(report));
      else {
        io.stdout(
          report.ok
            ? `workflow sound: ${report.nodes} tasks, ${report.roots.length} root(s)\n`
            : `WORKFLOW HAS ${report.issues.length} FINDING(S) over ${report.nodes} tasks:\n`,
        );
        for (const issue of report.issues)
          io.stdout(`  ${issue.code}  ${issue.jti}: ${issue.message}\n`);
        if (nodes.length > 0) io.stdout(`${renderTree(nodes)}\n`);
      }
      setExit(report.ok ? EXIT_VALID : EXIT_INVALID);
    });

  dag
    .command('render')
    .description('draw a workflow as a text tree, a Mermaid flowchart or a Graphviz dot graph')
    .argument('[file]', 'tokens, one per line (- for standard input)')
    .option('--ledger <url>', 'read the workflow from a ledger instead')
    .option('--wid <id>', 'the workflow (required with --ledger)')
    .option('--format <format>', 'tree | mermaid | dot', parseFormat, 'tree')
    .addHelpText(
      'after',
      '\nExample:\n  ect dag render --ledger sqlite:./audit.db --wid 0b7e2f43-6c31-4f3c-9a57-2c8f5d1e9b10 --format mermaid\n',
    )
    .action(async (file: string | undefined, flags: SourceFlags & { format: Format }) => {
      const { nodes, verified } = await loadNodes(file, flags, io);
      if (!verified) io.stderr(UNVERIFIED);
      if (nodes.length === 0)
        throw new ECTConfigError('--wid', 'no task of that workflow was found');
      io.stdout(`${render(nodes, flags.format)}\n`);
      setExit(EXIT_VALID);
    });
}
