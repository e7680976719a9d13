/**
 * Message texts for the benches that run the moderation filter: plain ASCII chat of a given
 * length (nothing to escape in JSON), most of it clean, a share with words from the shipped
 * term list (apps/server/data/filter-terms.txt), some of those obfuscated (leetspeak,
 * dotted letters) so normalization has work to do. Only terms the `basic` level masks are
 * used — never an `!term` (always rejected) — and no links or shouting, so every message
 * is delivered (masked or not) and the bench can count every delivery.
 */
import { readFileSync } from 'node:fs';
import { WORDS, prng } from './chat-corpus.js';
import { FILTER_TERMS } from './paths.js';

const LEET: Readonly<Record<string, string>> = { a: '4', e: '3', i: '1', o: '0', s: '5', t: '7' };

export interface TextOptions {
  count: number;
  minBytes: number;
  maxBytes: number;
  /** Share of texts with one or two listed terms (0–1). */
  termShare: number;
  seed?: number;
}

let terms: string[] | undefined;

/** Plain lowercase terms of the shipped list (no wildcards, no `!`), at most 20 characters. */
export function maskableTerms(): string[] {
  terms ??= readFileSync(FILTER_TERMS, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[a-z]+( [a-z]+)?$/.test(line) && line.length <= 20);
  if (terms.length === 0) throw new Error(`no plain terms in ${FILTER_TERMS}`);
  return terms;
}

export function buildTexts(o: TextOptions): string[] {
  const r = prng(o.seed ?? 7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const list = maskableTerms();
  const out: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const target = o.minBytes + Math.floor(r() * (o.maxBytes - o.minBytes + 1));
    const words: string[] = [];
    let length = 0;
    const withTerms = r() < o.termShare;
    const termSlots = withTerms ? 1 + Math.floor(r() * 2) : 0;
    const slots = new Set<number>();
    while (slots.size < termSlots) slots.add(Math.floor(r() * Math.max(4, target / 12)));
    for (let w = 0; length < target; w++) {
      let word = pick(WORDS);
      if (slots.has(w)) {
        word = pick(list);
        const style = r();
        if (style < 0.2) word = [...word].map((c) => LEET[c] ?? c).join('');
        else if (style < 0.3) word = [...word].join('.');
      }
      words.push(word);
      length += word.length + 1;
    }
    let text = words.join(' ');
    if (text.length > o.maxBytes) text = text.slice(0, o.maxBytes).trimEnd();
    out.push(`${text.charAt(0).toUpperCase()}${text.slice(1)}`);
  }
  return out;
}
