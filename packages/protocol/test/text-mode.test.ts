import { describe, expect, it } from 'vitest';
import {
  NICK_PATTERN,
  NICK_RULE,
  ROOM_PATTERN,
  ROOM_RULE,
  createClientCodec,
  parseTextLine,
  renderText,
  sanitizeForTerminal,
  type ClientFrame,
  type ErrorCode,
  type MsgFrame,
  type ServerFrame,
  type TextCommand,
} from '../src/index.js';

const codec = createClientCodec();

function parse(line: string, currentRoom: string | null = 'general', c = codec): TextCommand {
  return parseTextLine(line, currentRoom, c);
}

function expectFrame(line: string, frame: ClientFrame, currentRoom: string | null = 'general'): void {
  expect(parse(line, currentRoom)).toEqual({ kind: 'frame', frame });
}

function expectCode(line: string, code: ErrorCode, currentRoom: string | null = 'general', c = codec): void {
  const command = parse(line, currentRoom, c);
  expect(command.kind, line).toBe('error');
  if (command.kind === 'error') expect(command.error.code, line).toBe(code);
}

describe('parseTextLine commands', () => {
  it('/nick NAME sends hello before a nick is chosen, and nick (a rename) after', () => {
    expect(parseTextLine('/nick alice', null, codec, false)).toEqual({ kind: 'frame', frame: { type: 'hello', nick: 'alice' } });
    expectFrame('/nick alice', { type: 'nick', nick: 'alice' }, null);
  });

  it('/nick without a name is missing_argument, with a bad name invalid_nick', () => {
    expectCode('/nick', 'missing_argument', null);
    expectCode('/nick 9lives', 'invalid_nick', null);
    expectCode(`/nick ${'n'.repeat(25)}`, 'invalid_nick', null);
  });

  it('/join ROOM joins, with or without a leading #, folding case', () => {
    expectFrame('/join general', { type: 'join', room: 'general' }, null);
    expectFrame('/join #General', { type: 'join', room: 'general' }, null);
  });

  it('/join without a room is missing_argument, with a bad room invalid_room', () => {
    expectCode('/join', 'missing_argument', null);
    expectCode('/join -bad', 'invalid_room', null);
    expectCode('/join #', 'invalid_room', null);
  });

  it('/leave leaves the current room, or the named one', () => {
    expectFrame('/leave', { type: 'leave', room: 'general' });
    expectFrame('/leave #other', { type: 'leave', room: 'other' });
    expectFrame('/leave other', { type: 'leave', room: 'other' }, null);
    expectFrame('/part', { type: 'leave', room: 'general' });
  });

  it('/leave with no argument and no current room is missing_argument', () => {
    expectCode('/leave', 'missing_argument', null);
  });

  it('/msg NICK text sends a dm with the rest of the line as text', () => {
    expectFrame('/msg bob hello there  friend', { type: 'dm', to: 'bob', text: 'hello there  friend' }, null);
  });

  it('/msg without text or nick is missing_argument, to a bad nick invalid_nick', () => {
    expectCode('/msg bob', 'missing_argument');
    expectCode('/msg bob    ', 'missing_argument');
    expectCode('/msg', 'missing_argument');
    expectCode('/msg 1bob hi', 'invalid_nick');
  });

  it('/who lists the current room, or the named one', () => {
    expectFrame('/who', { type: 'who', room: 'general' });
    expectFrame('/who #Random', { type: 'who', room: 'random' }, null);
    expectCode('/who', 'missing_argument', null);
  });

  it('/rooms (or /list) asks for the room list', () => {
    expectFrame('/rooms', { type: 'rooms' }, null);
    expectFrame('/list', { type: 'rooms' }, null);
  });

  it('/history [N] asks for the current room history, 20 by default', () => {
    expectFrame('/history', { type: 'history', room: 'general', limit: 20 });
    expectFrame('/history 5', { type: 'history', room: 'general', limit: 5 });
    expectFrame('/history 1000', { type: 'history', room: 'general', limit: 1000 });
  });

  it('/history outside a room is not_in_room, with a bad N invalid_frame', () => {
    expectCode('/history', 'not_in_room', null);
    for (const n of ['0', '1001', 'abc', '2.5', '-1']) expectCode(`/history ${n}`, 'invalid_frame');
  });

  it('/ping, /quit, /exit and /help', () => {
    expectFrame('/ping', { type: 'ping' }, null);
    expect(parse('/quit')).toEqual({ kind: 'quit' });
    expect(parse('/exit')).toEqual({ kind: 'quit' });
    expect(parse('/help')).toEqual({ kind: 'help' });
  });

  it('an unknown /command is unknown_command', () => {
    expectCode('/foo', 'unknown_command');
    expectCode('/foo bar baz', 'unknown_command');
    expectCode('/', 'unknown_command');
    expectCode(`/${'x'.repeat(10_000)}`, 'unknown_command');
  });

  it('commands are case-insensitive', () => {
    expectFrame('/NICK alice', { type: 'nick', nick: 'alice' }, null);
    expectFrame('/Join #General', { type: 'join', room: 'general' }, null);
    expect(parse('/QUIT')).toEqual({ kind: 'quit' });
    expect(parse('/HeLp')).toEqual({ kind: 'help' });
  });

  it('ignores whitespace around the line', () => {
    expectFrame('  /nick alice \t', { type: 'nick', nick: 'alice' }, null);
  });
});

