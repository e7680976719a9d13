/**
 * One IRC line ⇄ one message: RFC 1459 §2.3 / RFC 2812 §2.3.1 framing with IRCv3
 * message-tags (https://ircv3.net/specs/extensions/message-tags).
 *
 *   [@tag[=value];…  SP] [:prefix SP] COMMAND *( SP middle ) [ SP :trailing ]
 *   └── ≤ 8,191 bytes ─┘ └───────────── ≤ 510 bytes (512 with CR LF) ──────────┘
 *
 * Lines arrive from the shared LineDecoder, which has already removed the `\n` or `\r\n`
 * (RFC 2812 wants CR LF; real clients send either). Both directions are pure and never
 * throw: a bad line or message is a value with a stable code (irc-errors.ts).
 */
import { ircError, type IrcCodecError } from './irc-errors.js';

export interface IrcMessage {
  /** IRCv3 tags, values unescaped; a tag sent without `=` has the value `''` (the spec makes them equal). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Source (`nick!user@host` or a server name), without the `:`. */
  readonly prefix?: string;
  /** Upper case after parsing (RFC 2812 §2.3: commands are case-insensitive), or three digits. */
  readonly command: string;
  /** Middle params and the trailing one, the trailing one last and without its `:`. */
  readonly params: readonly string[];
}

export type IrcParseResult = { readonly ok: true; readonly message: IrcMessage } | IrcCodecError;
export type IrcSerializeResult = { readonly ok: true; readonly line: string } | IrcCodecError;

/** RFC 1459 §2.3: 512 bytes with the CR LF, so 510 of prefix, command and params. */
export const IRC_MAX_BODY_BYTES = 510;

/** IRCv3 message-tags, "Size limit": 8,191 bytes of tags, the leading `@` and the space after them included. */
export const IRC_MAX_TAGS_BYTES = 8191;

/** The LineDecoder limit for an IRC connection (terminator excluded, as LineDecoder counts). */
export const IRC_MAX_LINE_BYTES = IRC_MAX_TAGS_BYTES + IRC_MAX_BODY_BYTES;

/** RFC 2812 §2.3.1: at most 14 middle params, then the 15th is the rest of the line even without `:`. */
export const IRC_MAX_PARAMS = 15;

const SPACE = 0x20;
const AT = 0x40;
const COLON = 0x3a;

/** IRCv3 message-tags: `<key> ::= ['+'] [<vendor> '/'] <key_name>`, key_name = letters, digits, `-`. */
const TAG_KEY = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;
/** RFC 2812 §2.3.1: `command = 1*letter / 3digit`. */
const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;
/** RFC 2812 §2.3.1: NUL, CR and LF may appear nowhere in a message. */
const FORBIDDEN = /[\0\r\n]/;
const UNSAFE_PREFIX = /[\0\r\n ]/;

/** Parses one line (without its terminator). Never throws. */
export function parseIrcLine(line: string): IrcParseResult {
  // The decoder keeps a CR that is not right before the LF; RFC 2812 allows none.
  if (FORBIDDEN.test(line)) return ircError('forbidden_character');
  const length = line.length;
  let pos = skipSpaces(line, 0);
  let tags: Record<string, string> | undefined;
  if (line.charCodeAt(pos) === AT) {
    const end = tokenEnd(line, pos);
    // +1: the space that ends the tags counts against their limit.
    if (utf8Exceeds(line, pos, end + 1, IRC_MAX_TAGS_BYTES)) return ircError('tags_too_long');
    tags = parseTags(line.slice(pos + 1, end));
    if (tags === undefined) return ircError('invalid_tags');
    pos = skipSpaces(line, end);
    if (pos === length) return ircError('missing_command');
  } else if (pos === length) {
    return ircError('empty_line');
  }
  // The limit is checked before the rest of the line is split, so a long line costs one scan.
  if (utf8Exceeds(line, pos, length, IRC_MAX_BODY_BYTES)) return ircError('line_too_long');
  let prefix: string | undefined;
  if (line.charCodeAt(pos) === COLON) {
    const end = tokenEnd(line, pos);
    if (end === pos + 1) return ircError('invalid_prefix');
    prefix = line.slice(pos + 1, end);
    pos = skipSpaces(line, end);
    if (pos === length) return ircError('missing_command');
  }
  const commandEnd = tokenEnd(line, pos);
  const command = line.slice(pos, commandEnd);
  if (!COMMAND.test(command)) return ircError('invalid_command');
  const message: { tags?: Record<string, string>; prefix?: string; command: string; params: string[] } = {
    command: command.toUpperCase(),
    params: parseParams(line, commandEnd),
  };
  if (tags !== undefined) message.tags = tags;
  if (prefix !== undefined) message.prefix = prefix;
  return { ok: true, message };
}

/**
 * Serializes a message as one line ending in CR LF. Fails (never throws) on what cannot be
 * written faithfully: a CR, LF or NUL anywhere, a middle param that would read as trailing,
 * more than 15 params, or a line over the limits (a renderer splits long text first).
 */
