import { describe, expect, it } from 'vitest';
import {
  IRC_MAX_BODY_BYTES,
  messageId,
  parseMessageId,
  renderIrc,
  serializeIrcMessage,
  type HistoryFrame,
  type IrcMessage,
  type MembersFrame,
  type IrcRenderContext,
  type IrcServerInfo,
  type MsgFrame,
  type ServerFrame,
} from '../src/index.js';

const info: IrcServerInfo = {
  server: 'irc.loopchat.test',
  network: 'loopchat',
  host: 'loopchat',
  version: 'loopchat-1',
  created: 'today',
  motd: [],
};
const S = info.server;
const TS = Date.UTC(2026, 11, 4, 10, 0, 0, 123);
const TIME = '2026-12-04T10:00:00.123Z';
const ALL_CAPS = ['server-time', 'message-tags', 'echo-message', 'batch', 'draft/chathistory', 'labeled-response'];

function ctx(nick: string, caps: readonly string[] = []): IrcRenderContext {
  return { info, nick, caps: new Set(caps) };
}

const msg = (over: Partial<MsgFrame> = {}): MsgFrame => ({
  type: 'msg',
  room: 'general',
  from: 'bob',
  text: 'hello',
  seq: 42,
  ts: TS,
  ...over,
});

function lines(messages: readonly IrcMessage[]): string[] {
  return messages.map((m) => {
    const result = serializeIrcMessage(m);
    if (!result.ok) throw new Error(`${result.code}: ${JSON.stringify(m)}`);
    return result.line.slice(0, -2);
  });
}

function render(frame: ServerFrame, c: IrcRenderContext, request = {}): string[] {
  return lines(renderIrc(frame, c, request));
}

describe('renderIrc: room messages', () => {
  it('renders a msg as PRIVMSG from the sender to the channel, without tags for a client without caps', () => {
    expect(render(msg(), ctx('alice'))).toEqual([':bob!bob@loopchat PRIVMSG #general hello']);
  });

  it('adds time (server-time) and msgid=<room>-<seq> (message-tags)', () => {
    expect(render(msg(), ctx('alice', ['server-time', 'message-tags']))).toEqual([
      `@time=${TIME};msgid=general-42 :bob!bob@loopchat PRIVMSG #general hello`,
    ]);
    expect(render(msg(), ctx('alice', ['server-time']))).toEqual([`@time=${TIME} :bob!bob@loopchat PRIVMSG #general hello`]);
  });

  it('drops the reader’s own message unless it has echo-message, and labels the echo', () => {
    expect(render(msg({ from: 'Alice', id: 'L1' }), ctx('alice'))).toEqual([]);
    expect(render(msg({ from: 'alice', id: 'L1' }), ctx('alice', ['echo-message', 'labeled-response']))).toEqual([
      '@label=L1 :alice!alice@loopchat PRIVMSG #general hello',
    ]);
  });

  it('does not label someone else’s message with their id', () => {
    expect(render(msg({ id: 'theirs' }), ctx('alice', ['labeled-response']))).toEqual([
      ':bob!bob@loopchat PRIVMSG #general hello',
    ]);
  });

  it('splits a long text into lines of at most 510 bytes, the msgid on the first only', () => {
    const text = 'é'.repeat(1500);
    const out = render(msg({ text }), ctx('alice', ['server-time', 'message-tags']));
    expect(out.length).toBeGreaterThan(1);
    expect(out.filter((l) => l.includes('msgid=')).length).toBe(1);
    expect(out.every((l) => l.startsWith(`@time=${TIME}`))).toBe(true);
    for (const l of out) expect(Buffer.byteLength(l.slice(l.indexOf(' ') + 1))).toBeLessThanOrEqual(IRC_MAX_BODY_BYTES);
    expect(
      renderIrc(msg({ text }), ctx('alice'))
        .map((m) => m.params[1])
        .join(''),
    ).toBe(text);
  });

  it('strips control characters but formatting, and turns line breaks into separate messages', () => {
    expect(render(msg({ text: '\x02bold\x02\x01CTCP\x01\nline two' }), ctx('alice'))).toEqual([
      ':bob!bob@loopchat PRIVMSG #general \x02bold\x02CTCP',
      ':bob!bob@loopchat PRIVMSG #general :line two',
    ]);
  });
});

describe('renderIrc: direct messages', () => {
  const dm = { type: 'dm', from: 'bob', to: 'alice', text: 'psst', ts: TS } as const;

  it('renders a dm as PRIVMSG to the reader', () => {
    expect(render(dm, ctx('alice'))).toEqual([':bob!bob@loopchat PRIVMSG alice psst']);
  });

  it('echoes the reader’s own dm only with echo-message, but shows a dm to oneself once', () => {
    expect(render({ ...dm, from: 'alice', to: 'bob' }, ctx('alice'))).toEqual([]);
    expect(render({ ...dm, from: 'alice', to: 'bob' }, ctx('alice', ['echo-message']))).toEqual([
      ':alice!alice@loopchat PRIVMSG bob psst',
    ]);
    expect(render({ ...dm, from: 'alice', to: 'alice' }, ctx('alice'))).toEqual([
      ':alice!alice@loopchat PRIVMSG alice psst',
    ]);
  });
});

