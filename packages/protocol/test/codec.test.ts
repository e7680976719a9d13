import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_MAX_TEXT_LENGTH,
  MAX_HISTORY_LIMIT,
  MAX_ID_LENGTH,
  ProtocolError,
  createClientCodec,
  decodeServerLine,
  encodeLine,
  type ClientFrame,
  type ErrorCode,
  type ServerFrame,
} from '../src/index.js';

const codec = createClientCodec();

function decode(value: unknown): ClientFrame | ProtocolError {
  return codec.decode(typeof value === 'string' ? value : JSON.stringify(value));
}

/** The error code `line` decodes to, or 'ok' for a frame. */
function codeOf(value: unknown, c = codec): ErrorCode | 'ok' {
  const result = c.decode(typeof value === 'string' ? value : JSON.stringify(value));
  return result instanceof ProtocolError ? result.code : 'ok';
}

function expectError(value: unknown, code: ErrorCode): ProtocolError {
  const result = decode(value);
  expect(result).toBeInstanceOf(ProtocolError);
  expect((result as ProtocolError).code).toBe(code);
  return result as ProtocolError;
}

const msg = (fields: Record<string, unknown> = {}) => ({ type: 'msg', room: 'general', text: 'hello', ...fields });

describe('codec: valid client frames', () => {
  const valid: ClientFrame[] = [
    { type: 'hello', nick: 'alice' },
    { type: 'hello', nick: 'Bob_the-2nd', token: 'secret', v: 1, id: 'h1' },
    { type: 'join', room: 'general', id: 1 },
    { type: 'leave', room: 'general' },
    { type: 'msg', room: 'general', text: 'hello, world', id: 'm-1' },
    { type: 'dm', to: 'bob', text: 'psst', id: 0 },
    { type: 'history', room: 'general' },
    { type: 'history', room: 'general', since: 0, limit: 50, id: 'h' },
    { type: 'who', room: 'general' },
    { type: 'rooms' },
    { type: 'ping', id: Number.MAX_SAFE_INTEGER },
    { type: 'pong' },
    { type: 'typing', room: 'general' },
    { type: 'read', room: 'general', seq: 41, id: 'r' },
  ];

  it.each(valid.map((frame) => [frame.type, frame] as const))('decodes a valid %s frame to the typed frame', (_, frame) => {
    expect(decode(frame)).toEqual(frame);
  });

  it.each([-1, 1.5, '3', null, undefined, 2 ** 53])('rejects a read marker seq of %j as invalid_frame', (seq) => {
    expect(expectError({ type: 'read', room: 'general', seq, id: 'r' }, 'invalid_frame').id).toBe('r');
  });

  it('validates already-parsed values the same way as lines', () => {
    for (const frame of valid) expect(codec.validate(structuredClone(frame))).toEqual(frame);
    expect((codec.validate([]) as ProtocolError).code).toBe('invalid_frame');
    expect((codec.validate({ type: 'nope' }) as ProtocolError).code).toBe('unknown_type');
  });

  it('folds room names to lower case in every frame that has a room', () => {
    for (const type of ['join', 'leave', 'who', 'history', 'typing']) {
      expect(decode({ type: 'read', room: 'GeNeRaL.Chat', seq: 1 })).toMatchObject({ room: 'general.chat' });
      expect(decode({ type, room: 'GeNeRaL.Chat' })).toMatchObject({ room: 'general.chat' });
    }
    expect(decode(msg({ room: 'General' }))).toMatchObject({ room: 'general' });
  });

  it('accepts unknown fields (forward compatible) but returns a fresh frame with only the schema fields', () => {
    expect(decode(msg({ future: { x: 1 } }))).toEqual(msg());
    // Regression: a `room` on a frame type without one used to be lower-cased unconditionally (TypeError).
    for (const room of [null, 5, {}, [], true]) {
      expect(() => decode({ type: 'ping', room })).not.toThrow();
      expect(decode({ type: 'pong', room })).toEqual({ type: 'pong' });
    }
  });

  it('never modifies the object it validates', () => {
    const input = Object.freeze({ type: 'join', room: 'General' });
    expect(codec.validate(input)).toEqual({ type: 'join', room: 'general' });
    expect(input.room).toBe('General');
  });

  it('accepts a leading byte-order mark', () => {
    expect(codec.decode('\uFEFF{"type":"ping"}')).toEqual({ type: 'ping' });
  });

  it('accepts a "__proto__" or "constructor" string as a value rather than a key', () => {
    expect(decode(msg({ text: '__proto__' }))).toEqual(msg({ text: '__proto__' }));
    expect(decode(msg({ text: '"__proto__": 1', constructor: 'x' }))).toEqual(msg({ text: '"__proto__": 1' }));
    expectError({ type: '__proto__' }, 'unknown_type');
  });
});

