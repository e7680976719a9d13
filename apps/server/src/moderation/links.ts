/**
 * Counts links in a message for the link-limit heuristic: one left-to-right scan over
 * whitespace/bracket-delimited tokens, no regular expression over the message.
 *
 * A token counts once if it contains `http://` or `https://`, starts with `www.`, or is a bare
 * domain: dot-separated labels of [a-z0-9-] ending in a TLD from a short list of TLDs common
 * in spam. The list is deliberately conservative: TLDs that are also English words or file
 * extensions (it, is, to, me, so, sh, py, md…) are left out, so "ok.so" or "main.py" is not a
 * link. Fullwidth and other compatibility forms are caught by NFKC first.
 */

const TLDS: ReadonlySet<string> = new Set(
  (
    'com net org info biz io co xyz top site online club shop store app dev tech space website fun ' +
    'live pro vip win bid loan click link buzz icu cam rest today tv gg ly cc ws pw su ru cn tk ml ga ' +
    'cf gq uk de fr nl eu'
  ).split(' '),
);

const NON_ASCII = /[^\x00-\x7f]/;

/** Characters that end a token besides whitespace. */
function isDelimiter(c: number): boolean {
  return (
    c <= 0x20 ||
    c === 0x22 ||
    c === 0x27 ||
    c === 0x28 ||
    c === 0x29 ||
    c === 0x2c ||
    c === 0x3b ||
    c === 0x3c ||
    c === 0x3e ||
    c === 0x5b ||
    c === 0x5d ||
    c === 0x60 ||
    c === 0x7b ||
    c === 0x7d
  );
}

/** Number of tokens in `text` that look like links. */
export function countLinks(text: string): number {
  const s = NON_ASCII.test(text) ? text.normalize('NFKC') : text;
  const n = s.length;
  let count = 0;
  let i = 0;
  while (i < n) {
    while (i < n && isDelimiter(s.charCodeAt(i))) i++;
    const a = i;
    let interesting = false;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (isDelimiter(c)) break;
      if (c === 0x2e || c === 0x3a) interesting = true; // '.' or ':'
    }
    if (interesting && isLink(s.slice(a, i).toLowerCase())) count++;
  }
  return count;
}

function isLink(token: string): boolean {
  const scheme = token.indexOf('://');
  if (scheme >= 4 && token.length > scheme + 3) {
    if (token.endsWith('http', scheme) || token.endsWith('https', scheme)) return true;
  }
  if (token.startsWith('www.') && token.length > 4) return true;
  let end = token.length;
  for (let j = 0; j < token.length; j++) {
    const c = token.charCodeAt(j);
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x3a) {
      end = j; // '/', '?', '#', ':' end the host
      break;
    }
  }
  while (end > 0 && isTrailingPunctuation(token.charCodeAt(end - 1))) end--;
  return isBareDomain(token, end);
}

function isTrailingPunctuation(c: number): boolean {
  return c === 0x2e || c === 0x21 || c === 0x3f; // . ! ?
}

/** token[0, end) is label(.label)+ with [a-z0-9-] labels and a listed TLD. */
function isBareDomain(token: string, end: number): boolean {
  let labelStart = 0;
  let labels = 0;
  for (let j = 0; j <= end; j++) {
    const c = j < end ? token.charCodeAt(j) : 0x2e;
    if (c === 0x2e) {
      if (j === labelStart) return false; // empty label
      labels++;
      labelStart = j + 1;
      continue;
    }
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
    if (!ok) return false;
  }
  if (labels < 2) return false;
  const lastDot = token.lastIndexOf('.', end - 1);
  return TLDS.has(token.slice(lastDot + 1, end));
}