describe('parseTextLine plain lines', () => {
  it('sends a plain line as a message to the current room', () => {
    expectFrame('hello world', { type: 'msg', room: 'general', text: 'hello world' });
  });

  it('sends //text as a message that starts with /', () => {
    expectFrame('//hello', { type: 'msg', room: 'general', text: '/hello' });
    expectFrame('//', { type: 'msg', room: 'general', text: '/' });
  });

  it('a plain line without a current room is not_in_room', () => {
    expectCode('hello', 'not_in_room', null);
    expectCode('//hello', 'not_in_room', null);
  });

  it('a blank line is empty', () => {
    for (const blank of ['', ' ', '\t  ', '\r']) expect(parse(blank), JSON.stringify(blank)).toEqual({ kind: 'empty' });
  });

  it('applies the codec limits to plain messages', () => {
    const small = createClientCodec({ maxTextLength: 5 });
    expect(parse('12345', 'general', small).kind).toBe('frame');
    expectCode('123456', 'text_too_long', 'general', small);
    expectCode('/msg bob 123456', 'text_too_long', 'general', small);
  });
});

describe('parseTextLine for a newcomer', () => {
  function parseAs(line: string, registered: boolean, currentRoom: string | null = null): TextCommand {
    return parseTextLine(line, currentRoom, codec, registered);
  }
  function codeOf(command: TextCommand): string | undefined {
    return command.kind === 'error' ? command.error.code : undefined;
  }

  it('asks for a nick before a room: plain lines and /history before /nick are not_registered', () => {
    expect(codeOf(parseAs('hello', false))).toBe('not_registered');
    expect(codeOf(parseAs('//hello', false))).toBe('not_registered');
    expect(codeOf(parseAs('/history', false))).toBe('not_registered');
    expect(codeOf(parseAs('hello', true))).toBe('not_in_room');
    expect(codeOf(parseAs('/history', true))).toBe('not_in_room');
  });

  it('#room alone on a line joins it; with other words it is a message', () => {
    expectFrame('#General', { type: 'join', room: 'general' }, null);
    expectFrame('  #lobby  ', { type: 'join', room: 'lobby' });
    expectFrame('#lobby is nice', { type: 'msg', room: 'general', text: '#lobby is nice' });
    expectCode('#', 'invalid_room', null);
    expectCode('#-bad', 'invalid_room', null);
  });

  it('refuses a name with a space instead of taking its first word', () => {
    expectCode('/join a b', 'invalid_room', null);
    expectCode('/join #a b', 'invalid_room', null);
    expectCode('/leave a b', 'invalid_room');
    expectCode('/who a b', 'invalid_room');
    expectCode('/nick al ice', 'invalid_nick', null);
    expectCode('/nick\talice  bob', 'invalid_nick', null);
  });

  it('explains a bad nick or room with the rule in words, never the pattern', () => {
    for (const [line, rule] of [
      ['/nick 9lives', NICK_RULE],
      ['/msg b@d hi', NICK_RULE],
      ['/nick a b', NICK_RULE],
      ['/join -bad', ROOM_RULE],
      ['#x!', ROOM_RULE],
      ['/join a b', ROOM_RULE],
    ] as const) {
      const command = parse(line, null);
      expect(command.kind, line).toBe('error');
      if (command.kind !== 'error') continue;
      expect(command.error.message, line).toContain(rule);
      expect(command.error.message, line).not.toContain(NICK_PATTERN);
      expect(command.error.message, line).not.toContain(ROOM_PATTERN);
    }
  });
});