export function serializeIrcMessage(message: IrcMessage): IrcSerializeResult {
  let head = '';
  if (message.tags !== undefined) {
    const tags = serializeTags(message.tags);
    if (typeof tags !== 'string') return tags;
    if (tags !== '') head = `@${tags} `;
    if (utf8Exceeds(head, 0, head.length, IRC_MAX_TAGS_BYTES)) return ircError('tags_too_long');
  }
  let body = '';
  if (message.prefix !== undefined) {
    if (message.prefix === '') return ircError('invalid_prefix');
    if (UNSAFE_PREFIX.test(message.prefix))
      return ircError('forbidden_character', 'the prefix holds a space, CR, LF or NUL');
    body = `:${message.prefix} `;
  }
  if (!COMMAND.test(message.command)) return ircError('invalid_command');
  body += message.command;
  const { params } = message;
  if (params.length > IRC_MAX_PARAMS) return ircError('too_many_params');
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!;
    if (FORBIDDEN.test(param)) return ircError('forbidden_character');
    const needsColon = param === '' || param.charCodeAt(0) === COLON || param.includes(' ');
    if (i < params.length - 1 && needsColon) return ircError('invalid_param');
    body += needsColon ? ` :${param}` : ` ${param}`;
  }
  if (utf8Exceeds(body, 0, body.length, IRC_MAX_BODY_BYTES)) return ircError('line_too_long');
  return { ok: true, line: `${head}${body}\r\n` };
}

/** RFC 2812 §2.3.1 allows one space between fields; RFC 1459's grammar allows several, and clients send them. */
function skipSpaces(line: string, pos: number): number {
  while (line.charCodeAt(pos) === SPACE) pos++;
  return pos;
}

function tokenEnd(line: string, pos: number): number {
  const space = line.indexOf(' ', pos);
  return space === -1 ? line.length : space;
}

function parseParams(line: string, pos: number): string[] {
  const params: string[] = [];
  for (pos = skipSpaces(line, pos); pos < line.length; pos = skipSpaces(line, pos)) {
    if (line.charCodeAt(pos) === COLON) {
      params.push(line.slice(pos + 1));
      break;
    }
    if (params.length === IRC_MAX_PARAMS - 1) {
      params.push(line.slice(pos));
      break;
    }
    const end = tokenEnd(line, pos);
    params.push(line.slice(pos, end));
    pos = end;
  }
  return params;
}

/**
 * Whether `s[start, end)` is over `max` UTF-8 bytes. A UTF-16 unit is 1 to 3 bytes (a
 * surrogate pair is 4 for 2 units), so most lines are decided without encoding anything.
 */
function utf8Exceeds(s: string, start: number, end: number, max: number): boolean {
  const units = end - start;
  if (units * 3 <= max) return false;
  if (units > max) return true;
  return Buffer.byteLength(s.slice(start, end), 'utf8') > max;
}

/**
 * IRCv3 message-tags: `;`-separated `key[=value]`; a repeated key keeps its last value. An
 * empty item (`@a;;b`, a trailing `;`) is skipped, as lenient servers do. A key that breaks
 * the grammar fails the whole line: guessing what the client meant could change a label.
 * Tags live in a prototype-less object, so no key can reach Object.prototype.
 */
function parseTags(section: string): Record<string, string> | undefined {
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (const item of section.split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (!TAG_KEY.test(key)) return undefined;
    tags[key] = eq === -1 ? '' : unescapeTagValue(item.slice(eq + 1));
    count++;
  }
  return count === 0 ? undefined : tags;
}

/** IRCv3 message-tags, "Escaping values": `\:` `\s` `\\` `\r` `\n`; `\x` is `x`; a lone trailing `\` is dropped. */
export function unescapeTagValue(value: string): string {
  if (!value.includes('\\')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = value[++i];
    if (next === undefined) break;
    out += TAG_UNESCAPES[next] ?? next;
  }
  return out;
}

const TAG_UNESCAPES: Readonly<Record<string, string>> = { ':': ';', s: ' ', r: '\r', n: '\n' };
const TAG_ESCAPES: Readonly<Record<string, string>> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };

/** The inverse of unescapeTagValue. NUL has no escape, so it cannot be sent. */
export function escapeTagValue(value: string): string {
  return value.replace(/[; \\\r\n]/g, (c) => TAG_ESCAPES[c]!);
}

function serializeTags(tags: Readonly<Record<string, string>>): string | IrcCodecError {
  const items: string[] = [];
  for (const key of Object.keys(tags)) {
    if (!TAG_KEY.test(key)) return ircError('invalid_tags', 'a tag key is not [+][vendor/]name');
    const value = tags[key]!;
    if (value.includes('\0')) return ircError('forbidden_character', 'a tag value holds a NUL');
    items.push(value === '' ? key : `${key}=${escapeTagValue(value)}`);
  }
  return items.join(';');
}
