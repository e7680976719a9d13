import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '@loopchat/protocol';
import type { ServerContext } from '../../src/core/context.js';
import { EncodedFrame } from '../../src/core/encoded-frame.js';
import { FakeIrcHost, splitLines } from './fake-host.js';

const S = 'irc.test';

function welcomeFrame(nick: string, id: number): ServerFrame {
  return {
    type: 'welcome',
    nick,
    server: S,
    v: 1,
    limits: { maxLineBytes: 8192, maxTextLength: 2000, messagesPerSecond: 20, maxRooms: 50 },
    id,
  };
}

/** What the core's answer `frame` shows this client. */
function render(host: FakeIrcHost, frame: ServerFrame): string[] {
  return splitLines(host.irc.bytesOf(new EncodedFrame(frame)).toString('utf8'));
}

/** Registers `nick` with `caps` and plays the core's welcome; returns the host. */
function registered(nick = 'alice', caps: string[] = [], ctx?: ServerContext): FakeIrcHost {
  const host = new FakeIrcHost({}, ctx);
  const lines = caps.length === 0 ? [] : ['CAP LS 302', `CAP REQ :${caps.join(' ')}`];
  host.send(...lines, `NICK ${nick}`, `USER ${nick} 0 * :${nick}`, ...(caps.length === 0 ? [] : ['CAP END']));
  const hello = host.last();
  expect(hello).toMatchObject({ type: 'hello', nick });
  host.nick = nick;
  render(host, welcomeFrame(nick, hello.id));
  host.frames.length = 0;
  return host;
}

