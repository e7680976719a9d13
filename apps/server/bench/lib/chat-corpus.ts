/**
 * A deterministic stream of realistic chat messages for measuring the filter (filter-cost.ts):
 * mostly clean sentences of about 100 characters, some containing listed terms, some with the
 * terms obfuscated (leetspeak, spacing, look-alikes, zero-width characters, fullwidth, letter
 * stretching), a few with links, accents and emoji, or shouting.
 */

export interface CorpusMessage {
  readonly sender: string;
  readonly text: string;
}

export interface CorpusOptions {
  /** Seed for the PRNG: the same seed gives the same messages. @default 1 */
  seed?: number;
  /** Distinct senders. @default 2000 */
  senders?: number;
}

/** Everyday chat vocabulary (also the bench's delivery texts, texts.ts). */
export const WORDS: readonly string[] = (
  'the a to and of in is it you that for on are with this be at have was so but not what all just can ' +
  'we they do if about up out get like one would there my your me our when will how more no time know ' +
  'think see make go good new now want look back going really here then still also well only build ' +
  'deploy test server client message room channel bug fix release meeting today tomorrow morning lunch ' +
  'coffee weekend project team review merge branch docs update thanks please sure okay great nice cool ' +
  'yeah maybe later soon anyone someone everyone help question answer idea plan ticket issue version ' +
  'latency socket cluster worker queue cache memory graph chart game match play score win lost happy'
).split(' ');

/** Terms that are in the shipped list, as they might appear in chat. */
const TERMS = [
  'idiot',
  'moron',
  'shit',
  'fucking',
  'bullshit',
  'loser',
  'free crypto',
  'click here to claim',
  'dumbass',
  'wanker',
];
const EXTRAS = ['café', 'naïve', 'déjà vu', 'Zürich', '🙂', '🚀', '👍🏽', 'これ', 'привет'];
const LEET: Readonly<Record<string, string>> = { a: '4', e: '3', i: '1', o: '0', s: '$', t: '7' };
const CYRILLIC: Readonly<Record<string, string>> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', y: 'у' };

/** mulberry32: small, fast, good enough for test data (texts.ts uses it too). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function obfuscate(term: string, r: () => number): string {
  const mode = Math.floor(r() * 6);
  const chars = [...term];
  switch (mode) {
    case 0:
      return chars.map((c) => LEET[c] ?? c).join('');
    case 1:
      return chars.join(r() < 0.5 ? '.' : ' ');
    case 2:
      return chars.map((c) => CYRILLIC[c] ?? c).join('');
    case 3:
      return chars.join('\u200b');
    case 4:
      return chars.map((c) => (c === ' ' ? c : String.fromCodePoint((c.codePointAt(0) as number) + 0xfee0))).join('');
    default:
      return chars.map((c, i) => (i === 1 ? c.repeat(4) : c)).join('');
  }
}

/** Generates `count` messages. */
export function generateChatMessages(count: number, options: CorpusOptions = {}): CorpusMessage[] {
  const r = prng(options.seed ?? 1);
  const senders = options.senders ?? 2000;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const out: CorpusMessage[] = [];
  for (let m = 0; m < count; m++) {
    const target = 60 + Math.floor(r() * 80);
    const words: string[] = [];
    let len = 0;
    while (len < target) {
      const w = pick(WORDS);
      words.push(w);
      len += w.length + 1;
    }
    const kind = r();
    const at = Math.floor(r() * words.length);
    if (kind < 0.08) words.splice(at, 0, pick(TERMS));
    else if (kind < 0.14) words.splice(at, 0, obfuscate(pick(TERMS), r));
    else if (kind < 0.16) words.splice(at, 0, `https://example.com/${Math.floor(r() * 1e6)}`);
    else if (kind < 0.19) words.splice(at, 0, pick(EXTRAS));
    let text = words.join(' ');
    if (kind >= 0.19 && kind < 0.21) text = text.toUpperCase();
    else if (r() < 0.5) text = text.charAt(0).toUpperCase() + text.slice(1);
    if (r() < 0.3) text += pick(['.', '!', '?', '!!', ' :)', ' lol']);
    out.push({ sender: `user${Math.floor(r() * senders)}`, text });
  }
  return out;
}
