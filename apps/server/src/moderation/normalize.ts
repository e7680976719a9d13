/**
 * Normalization for matching: turns user text into a short sequence of folded symbols that the
 * automaton (aho-corasick.ts) scans, and remembers where every symbol came from so a match can
 * be masked in the ORIGINAL text.
 *
 * Pipeline, one left-to-right pass per stage, each linear in the input:
 *
 *   input ──A──▶ units ──B──▶ units (spaced-out words joined) ──C──▶ normalized symbols
 *
 *   A  per code point: zero-width/format characters dropped; combining marks dropped but their
 *      span joins the previous character; everything else NFKC → lowercase → NFD → strip \p{M}
 *      → hand folds (ß→ss…) → look-alike folding → leetspeak folding (fold-tables.ts). The
 *      result of A for a non-ASCII code point is cached: normalize() is called once per
 *      distinct code point, never over the whole message.
 *   B  "h.e.l.l.o", "h e l l o": three or more one-character words, each pair separated by
 *      exactly one separator character, the same one throughout, are joined into one word.
 *   C  runs of one symbol collapse into ONE position that records the run length, and every
 *      separator run becomes one boundary symbol (0x20). Terms are normalized the same way and
 *      keep their run lengths; a text run matches a term run when equal or stretched to 3+
 *      (aho-corasick.ts STRETCH). So the term "hello" (h e l×2 o) matches "heeelllooo" but not
 *      "helo", "ass" (a s×2) does not match "as", and "asses" does not match "assess".
 *
 * Offset map: position k of the output covers the original UTF-16 range [start[k], end[k]).
 * Joined separators fall inside the range of a match that spans them, so masking a match from
 * start[first] to end[last] hides the separators too.
 */
import {
  HOMOGLYPHS,
  Kind,
  LATIN_SPECIAL,
  NON_ASCII_SOFT,
  SEP_SYMBOL,
  UPPER_HOMOGLYPHS,
  ZERO_WIDTH,
  asciiKind,
  asciiSymbol,
} from './fold-tables.js';

/** Bits in NormalizedText.flags. */
export const Flag = {
  /** The position is a separator run (symbol 0x20). */
  Boundary: 1,
  /** Every character of the run was leetspeak punctuation (! @ $ | €). */
  Soft: 2,
} as const;

/**
 * The normalizer's output. Arrays may be longer than `length`: read indices below `length`
 * only. From Normalizer.run the object and its arrays are reused by the next run.
 */
export interface NormalizedText {
  /** Number of positions. */
  readonly length: number;
  /** Folded symbol (a code point) per position. */
  readonly symbols: Int32Array;
  /** Characters in the run at each position, capped at 255. */
  readonly runs: Uint8Array;
  /** Flag bits per position. */
  readonly flags: Uint8Array;
  /** Original UTF-16 index where each position starts. */
  readonly start: Uint32Array;
  /** Original UTF-16 index just past each position. */
  readonly end: Uint32Array;
  /** Letters in the original text (for the caps heuristic). */
  readonly letters: number;
  /** Uppercase and titlecase letters in the original text. */
  readonly upper: number;
  /** Loop iterations spent: at most a small constant times the input length. */
  readonly steps: number;
}

/** A NormalizedText that owns its arrays, plus the symbols as a string (tests, term compile). */
export interface NormalizedSnapshot extends NormalizedText {
  readonly text: string;
}

/** Result of stage A for one non-ASCII code point. */
interface Fold {
  /** Kind.Drop, Kind.Mark, or -1: emit `symbols` with `kinds`. */
  readonly kind: number;
  readonly symbols: readonly number[];
  readonly kinds: readonly number[];
  readonly letter: number;
  readonly upper: number;
}

// Plain numeric constants for the hot loops (property loads on Kind/Flag cost measurably).
const DROP: number = Kind.Drop;
const SOFT: number = Kind.Soft;
const SEP: number = Kind.Sep;
const MARK: number = Kind.Mark;
const JOINED: number = Kind.Joined;
const F_BOUNDARY: number = Flag.Boundary;
const F_SOFT: number = Flag.Soft;
const SPACE: number = SEP_SYMBOL;

