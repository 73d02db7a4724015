/**
 * The explorer's JSON API: the shapes the server sends and the browser reads. Types and one
 * constant, with no imports, so the browser bundle and the Node server share them without sharing
 * any code. Every string here may come from a token an attacker wrote: the page renders them as
 * text only.
 * @module
 */

/** Whether the server checked a token's signature and claims with the issuers' keys. */
export interface SignatureStatus {
  /** `unchecked` when the explorer was started without `--jwks` or `--trust`. */
  readonly state: 'valid' | 'invalid' | 'unchecked';
  readonly message: string;
}

/** A short verdict shown next to a workflow. */
export interface RowStatus {
  readonly ok: boolean;
  readonly text: string;
}

/** One line of the index: a workflow, or one task recorded without a `wid`. */
export interface WorkflowRow {
  /** The workflow id, or null for a task without one (then `seq` names it). */
  readonly wid: string | null;
  /** The last matching entry's seq: the row's place in the index (newest first). */
  readonly seq: number;
  /** First and last recording time of the whole workflow, Unix milliseconds. */
  readonly first: number;
  readonly last: number;
  readonly tasks: number;
  /** Up to five distinct issuers; `moreIssuers` counts the others. */
  readonly issuers: readonly string[];
  readonly moreIssuers: number;
  readonly status: RowStatus;
}

/** What the index was asked for (all optional; `before` is the paging cursor). */
export interface IndexQuery {
  readonly before?: number;
  readonly limit?: number;
  readonly jti?: string;
  readonly iss?: string;
  readonly execAct?: string;
  /** Recording time bounds, Unix milliseconds, inclusive. */
  readonly from?: number;
  readonly to?: number;
}

/** One page of the index. */
export interface IndexPage {
  readonly rows: readonly WorkflowRow[];
  /** The cursor of the next (older) page, or null at the start of the log. */
  readonly next: number | null;
  /** How many entries this request examined (searches without an index scan in bounded steps). */
  readonly scanned: number;
  /** The ledger's size when the page was read. */
  readonly size: number;
}

/** One task of a workflow, as the server summarises it (the page checks it against the proof). */
export interface TaskNode {
  readonly seq: number;
  readonly jti: string;
  readonly wid: string | null;
  readonly execAct: string;
  readonly iss: string;
  readonly level: number;
  readonly recordedAt: number;
  readonly iat: number;
  readonly pred: readonly string[];
  readonly signature: SignatureStatus;
}

/** A finding of the DAG audit (profile section 6). */
export interface AuditFinding {
  readonly jti: string;
  readonly code: string;
  readonly message: string;
}

/** A workflow with its tasks in recorded order. */
export interface WorkflowView {
  readonly wid: string | null;
  readonly tasks: readonly TaskNode[];
  readonly audit: { readonly ok: boolean; readonly issues: readonly AuditFinding[] };
}

/** An entry with its inclusion proof, for the page to check itself. */
export interface EntryView {
  readonly seq: number;
  /** The exact entry text of LED-2: the leaf's bytes. */
  readonly entry: string;
  /** The C2SP tlog-proof, its signed checkpoint included. */
  readonly proof: string;
  readonly signature: SignatureStatus;
}

/**
 * A workflow's entries with proofs against one checkpoint (an evidence bundle's content), or
 * `limited` when the workflow is too large to prove at once (then each task is proved when
 * selected).
 */
export interface ProofSet {
  readonly checkpoint: string | null;
  readonly entries: readonly { readonly entry: string; readonly proof: string }[];
  readonly limited: boolean;
}

/** The ledger (or bundle) as a whole. */
export interface StatusView {
  readonly mode: 'ledger' | 'bundle';
  /** The ledger's location (a path or a redacted URL) or the bundle file. */
  readonly location: string;
  readonly origin: string | null;
  /** The verifier key the page checks checkpoints with unless the auditor pins another. */
  readonly vkey: string | null;
  /** Where `vkey` comes from: the command line, the ledger's own meta table, or the bundle. */
  readonly vkeySource: 'command line' | 'ledger' | 'bundle';
  readonly size: number;
  /** The latest checkpoint (or the bundle's), with the witnesses' cosignature lines. */
  readonly checkpoint: string | null;
  /** How token signatures are checked: the key file given, or that they are not. */
  readonly keys: string;
}

/** Server-sent events of an integrity run. */
export type IntegrityEvent =
  | { readonly type: 'progress'; readonly checked: number; readonly total: number }
  | {
      readonly type: 'done';
      readonly ok: boolean;
      readonly summary: string;
      readonly problem?: string;
    }
  | { readonly type: 'error'; readonly message: string };

/** The performance mark the page sets when a workflow's DAG is in the document. */
export const DAG_DRAWN_MARK = 'ect:dag-drawn';