describe('renderText', () => {
  const message: MsgFrame = { type: 'msg', room: 'general', from: 'alice', text: 'hello', seq: 1, ts: 1 };

  /** Every rendering is whole lines: non-empty output ends in `\n`. */
  function lines(frame: ServerFrame, viewer?: string): string[] {
    const out = renderText(frame, viewer);
    if (out !== '') expect(out.endsWith('\n')).toBe(true);
    return out === '' ? [] : out.slice(0, -1).split('\n');
  }

  it('renders welcome as one informational line naming the nick', () => {
    const frame: ServerFrame = {
      type: 'welcome',
      nick: 'alice',
      server: 'loopchat',
      v: 1,
      limits: { maxLineBytes: 8192, maxTextLength: 2000, messagesPerSecond: 20, maxRooms: 50 },
    };
    const [first, ...rest] = lines(frame);
    expect(rest).toEqual([]);
    expect(first).toMatch(/^\* .*\balice\b/);
  });

  it('renders msg as [room] nick: text', () => {
    expect(renderText(message)).toBe('[general] alice: hello\n');
  });

  it('renders a dm as received, or as sent when the viewer is the sender', () => {
    const dm: ServerFrame = { type: 'dm', from: 'alice', to: 'bob', text: 'psst', ts: 1 };
    expect(renderText(dm, 'bob')).toBe('[dm] alice: psst\n');
    expect(renderText(dm)).toBe('[dm] alice: psst\n');
    expect(renderText(dm, 'alice')).toBe('[dm -> bob] psst\n');
  });

  it('renders presence joins, leaves and quits', () => {
    expect(lines({ type: 'presence', room: 'general', nick: 'bob', event: 'join' })).toEqual([
      expect.stringMatching(/^\* bob joined general$/),
    ]);
    expect(lines({ type: 'presence', room: 'general', nick: 'bob', event: 'leave' })).toEqual([
      expect.stringMatching(/^\* bob left general$/),
    ]);
    expect(lines({ type: 'presence', room: 'general', nick: 'bob', event: 'leave', quit: true })).toEqual([
      expect.stringMatching(/^\* bob left general \(quit\)$/),
    ]);
  });

  it('renders members with the room, count and nicks', () => {
    expect(lines({ type: 'members', room: 'general', nicks: ['alice', 'bob'] })).toEqual([
      expect.stringMatching(/^\* general \(2\): alice, bob$/),
    ]);
  });

  it('renders rooms with their sizes, and a hint when there are none', () => {
    expect(
      lines({
        type: 'rooms',
        rooms: [
          { room: 'general', members: 2 },
          { room: 'random', members: 1 },
        ],
      }),
    ).toEqual([expect.stringMatching(/^\* .*general \(2\), random \(1\)$/)]);
    expect(lines({ type: 'rooms', rooms: [] })).toEqual([expect.stringMatching(/^\* /)]);
  });

  it('renders history as each message, then an end line', () => {
    const history: ServerFrame = {
      type: 'history',
      room: 'general',
      messages: [message, { ...message, from: 'bob', text: 'world', seq: 2 }],
    };
    expect(lines(history)).toEqual([
      '[general] alice: hello',
      '[general] bob: world',
      expect.stringMatching(/^\* .*general.*\b2\b/),
    ]);
    expect(lines({ type: 'history', room: 'general', messages: [] })).toEqual([expect.stringMatching(/^\* .*general/)]);
  });

  it('renders ack and pong as one informational line, and ping as nothing', () => {
    expect(lines({ type: 'ack', id: 1, ts: 1 })).toEqual([expect.stringMatching(/^\* /)]);
    expect(lines({ type: 'pong' })).toEqual([expect.stringMatching(/^\* /)]);
    expect(renderText({ type: 'ping' })).toBe('');
  });

  it('renders typing as nothing: a terminal cannot take a line back', () => {
    expect(renderText({ type: 'typing', room: 'general', nick: 'bob' })).toBe('');
  });

  it('renders an error as one line starting with ! and the code', () => {
    expect(lines({ type: 'error', code: 'nick_taken', message: 'whatever' })).toEqual([
      expect.stringMatching(/^! nick_taken\b/),
    ]);
  });
});

describe('sanitizeForTerminal', () => {
  const unsafe = [
    ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)), // C0, including ESC, BEL, NUL, \n
    ...Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i)), // DEL and C1 (e.g. CSI \u009b)
    '\u200e',
    '\u200f',
    '\u202a',
    '\u202b',
    '\u202c',
    '\u202d',
    '\u202e',
    '\u2066',
    '\u2067',
    '\u2068',
    '\u2069',
  ];

  function expectNoneOf(text: string, forbidden: readonly string[]): void {
    for (const c of forbidden) expect(text.includes(c), `U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`).toBe(false);
  }

  it('removes every C0, DEL, C1 and bidi control character', () => {
    const sanitized = sanitizeForTerminal(unsafe.join('x'));
    expectNoneOf(sanitized, unsafe);
    expect(sanitized).toContain('x');
  });

  it('leaves ordinary text, accents, CJK and emoji alone', () => {
    const text = 'héllo, 世界! 😀 <b>"quotes"</b> \\ [brackets]';
    expect(sanitizeForTerminal(text)).toBe(text);
  });

  it('renders a hostile message with none of its control characters', () => {
    const hostile = 'hi\u001b[2J\u0007\u0000\u009b31m\u007f\u202eevil\u2066x\nforged line\r';
    const hostileControls = ['\u001b', '\u0007', '\u0000', '\u009b', '\u007f', '\u202e', '\u2066', '\r'];
    for (const frame of [
      { type: 'msg', room: 'general', from: 'mallory', text: hostile, seq: 1, ts: 1 },
      { type: 'dm', from: 'mallory', to: 'bob', text: hostile, ts: 1 },
      { type: 'error', code: 'internal', message: hostile },
      {
        type: 'history',
        room: 'general',
        messages: [{ type: 'msg', room: 'general', from: 'mallory', text: hostile, seq: 1, ts: 1 }],
      },
    ] satisfies ServerFrame[]) {
      const out = renderText(frame, 'alice');
      expectNoneOf(out, hostileControls);
      // A `\n` inside the text cannot forge an extra line.
      const expectedLines = frame.type === 'history' ? 2 : 1;
      expect(out.split('\n').length - 1, frame.type).toBe(expectedLines);
    }
  });
});
