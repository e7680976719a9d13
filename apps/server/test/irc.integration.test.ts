/**
 * IRC on the TCP port (issue 15), with irc-framework as a real client: dialect detection,
 * registration and the welcome burst, rooms shared with JSON-lines and WebSocket users,
 * DMs, errors as numerics, IRCv3 tags and chathistory, and the same limits as every dialect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient, sleep } from './helpers/clients.js';
import { IrcClient } from './helpers/irc-client.js';
import { startTestServer } from './helpers/server.js';

describe('IRC dialect on the TCP port', () => {
  let server: LoopchatServer;
  const open: { close(): void }[] = [];
  const track = <T extends { close(): void }>(client: T): T => {
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer({ serverName: 'irc.test' });
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await server.close();
  });

  it('registers irc-framework with the welcome burst: 001–005 with ISUPPORT, LUSERS, 422', async () => {
    const irc = track(await IrcClient.connect(server.tcpPort, 'reggie'));
    const numerics = irc.raw.items.map((l) => l.split(' ')[1]).filter((c) => /^\d{3}$/.test(c!));
    expect(numerics).toEqual(['001', '002', '003', '004', '005', '251', '252', '253', '254', '255', '422']);
    // irc-framework parsed ISUPPORT: what it will use for names and channel types.
    expect(irc.client.network.name).toBe('loopchat');
    expect(irc.client.network.supports('CHANTYPES')).toEqual(['#']);
    expect(irc.client.network.supports('CASEMAPPING')).toBe('ascii');
    expect(irc.client.network.supports('NICKLEN')).toBe('24');
    expect(irc.client.network.cap.isEnabled('server-time')).toBe(true);
    expect(irc.client.network.cap.isEnabled('message-tags')).toBe(true);
  });

  it('shares a room with JSON-lines and WebSocket users: one order, seqs as msgids', async () => {
    const irc = track(await IrcClient.connect(server.tcpPort, 'ircy'));
    await irc.join('#Lobby');
    const ws = track(await WsClient.connect(server.httpPort));
    await ws.hello('webby');
    await ws.join('lobby');
    const json = track(await TcpJsonClient.connect(server.tcpPort));
    await json.hello('jason');
    await json.join('lobby');
    await irc.waitFor('join', { nick: 'jason', channel: '#lobby' });

    ws.send({ type: 'msg', room: 'lobby', text: 'hello from the web', id: 'w1' });
    const ack = await ws.waitFor({ type: 'ack', id: 'w1' });
    const fromWeb = await irc.waitFor('message', { nick: 'webby', target: '#lobby' });
    expect(fromWeb['message']).toBe('hello from the web');
    const tags = fromWeb['tags'] as Record<string, string>;
    expect(tags['msgid']).toBe(`lobby-${(ack as { seq: number }).seq}`);
    expect(Date.parse(tags['time']!)).toBeGreaterThan(Date.now() - 60_000);

    irc.client.say('#lobby', 'hello from irc');
    const atWeb = await ws.waitFor({ type: 'msg', from: 'ircy' });
    expect(atWeb).toMatchObject({ room: 'lobby', text: 'hello from irc', seq: (ack as { seq: number }).seq + 1 });
    await json.waitFor({ type: 'msg', from: 'ircy', text: 'hello from irc' });

    irc.client.action('#lobby', 'waves');
    expect(await ws.waitFor({ type: 'msg', from: 'ircy', text: 'waves' })).toMatchObject({ action: true });
    ws.send({ type: 'msg', room: 'lobby', text: 'waves back', action: true });
    expect(await irc.waitFor('message', { nick: 'webby', type: 'action' })).toMatchObject({ message: 'waves back' });
  });

  it('carries DMs both ways between IRC and WebSocket users', async () => {
    const irc = track(await IrcClient.connect(server.tcpPort, 'dmirc'));
    const ws = track(await WsClient.connect(server.httpPort));
    await ws.hello('dmweb');
    irc.client.say('dmweb', 'psst');
    expect(await ws.waitFor({ type: 'dm', from: 'dmirc' })).toMatchObject({ text: 'psst' });
    ws.send({ type: 'dm', to: 'DMIRC', text: 'hi back' });
    expect(await irc.waitFor('message', { nick: 'dmweb', target: 'dmirc' })).toMatchObject({ message: 'hi back' });
  });

  it('speaks IRC over WebSocket with subprotocol text.ircv3.net (one line per message) beside JSON', async () => {
    const web = track(await IrcClient.connect(server.httpPort, 'webirc', { websocket: true }));
    expect(web.raw.items.some((l) => / 001 webirc /.test(l))).toBe(true);
    await web.join('#websock');
    const json = track(await WsClient.connect(server.httpPort));
    await json.hello('wsjson');
    await json.join('websock');
    web.client.say('#websock', 'from a web irc client');
    expect(await json.waitFor({ type: 'msg', from: 'webirc' })).toMatchObject({ text: 'from a web irc client' });
    json.send({ type: 'msg', room: 'websock', text: 'back over json' });
    expect(await web.waitFor('message', { nick: 'wsjson' })).toMatchObject({ message: 'back over json' });
  });

  it('echoes own messages with echo-message, tagged like everyone’s copy', async () => {
    const irc = track(await IrcClient.connect(server.tcpPort, 'echoer', { echo: true }));
    expect(irc.client.network.cap.isEnabled('echo-message')).toBe(true);
    await irc.join('#echoes');
    irc.client.say('#echoes', 'me again');
    const echo = await irc.waitFor('message', { nick: 'echoer', target: '#echoes' });
    expect(echo['message']).toBe('me again');
    expect((echo['tags'] as Record<string, string>)['msgid']).toBe('echoes-1');
  });

  it('serves draft/chathistory LATEST, BEFORE and AFTER in a chathistory batch', async () => {
    const irc = track(await IrcClient.connect(server.tcpPort, 'historian'));
    await irc.join('#annals');
    for (let i = 1; i <= 5; i++) irc.client.say('#annals', `entry ${i}`);
    await irc.sync();
    const texts = (batch: Record<string, unknown>): string[] =>
      (batch['commands'] as { params: string[] }[]).map((c) => c.params[1]!);

    irc.client.raw('CHATHISTORY LATEST #annals * 3');
    expect(texts(await irc.waitFor('batch end chathistory'))).toEqual(['entry 3', 'entry 4', 'entry 5']);
    irc.client.raw('CHATHISTORY BEFORE #annals msgid=annals-3 10');
    expect(texts(await irc.waitFor('batch end chathistory'))).toEqual(['entry 1', 'entry 2']);
    irc.client.raw('CHATHISTORY AFTER #annals msgid=annals-3 1');
    expect(texts(await irc.waitFor('batch end chathistory'))).toEqual(['entry 4']);
  });

  it('answers NAMES, WHO and MODE queries so the channel is synced', async () => {
    const irc = track(await IrcClient.connect(server.tcpPort, 'modey'));
    await irc.join('#modes');
    irc.client.raw('MODE #modes');
    irc.client.raw('MODE #modes b');
    irc.client.who('#modes');
    const who = await irc.waitFor('wholist', { target: '#modes' });
    expect((who['users'] as { nick: string }[]).map((u) => u.nick)).toEqual(['modey']);
    await irc.line(/ 324 modey #modes \+nt$/);
    await irc.line(/ 368 modey #modes :End of channel ban list$/);
  });

  it('tells errors with numerics: 401, 404, 433, 421', async () => {
    const irc = track(await IrcClient.connect(server.tcpPort, 'erry'));
    irc.client.say('nobody-here', 'hello?');
    expect(await irc.waitFor('irc error', { error: 'no_such_nick' })).toMatchObject({ nick: 'nobody-here' });
    irc.client.say('#not-joined', 'hello?');
    expect(await irc.waitFor('irc error', { error: 'cannot_send_to_channel' })).toMatchObject({ channel: '#not-joined' });
    irc.client.raw('FROBNICATE');
    await irc.line(/ 421 erry FROBNICATE :Unknown command$/);

    const dup = await TcpTextClient.connect(server.tcpPort);
    dup.socket.write('NICK Erry\r\nUSER e 0 * :E\r\n');
    await dup.waitFor(/ 433 \* Erry :nick "Erry" is taken/);
    dup.socket.write('NICK erry2\r\n');
    await dup.waitFor(/ 001 erry2 /);
    dup.close();
  });

  it('ends with QUIT: ERROR, closed, and the others see the user QUIT', async () => {
    const stays = track(await IrcClient.connect(server.tcpPort, 'stayer'));
    await stays.join('#exit');
    const goes = track(await IrcClient.connect(server.tcpPort, 'goer'));
    await goes.join('#exit');
    await stays.waitFor('join', { nick: 'goer' });
    goes.quit();
    await goes.line(/^ERROR :Closing link/);
    await goes.waitFor('close');
    expect(await stays.waitFor('quit', { nick: 'goer' })).toMatchObject({ message: 'Quit' });
  });
});

describe('IRC room moderation: TOPIC, KICK, MODE and NICK through the core', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ serverName: 'irc.test' });
  });
  afterAll(() => server.close());

  it('lets the first member (the room operator) set the topic and kick; others get 482', async () => {
    const op = await IrcClient.connect(server.tcpPort, 'opal');
    await op.join('#ops');
    const member = await IrcClient.connect(server.tcpPort, 'mem');
    await member.join('#ops');
    op.client.raw('TOPIC', '#ops', 'rules: be kind');
    expect(await member.waitFor('topic', { channel: '#ops' })).toMatchObject({ topic: 'rules: be kind', nick: 'opal' });
    member.client.raw('TOPIC', '#ops');
    await member.line(/ 332 mem #ops :rules: be kind$/);
    // A later joiner gets the topic as 332 right after its JOIN.
    const late = await IrcClient.connect(server.tcpPort, 'latecomer');
    late.client.join('#ops');
    await late.line(/ 332 latecomer #ops :rules: be kind$/);
    expect(late.raw.items.findIndex((l) => / 332 /.test(l))).toBeGreaterThan(late.raw.items.findIndex((l) => / JOIN /.test(l)));
    late.close();
    member.client.raw('KICK', '#ops', 'opal', 'coup');
    await member.line(/ 482 mem #ops :/);
    op.client.raw('MODE', '#ops', '+o', 'mem');
    expect(await member.waitFor('mode', { target: '#ops' })).toMatchObject({ nick: 'opal' });
    op.client.raw('KICK', '#ops', 'mem', 'bye now');
    expect(await member.waitFor('kick', { channel: '#ops' })).toMatchObject({ kicked: 'mem', nick: 'opal', message: 'bye now' });
    op.close();
    member.close();
  });

  it('renames with NICK: the others see NICK, a JSON user sees presence rename', async () => {
    const irc = await IrcClient.connect(server.tcpPort, 'oldname');
    await irc.join('#names');
    const json = await TcpJsonClient.connect(server.tcpPort);
    await json.hello('watcher');
    await json.join('names');
    const other = await IrcClient.connect(server.tcpPort, 'otherirc');
    await other.join('#names');
    irc.client.changeNick('newname');
    expect(await other.waitFor('nick', { nick: 'oldname' })).toMatchObject({ new_nick: 'newname' });
    expect(await json.waitFor({ type: 'presence', event: 'rename' })).toMatchObject({ nick: 'newname', old: 'oldname' });
    await irc.line(/^:oldname!oldname@loopchat NICK :?newname$/);
    irc.client.say('#names', 'still me');
    await json.waitFor({ type: 'msg', from: 'newname', text: 'still me' });
    for (const c of [irc, json, other]) c.close();
  });
});

describe('IRC dialect detection and framing', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ serverName: 'irc.test' });
  });
  afterAll(() => server.close());

  it('takes an IRC registration command, with LF or CR LF, as IRC', async () => {
    for (const [first, end] of [
      ['NICK lf-user', '\n'],
      ['CAP LS 302', '\r\n'],
      ['PASS x', '\r\n'],
    ] as const) {
      const client = await TcpTextClient.connect(server.tcpPort);
      const nick = `u${Math.random().toString(36).slice(2, 8)}`;
      client.socket.write(`${first}${end}NICK ${nick}${end}USER u 0 * :U${end}CAP END${end}`);
      await client.waitFor(new RegExp(`^:irc\\.test 001 ${nick} `));
      client.close();
    }
  });

  it('keeps `/nick` and JSON on their dialects', async () => {
    const text = await TcpTextClient.connect(server.tcpPort);
    text.line('/nick texty');
    await text.waitFor('* welcome, texty');
    text.close();
    // A person's "nick …" in lower case is a chat line in text mode, not an IRC session.
    const person = await TcpTextClient.connect(server.tcpPort);
    person.line('nick here, how do I start?');
    await person.waitFor(/choose a nick first|\/nick/i);
    person.close();
    const json = await TcpJsonClient.connect(server.tcpPort);
    await json.hello('jsony');
    json.close();
  });

  it('answers a line over 512 bytes with 417 and stays open; closes one over the framing limit', async () => {
    const client = await TcpTextClient.connect(server.tcpPort);
    client.socket.write('NICK longline\r\nUSER l 0 * :L\r\n');
    await client.waitFor(/ 001 longline /);
    client.socket.write(`PRIVMSG #x :${'y'.repeat(600)}\r\nPING :still-here\r\n`);
    await client.waitFor(/ 417 longline :Input line was too long/);
    await client.waitFor(/PONG \S+ still-here/);
    // IRCv3 message-tags: up to 8,191 bytes of tags before the line, past the 8,192 default.
    client.socket.write(`@+example.com/pad=${'t'.repeat(8000)} PING :${'p'.repeat(400)}\r\n`);
    await client.waitFor(/PONG \S+ p{400}\r?$/);
    client.socket.write(`PRIVMSG #x :${'z'.repeat(9000)}\r\n`);
    await client.waitFor(/^ERROR :Closing link/);
    await client.closed();
  });
});

describe('IRC dialect: limits and heartbeat', () => {
  it('rate-limits IRC lines like frames and says so in a NOTICE', async () => {
    const server = await startTestServer({ ratePerSecond: 1, rateBurst: 5 });
    try {
      const irc = await IrcClient.connect(server.tcpPort, 'flooder');
      for (let i = 0; i < 10; i++) irc.client.raw('PRIVMSG', 'nobody', `m${i}`);
      await irc.line(/NOTICE flooder :rate_limited: /);
      irc.close();
    } finally {
      await server.close();
    }
  });

  it('applies moderation: a rejected message is a 404 with the reason, a masked one a NOTICE', async () => {
    const server = await startTestServer({ filter: 'basic', ratePerSecond: 0 });
    try {
      const irc = await IrcClient.connect(server.tcpPort, 'rude');
      await irc.join('#mod');
      irc.client.say('#mod', 'just kys already');
      await irc.line(/ 404 rude #mod :message rejected by moderation/);
      irc.client.say('#mod', 'hello idiot');
      await irc.line(/NOTICE rude :moderation masked a listed word/);
      irc.close();
    } finally {
      await server.close();
    }
  });

  it('PINGs a quiet IRC client, and keeps it while it answers', async () => {
    const server = await startTestServer({ heartbeatMs: 150, idleTimeoutMs: 500 });
    try {
      const irc = await IrcClient.connect(server.tcpPort, 'sleepy', { pingInterval: 3600 });
      await sleep(1200);
      expect(irc.raw.items.filter((l) => l.startsWith('PING ')).length).toBeGreaterThanOrEqual(2);
      expect(irc.events.items.some((e) => e.name === 'close')).toBe(false);
      irc.close();
    } finally {
      await server.close();
    }
  });
});