describe('codec: malformed lines', () => {
  it.each(['', '{', 'nope', "{'type':'ping'}", '{"type":"ping",}', '{"type":"ping"} x', 'NaN'])(
    'rejects %j as invalid_json',
    (line) => {
      expectError(line, 'invalid_json');
    },
  );

  it.each(['[]', '[{"type":"ping"}]', '1', 'null', '"ping"', 'true'])('rejects non-object JSON %s as invalid_frame', (line) => {
    expectError(line, 'invalid_frame');
  });

  it('rejects a frame without a string type as invalid_frame', () => {
    expectError({}, 'invalid_frame');
    expectError({ type: 5 }, 'invalid_frame');
    expectError({ type: null, room: 'general' }, 'invalid_frame');
  });

  it('rejects unknown and server-only types as unknown_type', () => {
    for (const type of ['bogus', 'MSG', 'welcome', 'ack', 'error', 'presence', 'members', 'toString', 'x'.repeat(1000)]) {
      expect(codeOf({ type }), type.slice(0, 20)).toBe('unknown_type');
    }
  });

  it('rejects a missing required field as invalid_frame', () => {
    expectError({ type: 'msg', room: 'general' }, 'invalid_frame');
    expectError({ type: 'msg', text: 'hi' }, 'invalid_frame');
    expectError({ type: 'hello' }, 'invalid_frame');
    expectError({ type: 'dm', text: 'hi' }, 'invalid_frame');
    expectError({ type: 'join' }, 'invalid_frame');
  });

  it('rejects a field of the wrong type as invalid_frame', () => {
    expectError(msg({ room: 5 }), 'invalid_frame');
    expectError(msg({ text: 5 }), 'invalid_frame');
    expectError(msg({ text: ['a'] }), 'invalid_frame');
    expectError({ type: 'dm', to: 5, text: 'hi' }, 'invalid_frame');
    expectError({ type: 'hello', nick: null }, 'invalid_frame');
    expectError({ type: 'history', room: 'general', since: '5' }, 'invalid_frame');
  });
});

describe('codec: text limits', () => {
  it('accepts text of exactly maxTextLength and rejects one more as text_too_long', () => {
    expect(codeOf(msg({ text: 'x'.repeat(DEFAULT_MAX_TEXT_LENGTH) }))).toBe('ok');
    expectError(msg({ text: 'x'.repeat(DEFAULT_MAX_TEXT_LENGTH + 1) }), 'text_too_long');
    expectError({ type: 'dm', to: 'bob', text: 'x'.repeat(DEFAULT_MAX_TEXT_LENGTH + 1) }, 'text_too_long');
  });

  it('counts text length in UTF-16 code units', () => {
    expect(codeOf(msg({ text: '😀'.repeat(DEFAULT_MAX_TEXT_LENGTH / 2) }))).toBe('ok');
    expectError(msg({ text: '😀'.repeat(DEFAULT_MAX_TEXT_LENGTH / 2 + 1) }), 'text_too_long');
  });

  it('honours a custom maxTextLength', () => {
    const small = createClientCodec({ maxTextLength: 10 });
    expect(codeOf(msg({ text: 'x'.repeat(10) }), small)).toBe('ok');
    expect(codeOf(msg({ text: 'x'.repeat(11) }), small)).toBe('text_too_long');
    expect(codeOf({ type: 'dm', to: 'bob', text: 'x'.repeat(11) }, small)).toBe('text_too_long');
    expect(codeOf(msg({ text: 'x'.repeat(11) }))).toBe('ok');
  });

  it('rejects empty text as invalid_frame', () => {
    expectError(msg({ text: '' }), 'invalid_frame');
    expectError({ type: 'dm', to: 'bob', text: '' }, 'invalid_frame');
  });

  it('fits a maximum-length message of 3-byte characters in one default line', () => {
    // The limits.ts bound: a valid message must not trip the (connection-closing) line limit.
    const line = JSON.stringify(msg({ room: 'r'.repeat(32), text: '€'.repeat(DEFAULT_MAX_TEXT_LENGTH), id: 'i'.repeat(MAX_ID_LENGTH) }));
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(DEFAULT_MAX_LINE_BYTES);
  });
});

