/**
 * Character tables for the matching normalizer (normalize.ts). Kept apart from the algorithm
 * so the folding policy can be read (and argued about) in one place.
 *
 * Policy, applied after NFKC + lowercase + NFD mark stripping:
 * - Leetspeak digits fold to letters: 0→o 1→i 3→e 4→a 5→s 7→t 8→b 9→g. Other digits stay
 *   digits (they are word characters that no Latin term contains).
 * - Leetspeak punctuation folds to letters but is "soft": @→a $→s !→i |→i €→e. A soft character
 *   matches inside a term but still counts as a word boundary for whole-word terms, so
 *   "idiot!" matches the whole-word term `idiot` while "h3ll0" stays one word.
 * - The i/l/1/!/| family folds to ONE symbol, 'i'. Leetspeak writes both i and l as 1 (and |),
 *   so only a shared class catches "sh1t", "he11o" and "1dIot" alike. The cost is that terms
 *   differing only in i vs l collide ("hail" ~ "hall"); terms are folded the same way, so the
 *   collision is symmetric and predictable.
 * - Cyrillic and Greek letters that look like Latin ones (in either case, since lowercasing
 *   runs first) fold to that Latin letter.
 * - Latin letters with no canonical decomposition fold by hand: ß→ss, æ→ae, œ→oe, ø→o, ł→l,
 *   đ→d, ħ→h, ı→i, þ→th, ŧ→t.
 */

/** What a character becomes for matching (plain numbers: they live in Uint8Arrays). */
export const Kind = {
  /** Invisible: zero-width and format characters, controls. Removed without a trace. */
  Drop: 0,
  /** A word character (letter or digit) after folding. */
  Letter: 1,
  /** Leetspeak punctuation: matches as a letter, counts as a word boundary. */
  Soft: 2,
  /** Whitespace, punctuation, symbols, emoji: a word boundary. Runs collapse to one. */
  Sep: 3,
  /** A combining mark: removed, but its UTF-16 span joins the preceding character's. */
  Mark: 4,
  /** A separator inside a spaced-out word ("h.e.l.l.o"): removed by the joiner. */
  Joined: 5,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The symbol every separator run becomes in normalized text. */
export const SEP_SYMBOL = 0x20;

const ASCII_KIND = new Uint8Array(128);
const ASCII_SYMBOL = new Uint8Array(128);

function initAscii(): void {
  for (let c = 0; c < 128; c++) {
    ASCII_KIND[c] = Kind.Sep;
    ASCII_SYMBOL[c] = SEP_SYMBOL;
  }
  for (let c = 0; c < 32; c++) ASCII_KIND[c] = Kind.Drop;
  ASCII_KIND[127] = Kind.Drop;
  for (const c of [9, 10, 11, 12, 13]) ASCII_KIND[c] = Kind.Sep;
  const letter = (c: number, sym: number): void => {
    ASCII_KIND[c] = Kind.Letter;
    ASCII_SYMBOL[c] = sym;
  };
  for (let c = 0x61; c <= 0x7a; c++) {
    letter(c, c);
    letter(c - 0x20, c);
  }
  const i = 0x69;
  letter(0x6c, i); // l
  letter(0x4c, i); // L
  for (let c = 0x30; c <= 0x39; c++) letter(c, c);
  const leet: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g' };
  for (const [from, to] of Object.entries(leet)) letter(from.charCodeAt(0), to.charCodeAt(0));
  const soft: Record<string, string> = { '@': 'a', $: 's', '!': 'i', '|': 'i' };
  for (const [from, to] of Object.entries(soft)) {
    ASCII_KIND[from.charCodeAt(0)] = Kind.Soft;
    ASCII_SYMBOL[from.charCodeAt(0)] = to.charCodeAt(0);
  }
}
initAscii();

/** Kind of each ASCII code unit. */
export const asciiKind: Readonly<Uint8Array> = ASCII_KIND;
/** Folded symbol of each ASCII code unit (meaningful for Letter and Soft). */
export const asciiSymbol: Readonly<Uint8Array> = ASCII_SYMBOL;

/** Invisible characters used to split words: stripped before anything else looks at them. */
export const ZERO_WIDTH: ReadonlySet<number> = new Set([
  0x00ad, // soft hyphen
  0x034f, // combining grapheme joiner
  0x061c, // Arabic letter mark
  0x115f,
  0x1160, // Hangul fillers
  0x180e, // Mongolian vowel separator
  0x200b,
  0x200c,
  0x200d,
  0x200e,
  0x200f, // zero-width space/non-joiner/joiner, LRM, RLM
  0x2060,
  0x2061,
  0x2062,
  0x2063,
  0x2064, // word joiner, invisible operators
  0x3164,
  0xffa0, // Hangul fillers
  0xfeff, // zero-width no-break space (BOM)
]);

/** Latin letters that NFD does not decompose, folded by hand (lowercase input). */
export const LATIN_SPECIAL: ReadonlyMap<number, string> = new Map(
  Object.entries({ ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ħ: 'h', ı: 'i', þ: 'th', ŧ: 't', ɑ: 'a', ɡ: 'g' }).map(
    ([k, v]) => [k.codePointAt(0) as number, v],
  ),
);

/**
 * Cyrillic and Greek look-alikes (lowercase, since lowercasing runs first; the uppercase forms
 * that look Latin — В Н М Т К — lowercase to в н м т к, hence b h m t k).
 */
export const HOMOGLYPHS: ReadonlyMap<number, string> = new Map(
  Object.entries({
    // Cyrillic
    а: 'a',
    в: 'b',
    е: 'e',
    ё: 'e',
    к: 'k',
    м: 'm',
    н: 'h',
    о: 'o',
    р: 'p',
    с: 'c',
    т: 't',
    у: 'y',
    х: 'x',
    ѕ: 's',
    і: 'i',
    ї: 'i',
    ј: 'j',
    ԁ: 'd',
    һ: 'h',
    ӏ: 'l',
    ԛ: 'q',
    ԝ: 'w',
    ь: 'b',
    ү: 'y',
    ɩ: 'i',
    // Greek
    α: 'a',
    β: 'b',
    γ: 'y',
    ε: 'e',
    η: 'n',
    ι: 'i',
    κ: 'k',
    μ: 'u',
    ν: 'v',
    ο: 'o',
    ρ: 'p',
    τ: 't',
    υ: 'u',
    χ: 'x',
    ω: 'w',
    ϲ: 'c',
    ϳ: 'j',
  }).map(([k, v]) => [k.codePointAt(0) as number, v]),
);

/**
 * Capitals whose lowercase form no longer looks Latin (Greek Η looks like H but η like n):
 * looked up on the original character, before lowercasing. Cyrillic capitals need no entry:
 * their lowercase forms are small capitals of the same shape and HOMOGLYPHS covers them.
 */
export const UPPER_HOMOGLYPHS: ReadonlyMap<number, string> = new Map(
  Object.entries({
    Α: 'a',
    Β: 'b',
    Ε: 'e',
    Ζ: 'z',
    Η: 'h',
    Ι: 'i',
    Κ: 'k',
    Μ: 'm',
    Ν: 'n',
    Ο: 'o',
    Ρ: 'p',
    Τ: 't',
    Υ: 'y',
    Χ: 'x',
  }).map(([k, v]) => [k.codePointAt(0) as number, v]),
);

/** Non-ASCII characters that fold to a soft (boundary-like) letter. */
export const NON_ASCII_SOFT: ReadonlyMap<number, string> = new Map([[0x20ac, 'e']]); // €
