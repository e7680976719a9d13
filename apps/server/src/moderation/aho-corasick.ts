/**
 * Aho–Corasick multi-pattern matching over normalized text (normalize.ts): one pass, one
 * transition per position, linear in input length plus reported candidates. No regular
 * expressions, no backtracking.
 *
 * Alphabet. Symbols are code points, but only the few dozen that occur in some pattern get a
 * class of their own (1..k-1); every other symbol is class 0, which no pattern contains, so it
 * sends the automaton back to the root. For Latin term lists k is about 30 (26 letters minus
 * 'l', which folds into 'i', plus digits that survive folding and the separator).
 *
 * Layouts (`layout` option; compare with scripts/measure-filter-cost.mjs):
 * - 'dense' (default): the complete DFA, `delta[state * k + class]` in one Int32Array. Failure
 *   links are folded into the table at build time, so search never follows them: one load per
 *   symbol. ~states × k × 4 bytes (≈2 MB for the shipped list).
 * - 'sparse': the textbook form, trie edges as CSR typed arrays (edge lists scanned linearly;
 *   most states have one child) plus failure links followed at search time (amortised O(1)).
 *   Memory linear in the term list; used automatically when the dense table would exceed
 *   DENSE_MAX_CELLS (a user list of 200k long terms).
 *
 *   state s ──class c──▶ delta[s*k+c]          dict[s]: nearest proper suffix state that ends
 *      │                                         a pattern ("output link"); first[s]: first
 *      └─ first[s] ─▶ pattern p ─ next[p] ─▶ …   pattern ending exactly at s, chained by next[]
 *
 * Patterns carry two constraints checked when they end (cost ≤ pattern length, counted in
 * `steps`): word boundaries (wordStart / wordEnd: the neighbouring position must be a separator
 * or leet punctuation, or the text edge) and run lengths (Pattern.runs; normalize.ts stage C).
 */
import type { CleanWords } from './clean-words.js';
import { Flag, type NormalizedText } from './normalize.js';

export interface Pattern {
  /** Normalized symbols, runs collapsed (NormalizedText.symbols). Must not be empty. */
  readonly symbols: readonly number[];
  /**
   * Run length per symbol (normalize.ts stage C). The text must repeat the symbol exactly that
   * often, or STRETCH times or more (deliberate stretching: "heeeello"), or twice where the
   * term has it once (a doubled-letter disguise: "fuuck"; see AhoCorasickOptions.cleanWords);
   * 0 accepts any run (separators). Omitted: any run everywhere.
   */
  readonly runs?: readonly number[];
  /** The match must start at a word boundary ("ass" must not match inside "class"). */
  readonly wordStart: boolean;
  /** The match must end at a word boundary. */
  readonly wordEnd: boolean;
}

export type Layout = 'dense' | 'sparse';

const WORD_START = 1;
const WORD_END = 2;
const BOUNDARY_LIKE = Flag.Boundary | Flag.Soft;

/** Matches as parallel arrays, reused across searches. Positions are normalized positions. */
export class MatchList {
  count = 0;
  pattern: Int32Array = new Int32Array(16);
  start: Int32Array = new Int32Array(16);
  end: Int32Array = new Int32Array(16);

  clear(): void {
    this.count = 0;
  }

  push(pattern: number, start: number, end: number): void {
    if (this.count === this.pattern.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.pattern = grow(this.pattern);
      this.start = grow(this.start);
      this.end = grow(this.end);
    }
    this.pattern[this.count] = pattern;
    this.start[this.count] = start;
    this.end[this.count] = end;
    this.count++;
  }

  toArray(): { pattern: number; start: number; end: number }[] {
    const out = [];
    for (let i = 0; i < this.count; i++) {
      out.push({ pattern: this.pattern[i] as number, start: this.start[i] as number, end: this.end[i] as number });
    }
    return out;
  }
}

/** Above this many table cells (states × k) 'dense' falls back to 'sparse': 32 MB of Int32. */
export const DENSE_MAX_CELLS = 8 * 1024 * 1024;