describe('IRC dialect: registration', () => {
  it('sends hello once NICK and USER are in, and answers the welcome with 001–005, LUSERS and 422', () => {
    const host = new FakeIrcHost();
    expect(host.send('NICK alice')).toEqual([]);
    expect(host.frames).toEqual([]);
    host.send('USER alice 0 * :Alice A.');
    expect(host.frames).toEqual([{ type: 'hello', nick: 'alice', id: 1 }]);
    host.nick = 'alice';
    const lines = render(host, welcomeFrame('alice', 1));
    expect(lines.map((l) => l.split(' ')[1])).toEqual([
      '001',
      '002',
      '003',
      '004',
      '005',
      '251',
      '252',
      '253',
      '254',
      '255',
      '422',
    ]);
    const isupport = lines[4]!;
    for (const token of ['CHANTYPES=#', 'NICKLEN=24', 'CHANNELLEN=33', 'CASEMAPPING=ascii', 'NETWORK=loopchat', 'PREFIX=(o)@'])
      expect(isupport.split(' ')).toContain(token);
    expect(lines[0]).toBe(`:${S} 001 alice :Welcome to the loopchat IRC network alice!alice@loopchat`);
    expect(lines[5]).toBe(`:${S} 251 alice :There are 2 users and 0 services on 1 servers`);
  });

  it('holds registration during CAP negotiation and passes PASS as the token', () => {
    const host = new FakeIrcHost();
    const ls = host.send('CAP LS 302', 'PASS secret-token', 'NICK bob', 'USER bob 0 * :B');
    expect(ls[0]).toMatch(/^:irc\.test CAP \* LS :server-time message-tags echo-message batch draft\/chathistory sasl=PLAIN$/);
    expect(host.frames).toEqual([]);
    host.send('CAP END');
    expect(host.frames).toEqual([{ type: 'hello', nick: 'bob', token: 'secret-token', id: 1 }]);
  });

  it('answers a taken nick with 433 and registers with the next NICK', () => {
    const host = new FakeIrcHost();
    host.send('NICK alice', 'USER a 0 * :A');
    const taken = render(host, { type: 'error', code: 'nick_taken', message: 'nick "alice" is taken', id: 1 });
    expect(taken).toEqual([`:${S} 433 * alice :nick "alice" is taken`]);
    host.send('NICK alice_');
    expect(host.last()).toMatchObject({ type: 'hello', nick: 'alice_' });
  });

  it('refuses commands before registration with 451 and sends no frame', () => {
    const host = new FakeIrcHost();
    expect(host.send('JOIN #general')).toEqual([`:${S} 451 * :You have not registered`]);
    expect(host.frames).toEqual([]);
  });

  it('answers 432 for a nick loopchat cannot hold and 431 for none', () => {
    const host = new FakeIrcHost();
    expect(host.send('NICK [away]', 'NICK')).toEqual([
      `:${S} 432 * [away] :Erroneous nickname`,
      `:${S} 431 * :No nickname given`,
    ]);
  });

  it('answers PING before registration too', () => {
    expect(new FakeIrcHost().send('PING :x1')).toEqual([`:${S} PONG ${S} x1`]);
  });

  it('accepts SASL PLAIN when auth is off and registers after CAP END', async () => {
    const host = new FakeIrcHost();
    host.send('CAP LS 302', 'CAP REQ :sasl', 'NICK carol', 'USER c 0 * :C');
    expect(host.send('AUTHENTICATE PLAIN')).toEqual(['AUTHENTICATE +']);
    host.send(`AUTHENTICATE ${Buffer.from('\0carol\0tok').toString('base64')}`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(splitLines(host.written).slice(-2).map((l) => l.split(' ')[1])).toEqual(['900', '903']);
    host.send('CAP END');
    expect(host.last()).toMatchObject({ type: 'hello', nick: 'carol', token: 'tok' });
  });
});

describe('IRC dialect: commands', () => {
  it('JOINs several channels, folded to rooms, and shows JOIN and NAMES when the core answers', () => {
    const host = registered();
    host.send('JOIN #General,#dev');
    expect(host.frames).toEqual([
      { type: 'join', room: 'general', id: 2 },
      { type: 'join', room: 'dev', id: 3 },
    ]);
    host.written = '';
    host.irc.answer(2, 5, { type: 'members', room: 'general', nicks: ['alice', 'bob'] });
    expect(splitLines(host.written)).toEqual([
      ':alice!alice@loopchat JOIN #general',
      `:${S} 353 alice = #general :alice bob`,
      `:${S} 366 alice #general :End of NAMES list`,
    ]);
  });

  it('shows the topic the room sends a joiner as 332, after the JOIN line', () => {
    const host = registered();
    host.send('JOIN #general');
    const topic: ServerFrame = { type: 'topic', room: 'general', text: 'be kind', by: 'bob' };
    expect(render(host, topic)).toEqual([]);
    host.written = '';
    host.irc.answer(host.last().id, 3, { type: 'members', room: 'general', nicks: ['alice', 'bob'] });
    expect(splitLines(host.written)).toEqual([
      ':alice!alice@loopchat JOIN #general',
      `:${S} 332 alice #general :be kind`,
      `:${S} 353 alice = #general :alice bob`,
      `:${S} 366 alice #general :End of NAMES list`,
    ]);
    // Once joined, a new topic is the room's TOPIC again.
    expect(render(host, { ...topic, text: 'new' })).toEqual([':bob!bob@loopchat TOPIC #general new']);
  });

  it('refuses a channel loopchat cannot name (403) and a JOIN without one (461)', () => {
    const host = registered();
    expect(host.send('JOIN &local', 'JOIN #bad/name', 'JOIN')).toEqual([
      `:${S} 403 alice &local :No such channel`,
      `:${S} 403 alice #bad/name :Illegal channel name`,
      `:${S} 461 alice JOIN :Not enough parameters`,
    ]);
    expect(host.frames).toEqual([]);
  });

  it('does not re-join a channel it is in', () => {
    const host = registered();
    host.rooms.add({ name: 'general' });
    host.send('JOIN #general');
    expect(host.frames).toEqual([]);
  });

  it('sends PRIVMSG to a channel as msg and to a nick as dm', () => {
    const host = registered();
    host.send('PRIVMSG #general :hello there', 'PRIVMSG bob,#dev :hi');
    expect(host.frames).toEqual([
      { type: 'msg', room: 'general', text: 'hello there', id: 2 },
      { type: 'dm', to: 'bob', text: 'hi', id: 3 },
      { type: 'msg', room: 'dev', text: 'hi', id: 4 },
    ]);
  });

  it('turns CTCP ACTION into /me text and back, and refuses other CTCP', () => {
    const host = registered();
    host.send('PRIVMSG #general :\x01ACTION waves\x01');
    expect(host.last()).toMatchObject({ type: 'msg', text: 'waves', action: true });
    host.send('PRIVMSG bob :\x01ACTION nods\x01');
    expect(host.last()).toMatchObject({ type: 'dm', to: 'bob', text: '/me nods' });
    const version = host.send('PRIVMSG bob :\x01VERSION\x01');
    expect(version).toEqual([`:${S} NOTICE alice :CTCP VERSION is not supported here; only ACTION (/me)`]);
    expect(host.send('NOTICE bob :\x01VERSION irssi\x01')).toEqual([]);
    expect(render(host, { type: 'msg', room: 'general', from: 'bob', text: 'waves back', action: true, seq: 3, ts: 0 })).toEqual([
      ':bob!bob@loopchat PRIVMSG #general :\x01ACTION waves back\x01',
    ]);
  });

  it('answers a missing recipient (411) or text (412), and a bad nick target with 401', () => {
    const host = registered();
    expect(host.send('PRIVMSG', 'PRIVMSG #general', 'PRIVMSG [x] :hi')).toEqual([
      `:${S} 411 alice :No recipient given (PRIVMSG)`,
      `:${S} 412 alice :No text to send`,
      `:${S} 401 alice [x] :No such nick/channel`,
    ]);
  });

  it('names the channel or nick in the core’s errors: 404, 442, 401, 405', () => {
    const host = registered();
    host.send('PRIVMSG #general :x', 'PART #dev', 'PRIVMSG bob :x', 'JOIN #more');
    const [msg, part, dm, join] = host.frames as { id: number }[];
    const error = (code: string, message: string, id: number): ServerFrame => ({ type: 'error', code, message, id });
    expect(render(host, error('not_in_room', 'not in room "general"', msg!.id))).toEqual([
      `:${S} 404 alice #general :not in room "general"`,
    ]);
    expect(render(host, error('not_in_room', 'not in room "dev"', part!.id))).toEqual([`:${S} 442 alice #dev :not in room "dev"`]);
    expect(render(host, error('no_such_nick', 'no user "bob" is connected', dm!.id))).toEqual([
      `:${S} 401 alice bob :no user "bob" is connected`,
    ]);
    expect(render(host, error('too_many_rooms', 'you are in 50 rooms', join!.id))).toEqual([
      `:${S} 405 alice #more :you are in 50 rooms`,
    ]);
  });

  it('says why a message was not sent: rate limit and moderation', () => {
    const host = registered();
    host.tokens = 0;
    expect(host.send('PRIVMSG #general :x')).toEqual([
      `:${S} NOTICE alice :rate_limited: too many frames per second; this frame was dropped`,
    ]);
    host.tokens = 1;
    host.send('PRIVMSG #general :spam');
    expect(
      render(host, { type: 'error', code: 'filtered', message: 'message rejected by moderation (flood)', id: host.last().id }),
    ).toEqual([`:${S} 404 alice #general :message rejected by moderation (flood)`]);
  });

  it('charges a token for each further target and stops at the first refusal', () => {
    const host = registered();
    host.tokens = 2;
    const out = host.send('JOIN #a,#b,#c');
    expect(host.frames.map((f) => (f as { room: string }).room)).toEqual(['a', 'b']);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain('rate_limited');
  });

  it('answers MODE queries locally, as clients need to consider a channel synced', () => {
    const host = registered();
    expect(host.send('MODE #general', 'MODE #general b', 'MODE alice', 'MODE bob', 'MODE #general +x bob')).toEqual([
      `:${S} 324 alice #general +nt`,
      `:${S} 368 alice #general :End of channel ban list`,
      `:${S} 221 alice +i`,
      `:${S} 502 alice :Can't change mode for other users`,
      `:${S} 472 alice x :is unknown mode char to me`,
    ]);
    expect(host.frames).toEqual([]);
  });

  it('turns MODE +o/-o/+b/+q and KICK into room commands, naming the channel in a refusal', () => {
    const host = registered();
    host.send('MODE #general +o-q bob carol', 'MODE #general +b dave!*@*', 'KICK #general bob :spam');
    expect(host.frames).toEqual([
      { type: 'op', room: 'general', nick: 'bob', id: 2 },
      { type: 'unmute', room: 'general', nick: 'carol', id: 3 },
      { type: 'ban', room: 'general', nick: 'dave', id: 4 },
      { type: 'kick', room: 'general', nick: 'bob', reason: 'spam', id: 5 },
    ]);
    expect(render(host, { type: 'error', code: 'not_op', message: 'you are not an operator of "general"', id: 5 })).toEqual([
      `:${S} 482 alice #general :you are not an operator of "general"`,
    ]);
  });

  it('asks the core for the topic and shows it as 332, or 331 when none is set', () => {
    const host = registered();
    host.send('TOPIC #general', 'TOPIC #dev', 'TOPIC #general :new topic');
    expect(host.frames).toEqual([
      { type: 'topic', room: 'general', id: 2 },
      { type: 'topic', room: 'dev', id: 3 },
      { type: 'topic', room: 'general', text: 'new topic', id: 4 },
    ]);
    expect(render(host, { type: 'topic', room: 'general', text: 'hello world', by: 'bob', id: 2 })).toEqual([
      `:${S} 332 alice #general :hello world`,
    ]);
    expect(render(host, { type: 'topic', room: 'dev', text: '', id: 3 })).toEqual([`:${S} 331 alice #dev :No topic is set`]);
    // Everyone, the setter too, sees a new topic as the room's TOPIC.
    expect(render(host, { type: 'topic', room: 'general', text: 'new topic', by: 'alice' })).toEqual([
      ':alice!alice@loopchat TOPIC #general :new topic',
    ]);
  });

  it('answers WHO with 352/315 and NAMES with 353/366 from the core’s member list', () => {
    const host = registered();
    host.send('WHO #general', 'NAMES #general');
    const [who, names] = host.frames as { id: number }[];
    expect(render(host, { type: 'members', room: 'general', nicks: ['alice'], id: who!.id })).toEqual([
      `:${S} 352 alice #general alice loopchat ${S} alice H :0 alice`,
      `:${S} 315 alice #general :End of WHO list`,
    ]);
    expect(render(host, { type: 'members', room: 'general', nicks: ['alice'], id: names!.id })).toEqual([
      `:${S} 353 alice = #general alice`,
      `:${S} 366 alice #general :End of NAMES list`,
    ]);
  });

  it('answers unknown commands with 421, long lines with 417, and quits on QUIT', () => {
    const host = registered();
    expect(host.send('FROB x', `PRIVMSG #general :${'x'.repeat(600)}`)).toEqual([
      `:${S} 421 alice FROB :Unknown command`,
      `:${S} 417 alice :Input line was too long`,
    ]);
    host.send('QUIT :bye');
    expect(host.quits).toBe(1);
  });

  it('renames with NICK after registration: its own NICK line from the old nick, 433 when taken', () => {
    const host = registered();
    expect(host.send('NICK alice')).toEqual([]);
    host.send('NICK alicia');
    expect(host.last()).toMatchObject({ type: 'nick', nick: 'alicia' });
    host.nick = 'alicia';
    host.written = '';
    host.irc.answer(host.last().id, undefined, { type: 'notice', text: 'you are now known as alicia', ts: 0 });
    expect(splitLines(host.written)).toEqual([':alice!alice@loopchat NICK alicia']);
    host.send('NICK bob');
    expect(render(host, { type: 'error', code: 'nick_taken', message: 'nick "bob" is taken', id: host.last().id })).toEqual([
      `:${S} 433 alicia bob :nick "bob" is taken`,
    ]);
  });
});

describe('IRC dialect: IRCv3', () => {
  const stored: ServerFrame = { type: 'msg', room: 'general', from: 'alice', text: 'hi', seq: 7, ts: Date.UTC(2026, 0, 2), id: 2 };

  it('echoes the sender’s message with echo-message only, with time and msgid', () => {
    const plain = registered();
    plain.send('PRIVMSG #general :hi');
    plain.written = '';
    plain.irc.answer(2, 7, EncodedFrame.fromLine(Buffer.from(`${JSON.stringify(stored)}\n`)));
    expect(plain.written).toBe('');

    const echo = registered('alice', ['echo-message', 'server-time', 'message-tags']);
    echo.send('PRIVMSG #general :hi');
    echo.written = '';
    echo.irc.answer(2, 7, EncodedFrame.fromLine(Buffer.from(`${JSON.stringify(stored)}\n`)));
    expect(splitLines(echo.written)).toEqual([
      '@time=2026-01-02T00:00:00.000Z;msgid=general-7 :alice!alice@loopchat PRIVMSG #general hi',
    ]);
  });

  it('renders a room message once per capability set and shares the bytes', () => {
    const broadcast = new EncodedFrame({ ...stored, from: 'bob' });
    const ctx = FakeIrcHost.context();
    const a = registered('a', ['server-time'], ctx);
    const b = registered('b', ['server-time'], ctx);
    const c = registered('c', [], ctx);
    const bytesA = a.irc.bytesOf(broadcast);
    expect(b.irc.bytesOf(broadcast)).toBe(bytesA);
    expect(c.irc.bytesOf(broadcast).toString()).toBe(':bob!bob@loopchat PRIVMSG #general hi\r\n');
    expect(bytesA.toString()).toBe('@time=2026-01-02T00:00:00.000Z :bob!bob@loopchat PRIVMSG #general hi\r\n');
  });

  it('shows a quit and a rename once per reader though each shared room announces it, sharing the bytes', () => {
    const ctx = FakeIrcHost.context();
    const a = registered('a', [], ctx);
    const b = registered('b', [], ctx);
    const c = registered('c', [], ctx);
    const quit = (room: string) => new EncodedFrame({ type: 'presence', room, nick: 'bob', event: 'leave', quit: true });
    const [q1, q2] = [quit('one'), quit('two')];
    const shown = a.irc.bytesOf(q1);
    expect(shown.toString()).toBe(':bob!bob@loopchat QUIT Quit\r\n');
    expect(a.irc.bytesOf(q2).length).toBe(0);
    // The repeat a dropped is the first b and c see, rendered once for both.
    const atB = b.irc.bytesOf(q2);
    expect(atB.toString()).toBe(':bob!bob@loopchat QUIT Quit\r\n');
    expect(c.irc.bytesOf(q2)).toBe(atB);
    expect(b.irc.bytesOf(q1).length).toBe(0);
    const rename = (room: string) =>
      new EncodedFrame({ type: 'presence', room, nick: 'robert', event: 'rename', old: 'rob' });
    expect(a.irc.bytesOf(rename('one')).toString()).toBe(':rob!rob@loopchat NICK robert\r\n');
    expect(a.irc.bytesOf(rename('two')).length).toBe(0);
    // A part is not a quit: each shows.
    const part = (room: string) => new EncodedFrame({ type: 'presence', room, nick: 'carl', event: 'leave' });
    expect(a.irc.bytesOf(part('one')).toString()).toBe(':carl!carl@loopchat PART #one\r\n');
    expect(a.irc.bytesOf(part('two')).toString()).toBe(':carl!carl@loopchat PART #two\r\n');
  });

  it('maps CHATHISTORY selectors to history requests and cuts the answer to the window', () => {
    const host = registered('alice', ['batch', 'message-tags']);
    host.send(
      'CHATHISTORY LATEST #general * 50',
      'CHATHISTORY AFTER #general msgid=general-10 5',
      'CHATHISTORY BEFORE #general msgid=general-10 3',
    );
    expect(host.frames).toEqual([
      { type: 'history', room: 'general', limit: 50, id: 2 },
      { type: 'history', room: 'general', since: 10, limit: 5, id: 3 },
      { type: 'history', room: 'general', since: 6, limit: 3, id: 4 },
    ]);
    const messages = [6, 7, 8, 9, 10].map((seq) => ({ ...stored, seq, text: `m${seq}` }));
    const lines = render(host, { type: 'history', room: 'general', messages, id: 4 });
    expect(lines).toEqual([
      `:${S} BATCH +h7 chathistory #general`,
      '@msgid=general-7;batch=h7 :alice!alice@loopchat PRIVMSG #general m7',
      '@msgid=general-8;batch=h7 :alice!alice@loopchat PRIVMSG #general m8',
      '@msgid=general-9;batch=h7 :alice!alice@loopchat PRIVMSG #general m9',
      `:${S} BATCH -h7`,
    ]);
  });

  it('refuses what chathistory cannot serve with FAIL', () => {
    const host = registered();
    expect(
      host.send(
        'CHATHISTORY AROUND #general msgid=general-1 5',
        'CHATHISTORY LATEST #general timestamp=2026-01-01T00:00:00.000Z 5',
        'CHATHISTORY BEFORE #general msgid=other-3 5',
        'CHATHISTORY LATEST bob * 5',
        'CHATHISTORY LATEST #general',
      ),
    ).toEqual([
      `:${S} FAIL CHATHISTORY INVALID_PARAMS AROUND :only LATEST, BEFORE and AFTER are supported`,
      `:${S} FAIL CHATHISTORY INVALID_PARAMS LATEST timestamp=2026-01-01T00:00:00.000Z :selectors are * (LATEST) or msgid=; timestamps are not supported`,
      `:${S} FAIL CHATHISTORY INVALID_PARAMS BEFORE msgid=other-3 :the msgid is not a message of this channel`,
      `:${S} FAIL CHATHISTORY INVALID_TARGET LATEST bob :history is kept for channels only`,
      `:${S} FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :CHATHISTORY needs a target, a selector and a limit`,
    ]);
    host.send('CHATHISTORY LATEST #secret * 5');
    expect(render(host, { type: 'error', code: 'not_in_room', message: 'not in room "secret"', id: host.last().id })).toEqual([
      `:${S} FAIL CHATHISTORY INVALID_TARGET #secret :not in room "secret"`,
    ]);
  });
});