const RE_MARK = /^\p{M}$/u;
const RE_INVISIBLE = /^[\p{Cc}\p{Cf}]$/u;
const RE_LETTER = /^\p{L}$/u;
const RE_UPPER = /^[\p{Lu}\p{Lt}]$/u;
const RE_WORD = /^[\p{L}\p{N}]$/u;
const FOLD_CACHE_MAX = 8192;
const foldCache = new Map<number, Fold>();

function computeFold(cp: number): Fold {
  const ch = String.fromCodePoint(cp);
  if (ZERO_WIDTH.has(cp) || RE_INVISIBLE.test(ch)) return { kind: Kind.Drop, symbols: [], kinds: [], letter: 0, upper: 0 };
  if (RE_MARK.test(ch)) return { kind: Kind.Mark, symbols: [], kinds: [], letter: 0, upper: 0 };
  const symbols: number[] = [];
  const kinds: number[] = [];
  const source = UPPER_HOMOGLYPHS.get(cp) ?? ch.normalize('NFKC').toLowerCase().normalize('NFD');
  for (const d of source) {
    const dc = d.codePointAt(0) as number;
    if (RE_MARK.test(d) || ZERO_WIDTH.has(dc)) continue;
    for (const e of LATIN_SPECIAL.get(dc) ?? HOMOGLYPHS.get(dc) ?? d) {
      const ec = e.codePointAt(0) as number;
      if (ec < 128) {
        const k = asciiKind[ec] as number;
        if (k === Kind.Drop) continue;
        kinds.push(k);
        symbols.push(k === Kind.Sep ? SEP_SYMBOL : (asciiSymbol[ec] as number));
      } else if (NON_ASCII_SOFT.has(ec)) {
        kinds.push(Kind.Soft);
        symbols.push((NON_ASCII_SOFT.get(ec) as string).charCodeAt(0));
      } else if (RE_WORD.test(e)) {
        kinds.push(Kind.Letter);
        symbols.push(ec);
      } else if (!RE_INVISIBLE.test(e)) {
        kinds.push(Kind.Sep);
        symbols.push(SEP_SYMBOL);
      }
    }
  }
  return { kind: -1, symbols, kinds, letter: RE_LETTER.test(ch) ? 1 : 0, upper: RE_UPPER.test(ch) ? 1 : 0 };
}

function foldOf(cp: number): Fold {
  let f = foldCache.get(cp);
  if (f === undefined) {
    // Bounded: a message of 10k distinct CJK characters must not grow the cache forever.
    if (foldCache.size >= FOLD_CACHE_MAX) foldCache.clear();
    f = computeFold(cp);
    foldCache.set(cp, f);
  }
  return f;
}

/**
 * A reusable normalizer: keeps its buffers between runs, so the hot path allocates nothing
 * once warmed up. Not re-entrant; one per filter.
 */
export class Normalizer implements NormalizedText {
  length = 0;
  symbols: Int32Array = new Int32Array(0);
  runs: Uint8Array = new Uint8Array(0);
  flags: Uint8Array = new Uint8Array(0);
  start: Uint32Array = new Uint32Array(0);
  end: Uint32Array = new Uint32Array(0);
  letters = 0;
  upper = 0;
  steps = 0;
  // Stage A/B scratch ("units": one folded character each, before run collapsing).
  #uSym: Int32Array = new Int32Array(0);
  #uKind: Uint8Array = new Uint8Array(0);
  #uStart: Uint32Array = new Uint32Array(0);
  #uEnd: Uint32Array = new Uint32Array(0);

  /** Normalizes `input`; returns this object, valid until the next run. */
  run(input: string): NormalizedText {
    const units = this.#fold(input);
    this.#join(input, units);
    this.#collapse(units);
    return this;
  }