export interface AhoCorasickOptions {
  /** Transition layout. @default 'dense' (or 'sparse' when the table would exceed DENSE_MAX_CELLS) */
  layout?: Layout;
  /**
   * Words a match that needed a doubled letter may not be found in ("assess" for the term
   * "asses"; clean-words.ts). @default none: every doubled-letter match counts
   */
  cleanWords?: CleanWords;
}

export class AhoCorasick {
  /** Trie states, including the root (state 0). */
  readonly states: number;
  /** Alphabet size k, including class 0 (symbols no pattern uses). */
  readonly alphabetSize: number;
  readonly layout: Layout;
  /** Loop iterations of the last search: ≤ (1 + candidates per position) × input length. */
  lastSteps = 0;

  readonly #asciiClass = new Int32Array(128);
  readonly #classOf = new Map<number, number>();
  // dense
  readonly #delta: Int32Array;
  // sparse (CSR): edges of s are edgeClass/edgeTarget[edgeStart[s] .. edgeStart[s+1])
  readonly #rootRow: Int32Array;
  readonly #edgeStart: Int32Array;
  readonly #edgeClass: Int32Array;
  readonly #edgeTarget: Int32Array;
  readonly #fail: Int32Array;
  // outputs
  readonly #dict: Int32Array;
  readonly #first: Int32Array;
  readonly #next: Int32Array;
  readonly #len: Int32Array;
  readonly #bounds: Uint8Array;
  readonly #runOffset: Int32Array;
  readonly #runs: Uint8Array;
  readonly #clean: CleanWords | undefined;

  /** Builds the automaton once; patterns are referred to by their index in `patterns`. */
  constructor(patterns: readonly Pattern[], options: AhoCorasickOptions = {}) {
    let totalSymbols = 0;
    let totalRuns = 0;
    for (const p of patterns) {
      if (p.symbols.length === 0) throw new RangeError('empty pattern');
      totalSymbols += p.symbols.length;
      if (p.runs !== undefined) totalRuns += p.symbols.length;
      for (const s of p.symbols) {
        if (!this.#classOf.has(s)) {
          this.#classOf.set(s, this.#classOf.size + 1);
          if (s < 128) this.#asciiClass[s] = this.#classOf.size;
        }
      }
    }
    const k = this.#classOf.size + 1;
    this.alphabetSize = k;

    // Trie as first-child / next-sibling lists: memory linear in the patterns, whatever k is.
    const cap = totalSymbols + 1;
    const child = new Int32Array(cap).fill(-1);
    const sibling = new Int32Array(cap).fill(-1);
    const label = new Int32Array(cap);
    this.#first = new Int32Array(cap).fill(-1);
    this.#next = new Int32Array(patterns.length).fill(-1);
    this.#len = new Int32Array(patterns.length);
    this.#bounds = new Uint8Array(patterns.length);
    this.#runOffset = new Int32Array(patterns.length).fill(-1);
    this.#runs = new Uint8Array(totalRuns);
    let states = 1;
    let runsUsed = 0;
    patterns.forEach((p, index) => {
      let s = 0;
      for (const sym of p.symbols) {
        const c = this.#classOf.get(sym) as number;
        let t = child[s] as number;
        while (t >= 0 && label[t] !== c) t = sibling[t] as number;
        if (t < 0) {
          t = states++;
          label[t] = c;
          sibling[t] = child[s] as number;
          child[s] = t;
        }
        s = t;
      }
      // Several patterns may share a state (same symbols, different runs or boundaries).
      this.#next[index] = this.#first[s] as number;
      this.#first[s] = index;
      this.#len[index] = p.symbols.length;
      this.#bounds[index] = (p.wordStart ? WORD_START : 0) | (p.wordEnd ? WORD_END : 0);
      if (p.runs !== undefined) {
        if (p.runs.length !== p.symbols.length) throw new RangeError('runs and symbols differ in length');
        this.#runOffset[index] = runsUsed;
        for (const r of p.runs) this.#runs[runsUsed++] = Math.min(r, 255);
      }
    });
    this.#clean = options.cleanWords;
    this.states = states;
    this.#first = this.#first.slice(0, states);
    this.#fail = new Int32Array(states);
    this.#dict = new Int32Array(states);

    const wantDense = (options.layout ?? 'dense') === 'dense';
    this.layout = wantDense && states * k <= DENSE_MAX_CELLS ? 'dense' : 'sparse';
    const bfs = { child, sibling, label, states, k };
    if (this.layout === 'dense') {
      this.#delta = this.#buildDense(bfs);
      this.#rootRow = this.#edgeStart = this.#edgeClass = this.#edgeTarget = new Int32Array(0);
    } else {
      this.#delta = new Int32Array(0);
      this.#rootRow = new Int32Array(k);
      this.#edgeStart = new Int32Array(states + 1);
      this.#edgeClass = new Int32Array(Math.max(states - 1, 0));
      this.#edgeTarget = new Int32Array(Math.max(states - 1, 0));
      this.#buildSparse(bfs);
    }
  }

