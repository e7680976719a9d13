/**
 * The moderation filter: one `check(sender, text, now)` per room message or DM, before fan-out.
 * Synchronous and CPU-bound by design (issue 3): it is the work cluster mode spreads over cores.
 *
 * What each level does with each finding (checked in this order; the first reject wins):
 *
 *   finding                        off     basic                strict
 *   flood (spam.ts)                -       reject 'flood'       reject 'flood'
 *   too many links (links.ts)      -       reject 'links'       reject 'links'
 *   term with `!` severity         -       reject 'blocked_term' reject 'blocked_term'
 *   any other term                 -       mask                 reject 'blocked_term'
 *   repetition                     -       not checked          reject 'repetition'
 *   caps (shouting)                -       not checked          reject 'caps'
 *
 * 'mask' replaces each UTF-16 code unit of every matched ORIGINAL span, separators and
 * zero-width characters inside it included, with '*', so the masked text has the original
 * length; text outside the spans is untouched, and the sender is told (handlers.ts sends it
 * a notice): the server never rewrites a message silently. Shouting is never rewritten
 * (it once was lowercased at basic, which changed "BROADCAST-MARK" into "broadcast-mark"
 * with no word to anyone). 'off' allocates nothing and loads no terms.
 *
 * Terms match exactly, stretched (3+ of a letter) or with a letter doubled ("fuuck"); a
 * doubled-letter match inside a clean word ("assess" for "asses") does not count
 * (clean-words.ts).
 *
 * Term syntax and the shipped list: terms.ts. Normalization: normalize.ts.
 */
import { MatchList, type Layout } from './aho-corasick.js';
import { ModerationError } from './errors.js';
import { classify } from './classifier-stand-in.js';
import { countLinks } from './links.js';
import { Normalizer, fingerprint, type NormalizedText } from './normalize.js';
import { DEFAULT_SPAM_OPTIONS, SenderTable, isShouting, type SpamOptions } from './spam.js';
import { DEFAULT_TERMS_PATH, compileTerms, loadTermsFile, type CompiledTerms } from './terms.js';

export { loadTermsFile } from './terms.js';

export type FilterLevel = 'off' | 'basic' | 'strict';
export type RejectReason = 'blocked_term' | 'flood' | 'repetition' | 'links' | 'caps';

export type Verdict =
  | { readonly action: 'allow' }
  | { readonly action: 'mask'; readonly text: string; readonly matches: number }
  | { readonly action: 'reject'; readonly reason: RejectReason };

export interface ModerationFilterOptions extends Partial<SpamOptions> {
  level: FilterLevel;
  /** Term lines (terms.ts syntax). @default the shipped list, data/filter-terms.txt */
  terms?: readonly string[];
  /** Links allowed in one message; one more is rejected. @default 3 */
  maxLinks?: number;
  /** Automaton layout (aho-corasick.ts). @default 'dense' */
  layout?: Layout;
  /** CPU µs of a simulated classifier per message that passes (classifier-stand-in.ts). @default 0 */
  classifierUs?: number;
}

export interface ModerationFilter {
  readonly level: FilterLevel;
  /** Distinct compiled terms (0 when off). */
  readonly termCount: number;
  /** Senders with spam state (≤ maxSenders). */
  readonly trackedSenders: number;
  /** Judges one message. `now` is a clock in ms (Date.now() or an injected one). */
  check(sender: string, text: string, now: number): Verdict;
  /** Drops a sender's spam state (on disconnect). */
  forget(sender: string): void;
}

const LEVELS: readonly FilterLevel[] = ['off', 'basic', 'strict'];
const ALLOW: Verdict = Object.freeze({ action: 'allow' });
const REJECT: Readonly<Record<RejectReason, Verdict>> = Object.freeze({
  blocked_term: Object.freeze({ action: 'reject', reason: 'blocked_term' }),
  flood: Object.freeze({ action: 'reject', reason: 'flood' }),
  repetition: Object.freeze({ action: 'reject', reason: 'repetition' }),
  links: Object.freeze({ action: 'reject', reason: 'links' }),
  caps: Object.freeze({ action: 'reject', reason: 'caps' }),
});

type ResolvedOptions = Readonly<
  SpamOptions & { level: FilterLevel; maxLinks: number; layout: Layout; classifierUs: number }
>;

/** Compiled shipped list per layout: built on first use, shared by every filter. */
const defaultTerms = new Map<Layout, CompiledTerms>();

export function createModerationFilter(options: ModerationFilterOptions): ModerationFilter {
  const o = resolveOptions(options);
  if (o.level === 'off') {
    return Object.freeze({
      level: 'off' as const,
      termCount: 0,
      trackedSenders: 0,
      check: (): Verdict => ALLOW,
      forget: (): void => {},
    });
  }
  return new Filter(o, compiled(options.terms, o.layout));
}

function compiled(terms: readonly string[] | undefined, layout: Layout): CompiledTerms {
  if (terms !== undefined) return compileTerms(terms, layout);
  let c = defaultTerms.get(layout);
  if (c === undefined) {
    c = compileTerms(loadTermsFile(DEFAULT_TERMS_PATH), layout);
    defaultTerms.set(layout, c);
  }
  return c;
}

