/**
 * The page's own checks, with WebCrypto: it does not take the server's word. For an entry it
 * recomputes the RFC 9162 leaf hash, SHA-256(0x00 ‖ entry text), from the entry's bytes, walks the
 * inclusion proof to a root (RFC 9162 §2.1.3.2) and compares it with the checkpoint's root, and
 * verifies the checkpoint's Ed25519 signed-note signature with the ledger's verifier key (key ID
 * derived and compared too). Witness cosignatures (cosignature/v1) are verified the same way.
 * Written from docs/ledger.md, independently of the server's code.
 * @module
 */

const encoder = new TextEncoder();
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ENTRY_HEADER = 'ect-ledger-entry/v1';
const PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

/** One step of a check, shown as a line with a mark. */
export interface Step {
  readonly label: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Canonical standard base64 to bytes, or undefined (a non-canonical form is refused). */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!STD_BASE64.test(text)) return undefined;
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : undefined;
}

/** Bytes to padded standard base64. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Bytes to base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A base64url segment as UTF-8 text, or undefined. */
export function base64UrlText(segment: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined;
  const padded = segment.replace(/-/g, '+').replace(/_/g, '/');
  try {
    const bytes = Uint8Array.from(atob(padded + '='.repeat((4 - (padded.length % 4)) % 4)), (c) =>
      c.charCodeAt(0),
    );
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** SHA-256 of the concatenated parts. */
export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

/** RFC 9162 §2.1.1 leaf hash of an entry text. */
export function leafHashOf(entry: string): Promise<Uint8Array> {
  return sha256(Uint8Array.of(0), encoder.encode(entry));
}

function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(1), left, right);
}