describe('codec: names', () => {
  it.each(['a b', 'r'.repeat(33), '-abc', '.abc', '_abc', '', 'caf\u00e9', 'a/b', '#general'])('rejects room %j as invalid_room', (room) => {
    for (const type of ['join', 'leave', 'who', 'history', 'typing']) expect(codeOf({ type, room }), type).toBe('invalid_room');
    expect(codeOf(msg({ room }))).toBe('invalid_room');
  });

  it('accepts rooms up to 32 characters of letters, digits, _, . and -', () => {
    for (const room of ['a', '0', 'r'.repeat(32), 'a.b_c-d', '2024-chat']) expect(codeOf({ type: 'join', room }), room).toBe('ok');
  });

  it.each(['1abc', 'n'.repeat(25), '', 'a b', 'ni.ck', '_nick', '-nick', 'ni\u00e7k'])('rejects nick %j as invalid_nick in hello and dm', (nick) => {
    expectError({ type: 'hello', nick }, 'invalid_nick');
    expectError({ type: 'dm', to: nick, text: 'hi' }, 'invalid_nick');
  });

  it('accepts nicks up to 24 characters starting with a letter', () => {
    for (const nick of ['a', 'Z', 'n'.repeat(24), 'a1_-B']) {
      expect(codeOf({ type: 'hello', nick }), nick).toBe('ok');
      expect(codeOf({ type: 'dm', to: nick, text: 'hi' }), nick).toBe('ok');
    }
  });
});

