/**
 * Reading what a client kept, to anchor a ledger check (LED-10): a signed checkpoint, or a
 * receipt in any of the forms the tools print (a receipt JWS, a C2SP tlog-proof, or a JSON line of
 * `ect verify --json` / `--batch` output with its `receipt`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { ECTConfigError } from '../../errors.js';
import { parseToken } from '../../format/parse.js';
import type { IntegrityAnchor } from '../../ledger/integrity.js';
import { parseTlogProof } from '../../tlog/proof-file.js';

function bad(file: string, problem: string): ECTConfigError {
  return new ECTConfigError('anchor', `${file}: ${problem}`);
}

/** The receipt JWS inside a JSON report, or the text itself. */
function receiptText(text: string): string {
  if (!text.startsWith('{')) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const receipt = (value as { receipt?: unknown }).receipt ?? value;
  const jws = typeof receipt === 'string' ? receipt : (receipt as { jws?: unknown })?.jws;
  return typeof jws === 'string' ? jws : text;
}

/** Reads one anchor file; throws `ECTConfigError` naming the file when it is none. */
export function readAnchor(options: {
  file: string;
  kind: 'checkpoint' | 'receipt';
}): IntegrityAnchor {
  const { file } = options;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw bad(
      file,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (options.kind === 'checkpoint') return { kind: 'checkpoint', note: text, source: file };
  const trimmed = receiptText(text.trim());
  if (trimmed.startsWith('c2sp.org/tlog-proof@v1')) {
    try {
      // A tlog-proof names no leaf hash: its signed checkpoint is the anchor.
      return {
        kind: 'checkpoint',
        note: parseTlogProof({ text: `${trimmed}\n` }).checkpoint,
        source: file,
      };
    } catch (error) {
      throw bad(file, `not a tlog-proof: ${(error as Error).message}`);
    }
  }
  let payload: Record<string, unknown>;
  try {
    payload = parseToken(trimmed).payload;
  } catch {
    throw bad(
      file,
      'is not a receipt (a receipt JWS, a tlog-proof, or a JSON report with a receipt)',
    );
  }
  const { seq, leaf_hash: leafHash, proof } = payload;
  if (typeof seq !== 'number' || typeof leafHash !== 'string' || typeof proof !== 'string') {
    throw bad(file, 'the receipt lacks seq, leaf_hash or proof (a receipt of an older release?)');
  }
  return { kind: 'receipt', seq, leafHash, proof, source: file };
}