/** The root an inclusion proof leads to (RFC 9162 §2.1.3.2); throws naming what is wrong. */
export async function rootFromInclusion(options: {
  readonly index: number;
  readonly size: number;
  readonly leaf: Uint8Array;
  readonly proof: readonly Uint8Array[];
}): Promise<Uint8Array> {
  const { index, size, leaf, proof } = options;
  if (!(index < size)) throw new Error(`index ${index} is not below the tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error('the proof is longer than the tree needs');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the proof is shorter than the tree needs');
  return r;
}

/** An entry text's fields (LED-2), or undefined when it is not one. */
export interface EntryFields {
  readonly seq: number;
  readonly level: number;
  readonly recordedAt: number;
  readonly token: string;
}

/** Reads an entry text: five lines, each ending in a newline. */
export function parseEntryText(text: string): EntryFields | undefined {
  const lines = text.split('\n');
  if (lines.length !== 6 || lines[0] !== ENTRY_HEADER || lines[5] !== '') return undefined;
  const [, seq = '', level = '', time = '', token = ''] = lines;
  if (!/^[1-9][0-9]*$/.test(seq) || !/^[123]$/.test(level) || !/^(0|[1-9][0-9]*)$/.test(time)) {
    return undefined;
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(token)) return undefined;
  return { seq: Number(seq), level: Number(level), recordedAt: Number(time), token };
}

/** A tlog-proof text's parts; throws naming what is malformed. */
export function parseProof(text: string): {
  index: number;
  proof: Uint8Array[];
  checkpoint: string;
} {
  const split = text.indexOf('\n\n');
  if (split < 0) throw new Error('the proof has no blank line before its checkpoint');
  const lines = text.slice(0, split).split('\n');
  if (lines[0] !== PROOF_HEADER) throw new Error(`the proof does not start with ${PROOF_HEADER}`);
  let next = 1;
  if (lines[next]?.startsWith('extra ')) next++;
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines[next] ?? '');
  if (index === null) throw new Error('the proof has no index line');
  const proof = lines.slice(next + 1).map((line) => {
    const hash = fromBase64(line);
    if (hash === undefined || hash.length !== 32) throw new Error('a proof line is not a hash');
    return hash;
  });
  return { index: Number(index[1]), proof, checkpoint: text.slice(split + 2) };
}

/** A signature line of a note, decoded. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

/** A signed note's text and signature lines (signed-note §Format). */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('the note has no blank line before its signatures');
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw new Error('the last signature line does not end in a newline');
  const signatures = block
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = /^— (\S+) (\S+)$/.exec(line);
      const bytes = m === null ? undefined : fromBase64(m[2]!);
      if (m === null || bytes === undefined || bytes.length < 5) {
        throw new Error('a signature line is malformed');
      }
      return { name: m[1]!, keyId: bytes.slice(0, 4), signature: bytes.slice(4) };
    });
  return { text: note.slice(0, split + 1), signatures };
}

/** A checkpoint body: origin, size, root. */
export interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

/** Reads a checkpoint note text (c2sp.org/tlog-checkpoint). */
export function parseCheckpointText(text: string): CheckpointBody {
  const [origin = '', size = '', root = ''] = text.split('\n');
  const hash = fromBase64(root);
  if (
    origin === '' ||
    !/^(0|[1-9][0-9]*)$/.test(size) ||
    hash === undefined ||
    hash.length !== 32
  ) {
    throw new Error('the checkpoint text is malformed');
  }
  return { origin, size: Number(size), root: hash };
}

/** A verifier key (signed-note §Verifier keys), its key ID checked against the key. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly type: number;
  readonly publicKey: Uint8Array;
}

/** Reads `<name>+<hex key ID>+base64(type ‖ key)`; throws when the ID does not match the key. */
export async function parseVerifierKey(vkey: string): Promise<VerifierKey> {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey.trim());
  const material = m === null ? undefined : fromBase64(m[3]!);
  if (m === null || material === undefined || material.length !== 33) {
    throw new Error('not a verifier key (name+keyid+base64 key)');
  }
  const type = material[0]!;
  if (type !== 0x01 && type !== 0x04) throw new Error(`key type ${type} is not Ed25519`);
  const publicKey = material.slice(1);
  const id = (await sha256(encoder.encode(m[1]), Uint8Array.of(0x0a, type), publicKey)).slice(0, 4);
  if (hex(id) !== m[2]) throw new Error(`the key ID ${m[2]} does not match the key`);
  return { name: m[1]!, keyId: id, type, publicKey };
}

async function ed25519Verify(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  if (signature.length !== 64) return false;
  // Copies: WebCrypto takes views of plain ArrayBuffers only.
  const raw = Uint8Array.from(publicKey);
  const key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify('Ed25519', key, Uint8Array.from(signature), Uint8Array.from(message));
}

/** Verifies the note's signature by `vkey` (type 0x01) over its text. */
export async function verifyNote(note: string, vkey: string): Promise<Step> {
  const label = 'checkpoint signature (Ed25519, signed note)';
  try {
    const key = await parseVerifierKey(vkey);
    if (key.type !== 0x01) throw new Error('the ledger key must be of type 0x01');
    const { text, signatures } = parseNote(note);
    const mine = signatures.filter((s) => s.name === key.name && same(s.keyId, key.keyId));
    if (mine.length === 0) return { label, ok: false, detail: `no signature by ${key.name}` };
    const message = encoder.encode(text);
    for (const s of mine) {
      if (!(await ed25519Verify(key.publicKey, s.signature, message))) {
        return { label, ok: false, detail: `the signature of ${key.name} does not verify` };
      }
    }
    const body = parseCheckpointText(text);
    if (body.origin !== key.name) {
      return { label, ok: false, detail: `origin ${body.origin} is not the key's ${key.name}` };
    }
    return { label, ok: true, detail: `signed by ${key.name}+${hex(key.keyId)}` };
  } catch (error) {
    return { label, ok: false, detail: (error as Error).message };
  }
}

/** A witness cosignature (cosignature/v1) on the note by `vkey` (type 0x04), with its time. */
export async function verifyCosignature(note: string, vkey: string): Promise<Step> {
  let label = 'cosignature';
  try {
    const key = await parseVerifierKey(vkey);
    label = `cosignature of ${key.name}`;
    if (key.type !== 0x04) throw new Error('a witness key is of type 0x04');
    const { text, signatures } = parseNote(note);
    const line = signatures.find((s) => s.name === key.name && same(s.keyId, key.keyId));
    if (line === undefined || line.signature.length !== 72) {
      return { label, ok: false, detail: 'no cosignature by this witness' };
    }
    const time = new DataView(line.signature.buffer, line.signature.byteOffset, 8).getBigUint64(0);
    const message = encoder.encode(`cosignature/v1\ntime ${time}\n${text}`);
    const ok = await ed25519Verify(key.publicKey, line.signature.slice(8), message);
    const when = new Date(Number(time) * 1000).toISOString();
    return { label, ok, detail: ok ? `cosigned at ${when}` : 'the cosignature does not verify' };
  } catch (error) {
    return { label, ok: false, detail: (error as Error).message };
  }
}

