/**
 * loopchat message text made fit for IRC lines: no control characters but IRC formatting,
 * and no line over 510 bytes.
 *
 * What is kept, and why: the formatting codes of https://modern.ircdocs.horse/formatting —
 * bold \x02, colour \x03, reset \x0f, reverse \x16, italics \x1d, underline \x1f — because
 * IRC clients render them and IRC users send them; they cannot break a line or a terminal.
 * Everything else below 0x20, DEL and C1 (0x7f–0x9f) is removed: CR, LF and NUL would end or
 * corrupt the line (RFC 2812 §2.3.1), \x01 would turn a loopchat message into a CTCP request
 * (DCC, VERSION…) that the receiving client acts on, and ESC and C1 reach terminal clients.
 * The newer codes (monospace \x11, strikethrough \x1e, hex colour \x04) are removed too
 * until clients agree on them. A tab becomes a space. A line break in loopchat text (JSON
 * clients may send one) starts a new IRC message: IRC has no other way to show it.
 */

/** C0 minus \x02 \x03 \x0f \x16 \x1d \x1f, then DEL and C1. */
const UNSAFE_FOR_IRC = /[\x00\x01\x04-\x08\x0a-\x0e\x10-\x15\x17-\x1c\x1e\x7f-\x9f]/g;
const LINE_BREAK = /\r\n|[\r\n]/;

/** One line of text with the unsafe control characters removed and tabs turned into spaces. */
export function sanitizeForIrc(text: string): string {
  return text.replace(UNSAFE_FOR_IRC, '').replaceAll('\t', ' ');
}

/**
 * The IRC messages a loopchat text becomes: one per line of it, each cut at code point
 * boundaries into pieces of at most `maxBytes` UTF-8 bytes (`maxBytes` ≥ 4). Empty lines are
 * dropped (an empty PRIVMSG is an error, RFC 2812 §3.3.1 ERR_NOTEXTTOSEND).
 */
export function ircTextLines(text: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  for (const line of text.split(LINE_BREAK)) {
    const safe = sanitizeForIrc(line);
    if (safe !== '') splitUtf8(safe, maxBytes, pieces);
  }
  return pieces;
}

function splitUtf8(line: string, maxBytes: number, out: string[]): void {
  // A UTF-16 unit is at most 3 bytes: most lines need no counting.
  if (line.length * 3 <= maxBytes) {
    out.push(line);
    return;
  }
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < line.length;) {
    const cp = line.codePointAt(i)!;
    // A lone surrogate is encoded as U+FFFD: 3 bytes, like the rest of the BMP above 0x7ff.
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      out.push(line.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += cp > 0xffff ? 2 : 1;
  }
  out.push(line.slice(start));
}

/**
 * CTCP ACTION (`/me waves` in an IRC client, https://modern.ircdocs.horse/ctcp#action) is a
 * loopchat `/me` message: `msg {action: true}` in a room. DMs have no action flag, so one to
 * a nick travels as text starting with ACTION_PREFIX, which JSON and text-mode users read as
 * typed and IRC readers get back as an ACTION (irc-render.ts). Other CTCP requests (VERSION,
 * PING, DCC…) are refused: loopchat has no client to answer them, and `\x01` is not passed on.
 */
export const ACTION_PREFIX = '/me ';

/** What a PRIVMSG/NOTICE text from an IRC client is to loopchat. */
export type IrcInboundText =
  { readonly ok: true; readonly text: string; readonly action: boolean } | { readonly ok: false; readonly ctcp: string };

export function ircTextToLoopchat(text: string): IrcInboundText {
  if (!text.startsWith('\x01')) return { ok: true, text, action: false };
  const body = text.slice(1, text.length > 1 && text.endsWith('\x01') ? -1 : undefined);
  const space = body.indexOf(' ');
  const verb = (space === -1 ? body : body.slice(0, space)).toUpperCase();
  const rest = space === -1 ? '' : body.slice(space + 1);
  if (verb === 'ACTION' && rest.trim() !== '') return { ok: true, text: rest, action: true };
  return { ok: false, ctcp: sanitizeForIrc(verb).slice(0, 32) };
}
