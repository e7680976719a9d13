import { describe, expect, it } from 'vitest';
import {
  IRC_MAX_BODY_BYTES,
  IRC_MAX_LINE_BYTES,
  IRC_MAX_TAGS_BYTES,
  escapeTagValue,
  parseIrcLine,
  serializeIrcMessage,
  unescapeTagValue,
  type IrcMessage,
  type IrcParseResult,
} from '../src/index.js';
import { decodeChunks, everySplit } from './helpers.js';

function parsed(line: string): IrcMessage {
  const result = parseIrcLine(line);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${result.code}`);
  return result.message;
}

function code(result: IrcParseResult | ReturnType<typeof serializeIrcMessage>): string {
  return result.ok ? 'ok' : result.code;
}

function serialized(message: IrcMessage): string {
  const result = serializeIrcMessage(message);
  if (!result.ok) throw new Error(`expected to serialize, got ${result.code}`);
  return result.line;
}

describe('parseIrcLine: RFC 2812 framing', () => {
  it('reads a bare command', () => {
    expect(parsed('QUIT')).toEqual({ command: 'QUIT', params: [] });
  });

  it('reads middle params and a trailing param without its colon', () => {
    expect(parsed('PRIVMSG #general :hello there')).toEqual({ command: 'PRIVMSG', params: ['#general', 'hello there'] });
  });

  it('reads USER with its realname', () => {
    expect(parsed('USER alice 0 * :Alice Liddell')).toEqual({
      command: 'USER',
      params: ['alice', '0', '*', 'Alice Liddell'],
    });
  });

  it('upper-cases the command (commands are case-insensitive)', () => {
    expect(parsed('privmsg bob :hi').command).toBe('PRIVMSG');
  });

  it('reads a three-digit numeric as the command', () => {
    expect(parsed(':irc.example 001 alice :Welcome')).toEqual({
      prefix: 'irc.example',
      command: '001',
      params: ['alice', 'Welcome'],
    });
  });

  it('reads a user prefix', () => {
    expect(parsed(':alice!alice@host JOIN #general').prefix).toBe('alice!alice@host');
  });

  it('keeps an empty trailing param and a trailing param that starts with a colon', () => {
    expect(parsed('TOPIC #a :').params).toEqual(['#a', '']);
    expect(parsed('PRIVMSG #a ::-)').params).toEqual(['#a', ':-)']);
  });

  it('keeps spaces inside the trailing param, leading and trailing ones included', () => {
    expect(parsed('PRIVMSG #a :  two  spaces  ').params).toEqual(['#a', '  two  spaces  ']);
  });

  it('tolerates several spaces between fields and trailing spaces after the last middle param', () => {
    expect(parsed('  NICK   alice   ')).toEqual({ command: 'NICK', params: ['alice'] });
  });

  it('reads a 15th param as the rest of the line, with or without its colon', () => {
    const middles = Array.from({ length: 14 }, (_, i) => `p${i}`).join(' ');
    expect(parsed(`CMD ${middles} last one`).params.at(-1)).toBe('last one');
    expect(parsed(`CMD ${middles} :last one`).params.at(-1)).toBe('last one');
    expect(parsed(`CMD ${middles} last one`).params).toHaveLength(15);
  });

  it('keeps a lone colon-less tab inside a middle param (only spaces separate)', () => {
    expect(parsed('NICK a\tb').params).toEqual(['a\tb']);
  });
});

describe('parseIrcLine: IRCv3 message-tags', () => {
  it('reads tags with and without values; a missing value is the empty string', () => {
    const message = parsed('@label=abc;+draft/reply=x1;flag :n!u@h PRIVMSG #a :hi');
    expect(message.tags).toEqual({ label: 'abc', '+draft/reply': 'x1', flag: '' });
    expect(message.prefix).toBe('n!u@h');
  });

  it('treats `key=` as `key`', () => {
    expect(parsed('@a=;b CMD').tags).toEqual({ a: '', b: '' });
  });

  it('unescapes \\: \\s \\\\ \\r \\n, drops the backslash of an unknown escape and a trailing one', () => {
    expect(parsed('@k=a\\:b\\sc\\\\d\\re\\nf\\xg\\ CMD').tags?.['k']).toBe('a;b c\\d\re\nfxg');
  });

  it('keeps the last value of a repeated key and skips empty items', () => {
    expect(parsed('@a=1;;a=2; CMD').tags).toEqual({ a: '2' });
  });

  it('holds tags in an object without a prototype', () => {
    expect(Object.getPrototypeOf(parsed('@a=1 CMD').tags)).toBeNull();
  });

  it.each([
    ['@ CMD', 'invalid_tags'],
    ['@; CMD', 'invalid_tags'],
    ['@a=1;b_c=2 CMD', 'invalid_tags'],
    ['@=x CMD', 'invalid_tags'],
    ['@__proto__=x CMD', 'invalid_tags'],
    ['@a=1', 'missing_command'],
    ['@a=1   ', 'missing_command'],
  ])('%j is %s', (line, expected) => {
    expect(code(parseIrcLine(line))).toBe(expected);
  });
});

describe('parseIrcLine: refusals', () => {
  it.each([
    ['', 'empty_line'],
    ['    ', 'empty_line'],
    [':', 'invalid_prefix'],
    [': CMD', 'invalid_prefix'],
    [':prefix', 'missing_command'],
    [':prefix  ', 'missing_command'],
    ['PRIV-MSG x', 'invalid_command'],
    ['12 x', 'invalid_command'],
    ['1234 x', 'invalid_command'],
    ['ÉTÉ x', 'invalid_command'],
    ['PRIVMSG #a :a\rb', 'forbidden_character'],
    ['PRIVMSG #a :a\0b', 'forbidden_character'],
    ['PRIVMSG #a :a\nb', 'forbidden_character'],
  ])('%j is %s', (line, expected) => {
    expect(code(parseIrcLine(line))).toBe(expected);
  });

  it('accepts a body of exactly 510 bytes and refuses 511, counting UTF-8 bytes', () => {
    const head = 'PRIVMSG #a :';
    expect(code(parseIrcLine(head + 'x'.repeat(IRC_MAX_BODY_BYTES - head.length)))).toBe('ok');
    expect(code(parseIrcLine(head + 'x'.repeat(IRC_MAX_BODY_BYTES - head.length + 1)))).toBe('line_too_long');
    // 'é' is 2 bytes: 250 of them with the head is 512 bytes in 262 characters.
    expect(code(parseIrcLine(head + 'é'.repeat(250)))).toBe('line_too_long');
    expect(code(parseIrcLine(head + 'é'.repeat(249)))).toBe('ok');
  });

  it('does not count the tags against the 510 bytes, and counts @ and the space against their 8,191', () => {
    const tags = (valueLength: number) => `@k=${'v'.repeat(valueLength)} `;
    // `@k=` + value + ` ` = 8,191 bytes exactly.
    const fits = tags(IRC_MAX_TAGS_BYTES - 4);
    expect(Buffer.byteLength(fits)).toBe(IRC_MAX_TAGS_BYTES);
    expect(code(parseIrcLine(`${fits}PRIVMSG #a :${'x'.repeat(IRC_MAX_BODY_BYTES - 12)}`))).toBe('ok');
    expect(code(parseIrcLine(`${tags(IRC_MAX_TAGS_BYTES - 3)}PRIVMSG #a :x`))).toBe('tags_too_long');
  });

  it('has a line limit for the LineDecoder that is the two limits added', () => {
    expect(IRC_MAX_LINE_BYTES).toBe(IRC_MAX_TAGS_BYTES + IRC_MAX_BODY_BYTES);
  });
});