describe('codec: prototype pollution', () => {
  afterEach(() => {
    // Belt and braces: never leave a polluted prototype behind for later tests.
    delete (Object.prototype as Record<string, unknown>)['polluted'];
  });

  it('rejects a top-level __proto__ key as forbidden_key without polluting Object.prototype', () => {
    expectError('{"type":"msg","__proto__":{"polluted":1},"room":"general","text":"hi"}', 'forbidden_key');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });

  it('rejects a nested __proto__ key as forbidden_key', () => {
    expectError('{"type":"msg","room":"general","text":"hi","x":{"y":{"__proto__":{"polluted":1}}}}', 'forbidden_key');
    expectError('{"type":"msg","room":"general","text":"hi","x":[1,{"__proto__":{"polluted":1}}]}', 'forbidden_key');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects a unicode-escaped __proto__ key as forbidden_key', () => {
    expectError('{"type":"ping","\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}}', 'forbidden_key');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects constructor.prototype as forbidden_key, top level and nested', () => {
    expectError('{"type":"ping","constructor":{"prototype":{"polluted":1}}}', 'forbidden_key');
    expectError('{"type":"ping","a":{"constructor":{"prototype":{"polluted":1}}}}', 'forbidden_key');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('codec: correlation id on errors', () => {
  it('carries a valid string or integer id on the error of an invalid frame', () => {
    expect(expectError(msg({ text: '', id: 'abc' }), 'invalid_frame').id).toBe('abc');
    expect(expectError(msg({ room: 'bad room', id: 7 }), 'invalid_room').id).toBe(7);
    expect(expectError({ type: 'hello', nick: '1x', id: 0 }, 'invalid_nick').id).toBe(0);
    expect(expectError(msg({ text: 'x'.repeat(DEFAULT_MAX_TEXT_LENGTH + 1), id: 'long' }), 'text_too_long').id).toBe('long');
    expect(expectError({ type: 'bogus', id: 'u' }, 'unknown_type').id).toBe('u');
    expect(expectError({ id: 'no-type' }, 'invalid_frame').id).toBe('no-type');
    expect(expectError(msg({ id: 'i'.repeat(MAX_ID_LENGTH), text: '' }), 'invalid_frame').id).toBe('i'.repeat(MAX_ID_LENGTH));
    expect(expectError(msg({ id: Number.MAX_SAFE_INTEGER, text: '' }), 'invalid_frame').id).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('does not echo an id that is itself invalid', () => {
    for (const id of ['i'.repeat(MAX_ID_LENGTH + 1), '', -1, 1.5, 2 ** 60, null, true, { a: 1 }, ['x']]) {
      const error = expectError(msg({ id, text: '' }), 'invalid_frame');
      expect(error.id, JSON.stringify(id)).toBeUndefined();
    }
  });

  it('rejects a frame whose only fault is its id as invalid_frame', () => {
    expectError(msg({ id: 'i'.repeat(MAX_ID_LENGTH + 1) }), 'invalid_frame');
    expectError(msg({ id: -1 }), 'invalid_frame');
    expectError({ type: 'ping', id: '' }, 'invalid_frame');
  });
});

describe('codec: numbers and hostile shapes', () => {
  it('rejects numbers that do not fit a safe integer as invalid_frame', () => {
    expectError('{"type":"history","room":"general","since":1e400}', 'invalid_frame');
    expectError(`{"type":"history","room":"general","since":${2n ** 60n}}`, 'invalid_frame');
    expectError('{"type":"history","room":"general","since":-1}', 'invalid_frame');
    expectError('{"type":"history","room":"general","since":1.5}', 'invalid_frame');
    expectError('{"type":"history","room":"general","before":0}', 'invalid_frame');
    expectError('{"type":"history","room":"general","since":1,"before":5}', 'invalid_frame');
    expect(codeOf({ type: 'history', room: 'general', before: 5, limit: 10 })).toBe('ok');
    expect(codeOf({ type: 'history', room: 'general', since: Number.MAX_SAFE_INTEGER })).toBe('ok');
  });

  it('bounds the history limit to 1..MAX_HISTORY_LIMIT', () => {
    const history = (limit: number) => ({ type: 'history', room: 'general', limit });
    expect(codeOf(history(0))).toBe('invalid_frame');
    expect(codeOf(history(MAX_HISTORY_LIMIT + 1))).toBe('invalid_frame');
    expect(codeOf(history(-5))).toBe('invalid_frame');
    expect(codeOf(history(2.5))).toBe('invalid_frame');
    expect(codeOf(history(1))).toBe('ok');
    expect(codeOf(history(MAX_HISTORY_LIMIT))).toBe('ok');
  });

  it('bounds hello.v and hello.token', () => {
    expect(codeOf({ type: 'hello', nick: 'a', v: 0 })).toBe('invalid_frame');
    expect(codeOf({ type: 'hello', nick: 'a', v: 1001 })).toBe('invalid_frame');
    expect(codeOf({ type: 'hello', nick: 'a', token: 't'.repeat(4096) })).toBe('ok');
    expect(codeOf({ type: 'hello', nick: 'a', token: 't'.repeat(4097) })).toBe('invalid_frame');
  });

  it('answers deeply nested JSON with an error or a frame, never an exception', () => {
    for (const depth of [5_000, 100_000]) {
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      expect(() => codec.decode(`{"type":"msg","room":"general","text":${nested}}`)).not.toThrow();
      expect(codeOf(`{"type":"msg","room":"general","text":${nested}}`)).toBe('invalid_frame');
      expect(codeOf(`{"type":"msg","room":"general","text":"hi","extra":${nested}}`)).toBe('ok');
      expect(codeOf(`{"type":"msg","room":"general","text":"hi","extra":${objects}}`)).toBe('ok');
      expect(codeOf(`{"type":"ping","x":${'['.repeat(depth)}`)).toBe('invalid_json');
      // The forbidden-key scan walks the whole tree, to any depth.
      const deepProto = `${'{"a":'.repeat(depth)}{"__proto__":1}${'}'.repeat(depth)}`;
      expect(codeOf(`{"type":"ping","x":${deepProto}}`)).toBe('forbidden_key');
    }
  });
});

describe('server line encoding', () => {
  const frames: ServerFrame[] = [
    {
      type: 'welcome',
      nick: 'alice',
      server: 'loopchat',
      v: 1,
      limits: { maxLineBytes: 8192, maxTextLength: 2000, messagesPerSecond: 20, maxRooms: 50 },
      id: 'h1',
    },
    { type: 'ack', id: 3, seq: 42, ts: 1_700_000_000_000 },
    { type: 'ack', id: 4, seq: 42, read: 40, ts: 1_700_000_000_000 },
    { type: 'msg', room: 'general', from: 'alice', text: 'line one\nline two\r\n\u2028€😀', seq: 1, ts: 1 },
    { type: 'dm', from: 'alice', to: 'bob', text: 'hi', ts: 2 },
    { type: 'presence', room: 'general', nick: 'bob', event: 'join' },
    { type: 'typing', room: 'general', nick: 'bob' },
    { type: 'history', room: 'general', messages: [{ type: 'msg', room: 'general', from: 'a', text: 't', seq: 1, ts: 1 }] },
    { type: 'members', room: 'general', nicks: ['alice', 'bob'] },
    { type: 'rooms', rooms: [{ room: 'general', members: 2 }] },
    { type: 'pong', id: 'p' },
    { type: 'ping' },
    { type: 'error', code: 'invalid_json', message: 'bad', id: 9 },
  ];

  it.each(frames.map((frame) => [frame.type, frame] as const))('encodes a %s frame as one JSON line that decodes back', (_, frame) => {
    const line = encodeLine(frame);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(decodeServerLine(line)).toEqual(frame);
    expect(decodeServerLine(line.slice(0, -1))).toEqual(frame);
  });
});