  /** Finds every occurrence of every pattern in `text`, appending to `out` (cleared first). */
  search(text: NormalizedText, out: MatchList = new MatchList()): MatchList {
    out.clear();
    if (this.layout === 'dense') this.#searchDense(text, out);
    else this.#searchSparse(text, out);
    return out;
  }

  #searchDense(text: NormalizedText, out: MatchList): void {
    const { symbols, length: n } = text;
    const delta = this.#delta;
    const asciiClass = this.#asciiClass;
    const classOf = this.#classOf;
    const first = this.#first;
    const dict = this.#dict;
    const k = this.alphabetSize;
    let steps = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const sym = symbols[i] as number;
      const c = sym < 128 ? (asciiClass[sym] as number) : (classOf.get(sym) ?? 0);
      s = delta[s * k + c] as number;
      steps++;
      const t = (first[s] as number) >= 0 ? s : (dict[s] as number);
      if (t !== 0) steps += this.#report(t, i, text, out);
    }
    this.lastSteps = steps;
  }

  #searchSparse(text: NormalizedText, out: MatchList): void {
    const { symbols, length: n } = text;
    const first = this.#first;
    const dict = this.#dict;
    const fail = this.#fail;
    let steps = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const sym = symbols[i] as number;
      const c = sym < 128 ? (this.#asciiClass[sym] as number) : (this.#classOf.get(sym) ?? 0);
      // Amortised O(1): each failure step lowers the depth, which rises by at most 1 per symbol.
      let t = this.#edge(s, c);
      while (t < 0) {
        s = fail[s] as number;
        t = this.#edge(s, c);
        steps++;
      }
      s = t;
      steps++;
      const o = (first[s] as number) >= 0 ? s : (dict[s] as number);
      if (o !== 0) steps += this.#report(o, i, text, out);
    }
    this.lastSteps = steps;
  }

  /** Sparse layout: the trie edge (s, c), the root's missing edges going to the root; else -1. */
  #edge(s: number, c: number): number {
    if (s === 0) return this.#rootRow[c] as number;
    const end = this.#edgeStart[s + 1] as number;
    for (let e = this.#edgeStart[s] as number; e < end; e++) {
      if (this.#edgeClass[e] === c) return this.#edgeTarget[e] as number;
    }
    return -1;
  }

  /** Reports the patterns ending at position i along the output chain from state t. */
  #report(t: number, i: number, text: NormalizedText, out: MatchList): number {
    let steps = 0;
    const n = text.length;
    const flags = text.flags;
    for (; t !== 0; t = this.#dict[t] as number) {
      for (let p = this.#first[t] as number; p >= 0; p = this.#next[p] as number) {
        steps++;
        const len = this.#len[p] as number;
        const start = i + 1 - len;
        const bounds = this.#bounds[p] as number;
        if (bounds & WORD_START && start > 0 && ((flags[start - 1] as number) & BOUNDARY_LIKE) === 0) continue;
        if (bounds & WORD_END && i + 1 < n && ((flags[i + 1] as number) & BOUNDARY_LIKE) === 0) continue;
        const off = this.#runOffset[p] as number;
        if (off >= 0) {
          // At an open end (no boundary required) the word may go on with the same letter
          // ("scam*" in "scammers"): there a longer run is fine whatever its length.
          const openFirst = (bounds & WORD_START) === 0;
          const openLast = (bounds & WORD_END) === 0;
          let q = 0;
          let doubled = false;
          for (; q < len; q++) {
            const tr = text.runs[start + q] as number;
            const pr = this.#runs[off + q] as number;
            if (runMatches(tr, pr) || (tr > pr && ((q === 0 && openFirst) || (q === len - 1 && openLast)))) continue;
            if (tr === 2 && pr === 1) {
              doubled = true;
              continue;
            }
            break;
          }
          steps += q;
          if (q < len) continue;
          // Matched only through a doubled letter: unless the word is a clean one ("assess").
          if (doubled && this.#clean !== undefined) {
            const clean = this.#clean.covers(text, start, i + 1);
            steps += this.#clean.lastSteps;
            if (clean) continue;
          }
        }
        out.push(p, start, i + 1);
      }
    }
    return steps;
  }

  /**
   * Complete DFA, breadth first: a state's row starts as a copy of its failure state's row
   * (already complete: the failure state is shallower) and its trie edges overwrite that copy.
   */
  #buildDense({ child, sibling, label, states, k }: TrieLists): Int32Array {
    const delta = new Int32Array(states * k);
    const queue = new Int32Array(states);
    let tail = 0;
    for (let t = child[0] as number; t >= 0; t = sibling[t] as number) {
      delta[label[t] as number] = t;
      queue[tail++] = t; // fail and dict of depth-1 states are the root
    }
    for (let head = 0; head < tail; head++) {
      const s = queue[head] as number;
      const fs = this.#fail[s] as number;
      delta.copyWithin(s * k, fs * k, fs * k + k);
      for (let t = child[s] as number; t >= 0; t = sibling[t] as number) {
        const c = label[t] as number;
        const f = delta[fs * k + c] as number;
        this.#fail[t] = f;
        this.#dict[t] = (this.#first[f] as number) >= 0 ? f : (this.#dict[f] as number);
        delta[s * k + c] = t;
        queue[tail++] = t;
      }
    }
    return delta;
  }

  /** CSR edge lists and failure links (textbook construction, following fail at build time). */
  #buildSparse({ child, sibling, label, states }: TrieLists): void {
    for (let s = 1; s < states; s++) {
      let deg = 0;
      for (let t = child[s] as number; t >= 0; t = sibling[t] as number) deg++;
      this.#edgeStart[s + 1] = (this.#edgeStart[s] as number) + deg;
    }
    for (let s = 1; s < states; s++) {
      let e = this.#edgeStart[s] as number;
      for (let t = child[s] as number; t >= 0; t = sibling[t] as number, e++) {
        this.#edgeClass[e] = label[t] as number;
        this.#edgeTarget[e] = t;
      }
    }
    const queue = new Int32Array(states);
    let tail = 0;
    for (let t = child[0] as number; t >= 0; t = sibling[t] as number) {
      this.#rootRow[label[t] as number] = t;
      queue[tail++] = t;
    }
    for (let head = 0; head < tail; head++) {
      const s = queue[head] as number;
      for (let t = child[s] as number; t >= 0; t = sibling[t] as number) {
        const c = label[t] as number;
        let f = this.#fail[s] as number;
        let g = this.#edge(f, c);
        while (g < 0) {
          f = this.#fail[f] as number;
          g = this.#edge(f, c);
        }
        this.#fail[t] = g;
        this.#dict[t] = (this.#first[g] as number) >= 0 ? g : (this.#dict[g] as number);
        queue[tail++] = t;
      }
    }
  }
}

interface TrieLists {
  child: Int32Array;
  sibling: Int32Array;
  label: Int32Array;
  states: number;
  k: number;
}

/** A text run this long or longer is stretching and matches any shorter term run. */
export const STRETCH = 3;

/**
 * Exact, or stretched. A text run of 2 where the term has 1 is handled by the caller: it is
 * the doubled-letter disguise ("fuuck"), but also ordinary spelling ("assess" is "asses"
 * with its last s doubled), so it counts only outside the clean words (clean-words.ts).
 */
function runMatches(textRun: number, termRun: number): boolean {
  return termRun === 0 || textRun === termRun || (textRun >= STRETCH && textRun > termRun);
}