  /** Stage A: code points to units. Returns the number of units. */
  #fold(input: string): number {
    const n = input.length;
    this.#reserveUnits(n + 8, 0);
    let uSym = this.#uSym;
    let uKind = this.#uKind;
    let uStart = this.#uStart;
    let uEnd = this.#uEnd;
    const kindOf = asciiKind;
    const symbolOf = asciiSymbol;
    let u = 0;
    let steps = 0;
    let letters = 0;
    let upper = 0;
    let i = 0;
    while (i < n) {
      const c = input.charCodeAt(i);
      steps++;
      if (c < 128) {
        const k = kindOf[c] as number;
        if (k !== DROP) {
          const lc = c | 0x20;
          if (lc >= 0x61 && lc <= 0x7a) {
            letters++;
            if (c < 0x61) upper++;
          }
          uSym[u] = symbolOf[c] as number;
          uKind[u] = k;
          uStart[u] = i;
          uEnd[u] = i + 1;
          u++;
        }
        i++;
        continue;
      }
      let cp = c;
      let len = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = input.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          len = 2;
        }
      }
      const f = foldOf(cp);
      if (f.kind === MARK) {
        // The mark belongs to the character before it: widen that character's span(s).
        if (u > 0) {
          const s0 = uStart[u - 1] as number;
          for (let j = u - 1; j >= 0 && uStart[j] === s0; j--) uEnd[j] = i + len;
        }
      } else if (f.kind !== DROP) {
        letters += f.letter;
        upper += f.upper;
        const m = f.symbols.length;
        if (u + m + (n - i) > uSym.length) {
          this.#reserveUnits(u + m + (n - i) + 8, u);
          ({ uSym, uKind, uStart, uEnd } = this.#unitBuffers());
        }
        for (let j = 0; j < m; j++) {
          uSym[u] = f.symbols[j] as number;
          uKind[u] = f.kinds[j] as number;
          uStart[u] = i;
          uEnd[u] = i + len;
          u++;
        }
        steps += m;
      }
      i += len;
    }
    this.letters = letters;
    this.upper = upper;
    this.steps = steps;
    return u;
  }

  /**
   * Stage B: joins chains of three or more one-character words separated by single, identical
   * separator characters ("h.e.l.l.o", "h e l l o"), by turning those separators into
   * JOINED. A different separator starts a new chain at the last word, so in
   * "a f.u.c.k" the article stays a word of its own. Each unit is visited at most twice.
   */
  #join(input: string, u: number): void {
    const kind = this.#uKind;
    const start = this.#uStart;
    let steps = 0;
    let chain = 0;
    let from = 0;
    let to = 0;
    let sep = -1;
    let lastFrom = 0;
    let j = 0;
    while (j < u) {
      let e = j + 1;
      if (kind[j] === SEP) {
        while (e < u && kind[e] === SEP) e++;
        if (e - j !== 1) {
          steps += this.#closeChain(chain, from, to);
          chain = 0;
        } else if (chain > 0) {
          const c = input.charCodeAt(start[j] as number);
          if (chain === 1) sep = c;
          else if (c !== sep) {
            steps += this.#closeChain(chain, from, to);
            chain = 1;
            from = lastFrom;
            sep = c;
          }
        }
      } else {
        const s0 = start[j];
        let single = true;
        for (; e < u && kind[e] !== SEP; e++) if (start[e] !== s0) single = false;
        if (!single) {
          steps += this.#closeChain(chain, from, to);
          chain = 0;
        } else {
          if (chain === 0) from = j;
          chain++;
          to = e;
          lastFrom = j;
        }
      }
      steps += e - j;
      j = e;
    }
    this.steps += steps + this.#closeChain(chain, from, to);
  }

  /** Joins the chain of `words` one-character words in units [from, to) if it is long enough. */
  #closeChain(words: number, from: number, to: number): number {
    if (words < 3) return 0;
    const kind = this.#uKind;
    for (let k = from; k < to; k++) if (kind[k] === SEP) kind[k] = JOINED;
    return to - from;
  }

  /** Stage C: collapses runs of one symbol (and of separators) into single positions. */
  #collapse(u: number): void {
    if (this.symbols.length < u) {
      const cap = Math.max(u, this.symbols.length * 2, 64);
      this.symbols = new Int32Array(cap);
      this.runs = new Uint8Array(cap);
      this.flags = new Uint8Array(cap);
      this.start = new Uint32Array(cap);
      this.end = new Uint32Array(cap);
    }
    const { symbols, runs, flags, start, end } = this;
    const uSym = this.#uSym;
    const uKind = this.#uKind;
    const uStart = this.#uStart;
    const uEnd = this.#uEnd;
    let o = 0;
    let last = -1;
    for (let j = 0; j < u; j++) {
      const k = uKind[j] as number;
      if (k === JOINED) continue;
      const sym = k === SEP ? SPACE : (uSym[j] as number);
      if (sym === last) {
        const p = o - 1;
        if ((runs[p] as number) < 255) runs[p] = (runs[p] as number) + 1;
        end[p] = uEnd[j] as number;
        if (k !== SOFT) flags[p] = (flags[p] as number) & ~F_SOFT;
        continue;
      }
      symbols[o] = sym;
      runs[o] = 1;
      flags[o] = k === SEP ? F_BOUNDARY : k === SOFT ? F_SOFT : 0;
      start[o] = uStart[j] as number;
      end[o] = uEnd[j] as number;
      last = sym;
      o++;
    }
    this.length = o;
    this.steps += u;
  }

  #unitBuffers(): { uSym: Int32Array; uKind: Uint8Array; uStart: Uint32Array; uEnd: Uint32Array } {
    return { uSym: this.#uSym, uKind: this.#uKind, uStart: this.#uStart, uEnd: this.#uEnd };
  }

  /** Ensures room for `cap` units, keeping the first `keep`. */
  #reserveUnits(cap: number, keep: number): void {
    if (this.#uSym.length >= cap) return;
    const size = Math.max(cap, this.#uSym.length * 2, 64);
    const grow = <T extends Int32Array | Uint8Array | Uint32Array>(old: T, next: T): T => {
      next.set(old.subarray(0, keep));
      return next;
    };
    this.#uSym = grow(this.#uSym, new Int32Array(size));
    this.#uKind = grow(this.#uKind, new Uint8Array(size));
    this.#uStart = grow(this.#uStart, new Uint32Array(size));
    this.#uEnd = grow(this.#uEnd, new Uint32Array(size));
  }
}