describe('renderIrc: presence, queries, notices', () => {
  it('renders presence as JOIN and PART', () => {
    expect(render({ type: 'presence', room: 'general', nick: 'bob', event: 'join' }, ctx('alice'))).toEqual([
      ':bob!bob@loopchat JOIN #general',
    ]);
    expect(render({ type: 'presence', room: 'general', nick: 'bob', event: 'leave' }, ctx('alice'))).toEqual([
      ':bob!bob@loopchat PART #general',
    ]);
  });

  it('renders a leave with quit as QUIT with the server’s reason, never a user’s (RFC 2812 §3.1.7)', () => {
    const quit = { type: 'presence', room: 'general', nick: 'bob', event: 'leave', quit: true } as const;
    expect(render(quit, ctx('alice'))).toEqual([':bob!bob@loopchat QUIT Quit']);
    expect(render({ ...quit, room: 'other' }, ctx('alice', ['server-time', 'message-tags']))).toEqual([
      ':bob!bob@loopchat QUIT Quit',
    ]);
  });

  it('renders members as NAMES, or as WHO when WHO asked', () => {
    const members: MembersFrame = { type: 'members', room: 'general', nicks: ['alice', 'bob'] };
    expect(render(members, ctx('alice'))).toEqual([
      `:${S} 353 alice = #general :alice bob`,
      `:${S} 366 alice #general :End of NAMES list`,
    ]);
    expect(render(members, ctx('alice'), { command: 'WHO' }).map((l) => l.split(' ')[1])).toEqual(['352', '352', '315']);
  });

  it('marks the room’s operators with @ in NAMES (PREFIX=(o)@)', () => {
    const members: MembersFrame = { type: 'members', room: 'general', nicks: ['alice', 'bob'], ops: ['bob'] };
    expect(render(members, ctx('alice'))[0]).toBe(`:${S} 353 alice = #general :alice @bob`);
  });

  it('renders rooms as LIST', () => {
    expect(render({ type: 'rooms', rooms: [{ room: 'general', members: 3 }] }, ctx('alice'))).toEqual([
      `:${S} 322 alice #general 3 :`,
      `:${S} 323 alice :End of LIST`,
    ]);
  });

  it('renders a notice to the reader or to the room’s channel', () => {
    expect(render({ type: 'notice', text: 'maintenance at 5', ts: TS }, ctx('alice'))).toEqual([
      `:${S} NOTICE alice :maintenance at 5`,
    ]);
    expect(render({ type: 'notice', text: 'closing', room: 'general', ts: TS }, ctx('alice', ['server-time']))).toEqual([
      `@time=${TIME} :${S} NOTICE #general closing`,
    ]);
  });

  it('renders an error through the ErrorCode mapping, its message sanitized', () => {
    expect(
      render({ type: 'error', code: 'no_such_nick', message: 'no\x01 such' }, ctx('alice'), {
        command: 'PRIVMSG',
        target: 'carol',
      }),
    ).toEqual([`:${S} 401 alice carol :no such`]);
  });

  it('renders heartbeats and pongs, and nothing for an ack', () => {
    expect(render({ type: 'ping' }, ctx('alice'))).toEqual([`PING ${S}`]);
    expect(render({ type: 'pong', id: 'tok' }, ctx('alice'))).toEqual([`:${S} PONG ${S} tok`]);
    expect(render({ type: 'ack', id: 1, ts: TS }, ctx('alice'))).toEqual([]);
  });

  it('renders welcome as 001–005 then the MOTD (422 without one)', () => {
    const welcome = {
      type: 'welcome',
      nick: 'alice',
      server: 'node-1',
      v: 1,
      limits: { maxLineBytes: 8192, maxTextLength: 2000, messagesPerSecond: 20, maxRooms: 50 },
    } as const;
    expect(render(welcome, ctx('alice')).map((l) => l.split(' ')[1])).toEqual(['001', '002', '003', '004', '005', '422']);
  });
});

describe('renderIrc: history', () => {
  const history: HistoryFrame = {
    type: 'history',
    room: 'general',
    messages: [msg({ seq: 7, from: 'alice' }), msg({ seq: 8 })],
    id: 'L9',
  };

  it('wraps history in a chathistory batch, own messages included, the label on the batch', () => {
    expect(render(history, ctx('alice', ALL_CAPS))).toEqual([
      `@label=L9 :${S} BATCH +h7 chathistory #general`,
      `@time=${TIME};msgid=general-7;batch=h7 :alice!alice@loopchat PRIVMSG #general hello`,
      `@time=${TIME};msgid=general-8;batch=h7 :bob!bob@loopchat PRIVMSG #general hello`,
      `:${S} BATCH -h7`,
    ]);
  });

  it('sends plain PRIVMSGs to a reader without batch', () => {
    expect(render(history, ctx('alice'))).toEqual([
      ':alice!alice@loopchat PRIVMSG #general hello',
      ':bob!bob@loopchat PRIVMSG #general hello',
    ]);
  });
});

describe('message ids', () => {
  it('name a room and seq, and read back, rooms with dashes included', () => {
    expect(messageId('dev-ops.eu', 42)).toBe('dev-ops.eu-42');
    expect(parseMessageId('dev-ops.eu-42')).toEqual({ room: 'dev-ops.eu', seq: 42 });
  });

  it.each(['', '42', '-42', 'general-', 'general-4x', 'gen eral-1', 'general-1234567890123456'])('refuse %j', (msgid) => {
    expect(parseMessageId(msgid)).toBeUndefined();
  });
});