const noteChecks = new Map<string, Promise<Step>>();

/** `verifyNote`, once per (note, key): a workflow's entries share one checkpoint. */
export function verifyNoteOnce(note: string, vkey: string): Promise<Step> {
  const key = `${vkey}\n${note}`;
  let check = noteChecks.get(key);
  if (check === undefined) {
    check = verifyNote(note, vkey);
    noteChecks.set(key, check);
  }
  return check;
}

/** The outcome of checking one entry against its proof and checkpoint. */
export interface EntryCheck {
  readonly ok: boolean;
  readonly steps: readonly Step[];
  readonly fields?: EntryFields;
  /** base64 of the leaf hash computed here, and of the root the path led to. */
  readonly leafHash?: string;
  readonly root?: string;
  readonly checkpoint?: { readonly origin: string; readonly size: number; readonly root: string };
  /** The inclusion path, base64. */
  readonly path?: readonly string[];
  readonly index?: number;
}

/**
 * Checks an entry: its text, its proof's index, the leaf hash, the path to the checkpoint's
 * root, and the checkpoint's signature. `checkpoint`, when given, is the note the proof must
 * carry byte for byte (a workflow's entries are proved against one checkpoint).
 */
export async function checkEntry(options: {
  readonly entry: string;
  readonly proof: string;
  readonly vkey: string | null;
  readonly checkpoint?: string;
}): Promise<EntryCheck> {
  const steps: Step[] = [];
  const fail = (label: string, detail: string): EntryCheck => ({
    ok: false,
    steps: [...steps, { label, ok: false, detail }],
  });
  const fields = parseEntryText(options.entry);
  if (fields === undefined) return fail('entry text', 'not an ect-ledger-entry/v1 text');
  steps.push({ label: 'entry text', ok: true, detail: `seq ${fields.seq}, level ${fields.level}` });
  let proof;
  try {
    proof = parseProof(options.proof);
  } catch (error) {
    return { ...fail('inclusion proof', (error as Error).message), fields };
  }
  if (proof.index !== fields.seq - 1) {
    return { ...fail('inclusion proof', `index ${proof.index} is not seq − 1`), fields };
  }
  if (options.checkpoint !== undefined && proof.checkpoint !== options.checkpoint) {
    return { ...fail('inclusion proof', "the proof's checkpoint is not the workflow's"), fields };
  }
  let body: CheckpointBody;
  try {
    body = parseCheckpointText(parseNote(proof.checkpoint).text);
  } catch (error) {
    return { ...fail('checkpoint', (error as Error).message), fields };
  }
  const leaf = await leafHashOf(options.entry);
  steps.push({ label: 'leaf hash', ok: true, detail: `SHA-256(0x00 ‖ entry) = ${toBase64(leaf)}` });
  const common = {
    fields,
    leafHash: toBase64(leaf),
    checkpoint: { origin: body.origin, size: body.size, root: toBase64(body.root) },
    path: proof.proof.map(toBase64),
    index: proof.index,
  };
  let root: Uint8Array;
  try {
    root = await rootFromInclusion({
      index: proof.index,
      size: body.size,
      leaf,
      proof: proof.proof,
    });
  } catch (error) {
    return { ...fail('Merkle path', (error as Error).message), ...common };
  }
  const rootOk = same(root, body.root);
  steps.push({
    label: 'Merkle path',
    ok: rootOk,
    detail: rootOk
      ? `${proof.proof.length} hashes lead to the checkpoint's root of ${body.size} entries`
      : `the path leads to ${toBase64(root)}, not the checkpoint's root`,
  });
  if (options.vkey === null) {
    steps.push({ label: 'checkpoint signature', ok: false, detail: 'no verifier key known' });
  } else {
    steps.push(await verifyNoteOnce(proof.checkpoint, options.vkey));
  }
  return { ok: steps.every((s) => s.ok), steps, ...common, root: toBase64(root) };
}