describe('serializeIrcMessage', () => {
  it('writes tags, prefix, command, middles and a trailing param, ending in CR LF', () => {
    const line = serialized({
      tags: { time: '2026-12-04T10:00:00.000Z', msgid: 'general-42' },
      prefix: 'alice!alice@loopchat',
      command: 'PRIVMSG',
      params: ['#general', 'hello there'],
    });
    expect(line).toBe(
      '@time=2026-12-04T10:00:00.000Z;msgid=general-42 :alice!alice@loopchat PRIVMSG #general :hello there\r\n',
    );
  });

  it('adds the colon only where the last param needs it', () => {
    expect(serialized({ command: 'JOIN', params: ['#a'] })).toBe('JOIN #a\r\n');
    expect(serialized({ command: 'TOPIC', params: ['#a', ''] })).toBe('TOPIC #a :\r\n');
    expect(serialized({ command: 'PRIVMSG', params: ['#a', ':)'] })).toBe('PRIVMSG #a ::)\r\n');
    expect(serialized({ command: 'PRIVMSG', params: ['#a', 'a b'] })).toBe('PRIVMSG #a :a b\r\n');
  });

  it('escapes tag values and writes an empty value as the bare key', () => {
    expect(serialized({ tags: { k: 'a;b c\\d\re\nf', e: '' }, command: 'TAGMSG', params: ['#a'] })).toBe(
      '@k=a\\:b\\sc\\\\d\\re\\nf;e TAGMSG #a\r\n',
    );
  });

  it('writes no tag section for an empty tags object', () => {
    expect(serialized({ tags: {}, command: 'PING', params: ['x'] })).toBe('PING x\r\n');
  });

  it.each([
    [{ command: 'PRIVMSG', params: ['#a', 'a\r\nQUIT'] }, 'forbidden_character'],
    [{ command: 'PRIVMSG', params: ['#a', 'a\0'] }, 'forbidden_character'],
    [{ command: 'PRIVMSG', params: ['a b', 'x'] }, 'invalid_param'],
    [{ command: 'PRIVMSG', params: ['', 'x'] }, 'invalid_param'],
    [{ command: 'PRIVMSG', params: [':a', 'x'] }, 'invalid_param'],
    [{ command: 'PRIV MSG', params: [] }, 'invalid_command'],
    [{ command: '', params: [] }, 'invalid_command'],
    [{ prefix: '', command: 'PING', params: [] }, 'invalid_prefix'],
    [{ prefix: 'a b', command: 'PING', params: [] }, 'forbidden_character'],
    [{ tags: { 'bad key': 'x' }, command: 'PING', params: [] }, 'invalid_tags'],
    [{ tags: { k: 'a\0' }, command: 'PING', params: [] }, 'forbidden_character'],
    [{ command: 'CMD', params: Array.from({ length: 16 }, () => 'p') }, 'too_many_params'],
    [{ command: 'PRIVMSG', params: ['#a', 'x'.repeat(510)] }, 'line_too_long'],
    [{ tags: { k: 'x'.repeat(8190) }, command: 'PING', params: [] }, 'tags_too_long'],
  ] satisfies [IrcMessage, string][])('refuses %j with %s', (message, expected) => {
    expect(code(serializeIrcMessage(message))).toBe(expected);
  });
});

describe('tag value escaping', () => {
  it('round-trips every escaped character', () => {
    const value = '; \\\r\n\\s\\:';
    expect(unescapeTagValue(escapeTagValue(value))).toBe(value);
  });
});

describe('IRC lines through the LineDecoder', () => {
  it('parses the same messages wherever the chunks split, with CR LF and LF endings', () => {
    const input = Buffer.from('@a=1;b=x\\sy :n!u@h PRIVMSG #é :hi there\r\nNICK bob\nCAP LS 302\r\n', 'utf8');
    const expected = [
      { tags: { a: '1', b: 'x y' }, prefix: 'n!u@h', command: 'PRIVMSG', params: ['#é', 'hi there'] },
      { command: 'NICK', params: ['bob'] },
      { command: 'CAP', params: ['LS', '302'] },
    ];
    for (const [label, chunks] of everySplit(input)) {
      const lines = decodeChunks(chunks, IRC_MAX_LINE_BYTES).lines;
      expect(lines.map(parsed), label).toEqual(expected);
    }
  });
});
