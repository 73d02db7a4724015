/**
 * What the explorer reads, whatever it reads it from: a ledger (ledger-source.ts) or one evidence
 * bundle (bundle-source.ts). Every method only reads; nothing here can change a ledger.
 * @module
 */
import type {
  EntryView,
  IndexPage,
  IndexQuery,
  IntegrityEvent,
  ProofSet,
  StatusView,
  WorkflowView,
} from '../api.js';

/** Names a workflow, or a task recorded without a `wid` by its seq. */
export type WorkflowKey = { readonly wid: string } | { readonly seq: number };

/** A read-only view of recorded tasks, their proofs and the checkpoint they are proved against. */
export interface ExplorerSource {
  status(): Promise<StatusView>;
  /** One page of the index, newest first. */
  index(query: IndexQuery): Promise<IndexPage>;
  /** The workflow's tasks in recorded order; `undefined` when there is none. */
  workflow(key: WorkflowKey): Promise<WorkflowView | undefined>;
  /** An entry with its inclusion proof; `undefined` when there is none. */
  entry(seq: number): Promise<EntryView | undefined>;
  /** The workflow's entries with proofs against one checkpoint. */
  proofs(key: WorkflowKey): Promise<ProofSet | undefined>;
  /** The evidence bundle of the workflow (LED-12), as file text. */
  bundle(key: WorkflowKey): Promise<string | undefined>;
  /** Mermaid text of the workflow's DAG. */
  mermaid(key: WorkflowKey): Promise<string | undefined>;
  /** Runs the integrity check, telling progress; the last event is `done` or `error`. */
  integrity(onEvent: (event: IntegrityEvent) => void): Promise<void>;
  close(): Promise<void>;
}

/** Most entries a workflow's proofs are sent for at once (larger ones prove on selection). */
export const MAX_PROOF_SET = 2000;
/** Rows of an index page, by default and at most. */
export const DEFAULT_PAGE_ROWS = 50;
export const MAX_PAGE_ROWS = 200;
/** Issuers listed in a row before "and N more". */
export const ROW_ISSUERS = 5;
