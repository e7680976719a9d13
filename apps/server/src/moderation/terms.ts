/**
 * Term lists: the file format, loading with limits, and compiling terms into an automaton.
 *
 * File format (the shipped data/filter-terms.txt and `--filter-terms PATH` files alike):
 * UTF-8, one term per line; blank lines and lines starting with `#` are ignored; surrounding
 * whitespace is trimmed. Each term may carry markers:
 *
 *   idiot        whole word: "idiot", "IDIOT!", "1d10t" match; "idiots", "idiotic" do not
 *   scam*        word start: "scam", "scams", "scammer" match; "antiscam" does not
 *   *hole        word end
 *   *fuck*       anywhere, even inside a longer word
 *   !kys         severity "reject": rejects the message even at level basic (combinable: !*x*)
 *
 * Whole word is the default because substring matching of short terms is the classic false
 * positive ("ass" in "class", "hell" in "shell"); substring matching is opt-in per term, for
 * stems that do not occur inside ordinary words. A literal leading `!` or `*` cannot be part
 * of a term (write the letter: `i` for `!`, which folds to the same symbol anyway).
 *
 * Terms are normalized exactly like messages (normalize.ts), so "hello", "HELLO" and "h3ll0"
 * in a list are the same term (duplicates are merged, keeping the stricter severity).
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AhoCorasick, type Layout, type Pattern } from './aho-corasick.js';
import { loadCleanWords, type CleanWords } from './clean-words.js';
import { ModerationError } from './errors.js';
import { SEP_SYMBOL } from './fold-tables.js';
import { Normalizer } from './normalize.js';

/** The shipped demonstration list (works from src/ under vitest and from dist/). */
export const DEFAULT_TERMS_PATH = fileURLToPath(new URL('../../data/filter-terms.txt', import.meta.url));

export interface TermLimits {
  /** Largest file accepted, bytes. @default 5 MiB */
  maxBytes: number;
  /** Most terms accepted. @default 200000 */
  maxTerms: number;
  /** Longest term, UTF-16 code units (markers included). @default 200 */
  maxTermLength: number;
}

export const DEFAULT_TERM_LIMITS: Readonly<TermLimits> = Object.freeze({
  maxBytes: 5 * 1024 * 1024,
  maxTerms: 200_000,
  maxTermLength: 200,
});

export type Severity = 'mask' | 'reject';

export interface TermSpec {
  /** The term without markers. */
  readonly text: string;
  readonly severity: Severity;
  readonly wordStart: boolean;
  readonly wordEnd: boolean;
}

/** Splits markers off one term line (already trimmed, not a comment). */
export function parseTermSpec(line: string): TermSpec {
  let text = line.trim();
  let severity: Severity = 'mask';
  if (text.startsWith('!')) {
    severity = 'reject';
    text = text.slice(1);
  }
  const wordStart = !text.startsWith('*');
  if (!wordStart) text = text.slice(1);
  const wordEnd = !text.endsWith('*');
  if (!wordEnd) text = text.slice(0, -1);
  return { text, severity, wordStart, wordEnd };
}

/**
 * Reads a term list file. The size is checked before the file is read, the term count and
 * term lengths while splitting; each limit has its own error code.
 */
export function loadTermsFile(path: string, limits: Partial<TermLimits> = {}): string[] {
  const l = { ...DEFAULT_TERM_LIMITS, ...limits };
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > l.maxBytes) {
      throw new ModerationError('FILTER_TERMS_TOO_LARGE', `term list ${path} is ${size} bytes; the limit is ${l.maxBytes}`);
    }
    bytes = readFileSync(fd);
  } catch (err) {
    if (err instanceof ModerationError) throw err;
    throw new ModerationError('FILTER_TERMS_UNREADABLE', `cannot read term list ${path}: ${(err as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  // A file that grew between fstat and read is still held to the limit.
  if (bytes.length > l.maxBytes) {
    throw new ModerationError('FILTER_TERMS_TOO_LARGE', `term list ${path} exceeds ${l.maxBytes} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModerationError('FILTER_TERMS_NOT_UTF8', `term list ${path} is not valid UTF-8`);
  }
  return parseTermsText(text, l, path);
}

/** Splits file content into term lines: comments, blank lines and a BOM dropped. */
export function parseTermsText(text: string, limits: Partial<TermLimits> = {}, source = 'term list'): string[] {
  const l = { ...DEFAULT_TERM_LIMITS, ...limits };
  const terms: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.length > l.maxTermLength) {
      throw new ModerationError(
        'FILTER_TERM_TOO_LONG',
        `${source}:${i + 1}: term is ${line.length} characters; the limit is ${l.maxTermLength}`,
      );
    }
    if (terms.length === l.maxTerms) {
      throw new ModerationError('FILTER_TERMS_TOO_MANY', `${source} has more than ${l.maxTerms} terms`);
    }
    terms.push(line);
  }
  return terms;
}

/** A term list ready for matching: pattern i of the automaton is specs[i]. */
export interface CompiledTerms {
  readonly automaton: AhoCorasick;
  readonly specs: readonly TermSpec[];
  /** 1 where specs[i].severity is 'reject'. */
  readonly rejects: Uint8Array;
  /** Input lines that normalize to nothing (only separators or invisible characters). */
  readonly ignored: number;
}

/** Normalizes and de-duplicates `terms` and builds the automaton. Linear in the list size. */
export function compileTerms(
  terms: readonly string[],
  layout: Layout = 'dense',
  /** null: no clean words, every doubled-letter match counts. */
  cleanWords: CleanWords | null = defaultCleanWords(),
): CompiledTerms {
  const patterns: Pattern[] = [];
  const specs: TermSpec[] = [];
  const byKey = new Map<string, number>();
  const normalizer = new Normalizer();
  let ignored = 0;
  for (const line of terms) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const spec = parseTermSpec(line);
    const n = normalizer.run(spec.text);
    let a = 0;
    let b = n.length;
    while (a < b && n.symbols[a] === SEP_SYMBOL) a++;
    while (b > a && n.symbols[b - 1] === SEP_SYMBOL) b--;
    if (a === b) {
      ignored++;
      continue;
    }
    const symbols = Array.from(n.symbols.subarray(a, b));
    // A separator in a phrase matches any separator run (0): only letters keep their run length.
    const runs = Array.from(n.runs.subarray(a, b), (r, i) => (symbols[i] === SEP_SYMBOL ? 0 : r));
    const key = `${spec.wordStart ? 1 : 0}${spec.wordEnd ? 1 : 0}:${runs.join(',')}:${symbols.join(',')}`;
    const seen = byKey.get(key);
    if (seen !== undefined) {
      if (spec.severity === 'reject') specs[seen] = { ...(specs[seen] as TermSpec), severity: 'reject' };
      continue;
    }
    byKey.set(key, patterns.length);
    patterns.push({ symbols, runs, wordStart: spec.wordStart, wordEnd: spec.wordEnd });
    specs.push(spec);
  }
  const rejects = Uint8Array.from(specs, (s) => (s.severity === 'reject' ? 1 : 0));
  const options = cleanWords === null ? { layout } : { layout, cleanWords };
  return { automaton: new AhoCorasick(patterns, options), specs, rejects, ignored };
}

let shippedCleanWords: CleanWords | undefined;

/** The shipped clean-word list (data/filter-clean-words.txt), read once. */
export function defaultCleanWords(): CleanWords {
  return (shippedCleanWords ??= loadCleanWords());
}