class Filter implements ModerationFilter {
  readonly level: FilterLevel;
  readonly #o: ResolvedOptions;
  readonly #terms: CompiledTerms;
  readonly #senders: SenderTable;
  readonly #normalizer = new Normalizer();
  readonly #matches = new MatchList();
  readonly #strict: boolean;

  constructor(o: ResolvedOptions, terms: CompiledTerms) {
    this.level = o.level;
    this.#o = o;
    this.#terms = terms;
    this.#senders = new SenderTable(o);
    this.#strict = o.level === 'strict';
  }

  get termCount(): number {
    return this.#terms.specs.length;
  }

  get trackedSenders(): number {
    return this.#senders.size;
  }

  forget(sender: string): void {
    this.#senders.forget(sender);
  }

  check(sender: string, text: string, now: number): Verdict {
    const o = this.#o;
    const state = this.#senders.touch(sender);
    // Cheapest first: a flooder costs a ring-buffer probe, not a normalization.
    if (state.flood(now, o.floodWindowMs)) return REJECT.flood;
    if (countLinks(text) > o.maxLinks) return REJECT.links;
    const norm = this.#normalizer.run(text);
    const copies = this.#strict ? state.repeats(fingerprint(norm), now, o.repeatWindowMs) : 0;
    const found = this.#terms.automaton.search(norm, this.#matches);
    if (found.count > 0 && (this.#strict || this.#anyReject(found))) return REJECT.blocked_term;
    if (copies >= o.repeatMax) return REJECT.repetition;
    // What the rules let through would go to the (simulated) model next.
    if (o.classifierUs > 0) classify(text, o.classifierUs);
    // Shouting is a tone problem: strict refuses it (the sender is told), basic lets it pass.
    // Never lowercased: the server does not rewrite what a user wrote.
    if (this.#strict && isShouting(norm.letters, norm.upper, o)) return REJECT.caps;
    if (found.count === 0) return ALLOW;
    const masked = maskMatches(text, norm, found);
    return { action: 'mask', text: masked.text, matches: masked.spans };
  }

  #anyReject(found: MatchList): boolean {
    for (let i = 0; i < found.count; i++) if (this.#terms.rejects[found.pattern[i] as number] === 1) return true;
    return false;
  }
}

/**
 * Replaces the original span of every match with '*' (one per UTF-16 code unit); overlapping
 * and adjacent spans merge and count once.
 */
export function maskMatches(text: string, norm: NormalizedText, found: MatchList): { text: string; spans: number } {
  const spans: [number, number][] = [];
  for (let i = 0; i < found.count; i++) {
    spans.push([norm.start[found.start[i] as number] as number, norm.end[(found.end[i] as number) - 1] as number]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  let out = '';
  let copied = 0;
  let merged = 0;
  let curStart = -1;
  let curEnd = -1;
  const flush = (): void => {
    out += text.slice(copied, curStart) + '*'.repeat(curEnd - curStart);
    copied = curEnd;
    merged++;
  };
  for (const [a, b] of spans) {
    if (curStart >= 0 && a <= curEnd) {
      if (b > curEnd) curEnd = b;
      continue;
    }
    if (curStart >= 0) flush();
    curStart = a;
    curEnd = b;
  }
  if (curStart >= 0) flush();
  return { text: out + text.slice(copied), spans: merged };
}

function resolveOptions(options: ModerationFilterOptions): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = {
    ...DEFAULT_SPAM_OPTIONS,
    maxLinks: 3,
    layout: 'dense' as Layout,
    classifierUs: 0,
    ...defined,
  } as SpamOptions & {
    level: FilterLevel;
    maxLinks: number;
    layout: Layout;
    classifierUs: number;
  };
  if (!LEVELS.includes(o.level)) fail(`level must be one of ${LEVELS.join(', ')} (got ${String(o.level)})`);
  if (o.layout !== 'dense' && o.layout !== 'sparse') fail(`layout must be dense or sparse (got ${String(o.layout)})`);
  int(o.floodMax, 'floodMax', 1, 1000);
  int(o.floodWindowMs, 'floodWindowMs', 1, 86_400_000);
  int(o.repeatHistory, 'repeatHistory', 1, 64);
  int(o.repeatMax, 'repeatMax', 2, o.repeatHistory + 1);
  int(o.repeatWindowMs, 'repeatWindowMs', 1, 86_400_000);
  int(o.capsMinLetters, 'capsMinLetters', 1, 1_000_000);
  int(o.maxSenders, 'maxSenders', 1, 10_000_000);
  int(o.maxLinks, 'maxLinks', 0, 10_000);
  int(o.classifierUs, 'classifierUs', 0, 100_000);
  if (typeof o.capsRatio !== 'number' || !(o.capsRatio >= 0 && o.capsRatio <= 1))
    fail(`capsRatio must be a number from 0 to 1 (got ${String(o.capsRatio)})`);
  if (options.terms !== undefined && !Array.isArray(options.terms)) fail('terms must be an array of strings');
  return Object.freeze(o);
}

function int(v: unknown, key: string, min: number, max: number): void {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    fail(`${key} must be an integer from ${min} to ${max} (got ${String(v)})`);
  }
}

function fail(message: string): never {
  throw new ModerationError('FILTER_INVALID_OPTION', message);
}