/** Shared by normalize(): allocating a Normalizer's buffers costs more than a short run. */
const shared = new Normalizer();

/** Normalizes `input` into a snapshot that owns its arrays. Convenient, not for the hot path. */
export function normalize(input: string): NormalizedSnapshot {
  const r = shared.run(input);
  const n = r.length;
  const symbols = r.symbols.slice(0, n);
  return {
    length: n,
    symbols,
    runs: r.runs.slice(0, n),
    flags: r.flags.slice(0, n),
    start: r.start.slice(0, n),
    end: r.end.slice(0, n),
    letters: r.letters,
    upper: r.upper,
    steps: r.steps,
    text: symbolsToString(symbols, n),
  };
}

/** The first `length` symbols as a string (one character per position, runs collapsed). */
export function symbolsToString(symbols: Int32Array, length: number): string {
  let s = '';
  for (let i = 0; i < length; i += 4096) {
    s += String.fromCodePoint(...symbols.subarray(i, Math.min(length, i + 4096)));
  }
  return s;
}

/**
 * 32-bit FNV-1a of the symbol sequence, ignoring leading and trailing separators and run
 * lengths: "Hello!!", "h3llo!" and "heeello !" fingerprint alike (repetition detection).
 */
export function fingerprint(t: NormalizedText): number {
  let a = 0;
  let b = t.length;
  while (a < b && t.symbols[a] === SEP_SYMBOL) a++;
  while (b > a && t.symbols[b - 1] === SEP_SYMBOL) b--;
  let h = 0x811c9dc5;
  for (let i = a; i < b; i++) {
    const s = t.symbols[i] as number;
    h = Math.imul(h ^ (s & 0xffff), 0x01000193);
    if (s > 0xffff) h = Math.imul(h ^ (s >>> 16), 0x01000193);
  }
  return h >>> 0;
}
