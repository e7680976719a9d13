/**
 * The admin HTTP API (issue 6) on one process, with real TCP (JSON and text mode) and
 * WebSocket clients: bearer auth, the connection list, kick, room close and notices; then
 * the compiled CLI with `--workers 2`, where a request taken by one worker acts on a client
 * of the other (a keep-alive connection pins the requests to one worker).
 */
import { spawnSync } from 'node:child_process';
import { Agent } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/cli.js';
import { resolveConfig } from '../src/config.js';
import { startServer, type LoopchatServer } from '../src/server.js';
import { adminCall } from './helpers/admin.js';
import { TcpJsonClient, TcpTextClient, WsClient, waitUntil } from './helpers/clients.js';
import {
  MAIN,
  connectOn,
  killTree,
  startCluster,
  tcpConnector,
  wsConnector,
  type RunningCluster,
} from './helpers/cluster.js';
import { startTestServer } from './helpers/server.js';

const TOKEN = 'admin-token-for-tests-0123456789';

describe('admin API without ADMIN_TOKEN', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('does not exist: every admin route is 404, with or without a token', async () => {
    expect((await adminCall(server.httpPort, 'GET', '/admin/connections')).status).toBe(404);
    expect((await adminCall(server.httpPort, 'GET', '/admin/connections', { token: TOKEN })).status).toBe(404);
    const kick = await adminCall(server.httpPort, 'POST', '/admin/kick', { token: TOKEN, body: { nick: 'x' } });
    expect(kick.status).toBe(404);
  });
});

describe('ADMIN_TOKEN configuration', () => {
  it('comes from the environment only: there is no flag that would show it in ps', () => {
    expect(parseCommandLine([], { ADMIN_TOKEN: TOKEN }).adminToken).toBe(TOKEN);
    const cli = spawnSync(process.execPath, [MAIN, '--admin-token', TOKEN], { encoding: 'utf8', timeout: 10_000 });
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toContain("unknown option '--admin-token'");
  });

  it('must be at least 16 bytes', () => {
    expect(() => parseCommandLine([], { ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
  });
});

describe('admin API with ADMIN_TOKEN', () => {
  let server: LoopchatServer;
  let port: number;
  let logged = '';
  const open: { close(): void }[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    // Memory history: this file is about the admin API, and ./data (the default store) may be another test's.
    const config = resolveConfig({
      tcpPort: 0,
      httpPort: 0,
      filter: 'off',
      shutdownTimeoutMs: 1000,
      adminToken: TOKEN,
      history: 'memory',
    });
    server = await startServer(config, pino({ level: 'info' }, sink));
    port = server.httpPort;
  });
  afterEach(async () => {
    for (const client of open.splice(0)) client.close();
    // Nicks are reused from test to test: wait until the server has let go of them.
    await waitUntil(() => server.ctx.sessions.size === 0, 3000, 'clients of the last test to close');
  });
  afterAll(() => server.close());

  const tcpClient = async (nick: string): Promise<TcpJsonClient> => {
    const client = await TcpJsonClient.connect(server.tcpPort);
    open.push(client);
    await client.hello(nick);
    return client;
  };
  const wsClient = async (nick: string): Promise<WsClient> => {
    const client = await WsClient.connect(port);
    open.push(client);
    await client.hello(nick);
    return client;
  };
  const textClient = async (nick: string): Promise<TcpTextClient> => {
    const client = await TcpTextClient.connect(server.tcpPort);
    open.push(client);
    client.line(`/nick ${nick}`);
    await client.waitFor(`welcome, ${nick}`);
    return client;
  };

  describe('authentication', () => {
    it('answers 401 with WWW-Authenticate: Bearer when the token is missing', async () => {
      const res = await adminCall(port, 'GET', '/admin/connections');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json['error']).toBe('unauthorized');
    });

    it('answers 401 to a wrong token, a prefix of the token, and a non-Bearer scheme', async () => {
      for (const token of ['wrong-token-of-some-length', TOKEN.slice(0, -1), `${TOKEN}x`]) {
        const res = await adminCall(port, 'POST', '/admin/notice', { token, body: { text: 'hi' } });
        expect(res.status, token).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      const basic = await adminCallWithHeader(port, `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`);
      expect(basic).toBe(401);
    });

    it('answers 200 with the right token', async () => {
      expect((await adminCall(port, 'GET', '/admin/connections', { token: TOKEN })).status).toBe(200);
    });

    it('never writes the token to the log', () => {
      expect(logged).not.toContain(TOKEN);
    });
  });

  describe('GET /admin/connections', () => {
    it('lists each connection with nick, transport, address, rooms, connect time and queued bytes', async () => {
      const before = Date.now();
      const alice = await tcpClient('alice');
      await alice.join('general');
      await wsClient('bob');
      const res = await adminCall(port, 'GET', '/admin/connections', { token: TOKEN });
      expect(res.status).toBe(200);
      expect(res.json['total']).toBe(2);
      const list = res.json['connections'] as Record<string, unknown>[];
      const a = list.find((c) => c['nick'] === 'alice')!;
      const b = list.find((c) => c['nick'] === 'bob')!;
      expect(a).toMatchObject({ transport: 'tcp', mode: 'json', remoteAddress: '127.0.0.1', rooms: ['general'] });
      expect(b).toMatchObject({ transport: 'ws', mode: 'json', rooms: [] });
      expect(typeof a['outboundBytesQueued']).toBe('number');
      expect(Date.parse(a['connectedSince'] as string)).toBeGreaterThanOrEqual(before - 1000);
      expect(a['id']).not.toBe(b['id']);
    });

    it('returns at most ?limit= connections but counts them all, and refuses a limit out of bounds', async () => {
      await tcpClient('carol');
      await tcpClient('dave');
      const res = await adminCall(port, 'GET', '/admin/connections?limit=1', { token: TOKEN });
      expect(res.json['total']).toBe(2);
      expect(res.json['connections']).toHaveLength(1);
      expect((await adminCall(port, 'GET', '/admin/connections?limit=0', { token: TOKEN })).status).toBe(400);
      expect((await adminCall(port, 'GET', '/admin/connections?limit=100001', { token: TOKEN })).status).toBe(400);
    });
  });

  describe('POST /admin/kick', () => {
    it('closes a TCP client with error kicked carrying the reason, and frees its nick', async () => {
      const alice = await tcpClient('alice');
      await alice.join('general');
      const res = await adminCall(port, 'POST', '/admin/kick', { token: TOKEN, body: { nick: 'ALICE', reason: 'spam' } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ nick: 'ALICE', kicked: 1 });
      const error = await alice.waitFor({ type: 'error', code: 'kicked' });
      expect((error as { message: string }).message).toContain('spam');
      await alice.closed();
      await tcpClient('alice'); // the nick is free again at once
    });

    it('closes a WebSocket client with close code 1008 (policy) after the kicked error', async () => {
      const bob = await wsClient('bob');
      expect((await adminCall(port, 'POST', '/admin/kick', { token: TOKEN, body: { nick: 'bob' } })).status).toBe(200);
      await bob.waitFor({ type: 'error', code: 'kicked' });
      expect(await bob.closed()).toBe(1008);
    });

    it('answers 404 for a nick nobody holds, and 400 for a malformed nick', async () => {
      const res = await adminCall(port, 'POST', '/admin/kick', { token: TOKEN, body: { nick: 'nobody' } });
      expect(res.status).toBe(404);
      expect(res.json['error']).toBe('no_such_nick');
      expect((await adminCall(port, 'POST', '/admin/kick', { token: TOKEN, body: { nick: '1bad' } })).status).toBe(400);
    });

    it('logs the action at info, without the token', async () => {
      await tcpClient('erin');
      await adminCall(port, 'POST', '/admin/kick', { token: TOKEN, body: { nick: 'erin', reason: 'test' } });
      const entry = logged
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((e) => e['action'] === 'kick' && e['nick'] === 'erin');
      expect(entry).toMatchObject({ level: 30, kicked: 1, reason: 'test' });
      expect(logged).not.toContain(TOKEN);
    });
  });

  describe('POST /admin/rooms/:room/close', () => {
    it('sends each member a notice and its own leave, takes them out, and leaves other rooms alone', async () => {
      const alice = await tcpClient('alice');
      const bob = await wsClient('bob');
      const carol = await textClient('carol');
      const dave = await tcpClient('dave');
      await alice.join('doomed');
      await bob.join('doomed');
      carol.line('/join doomed');
      await carol.waitFor('* doomed (');
      await dave.join('elsewhere');
      const res = await adminCall(port, 'POST', '/admin/rooms/Doomed/close', {
        token: TOKEN,
        body: { reason: 'off topic' },
      });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ room: 'doomed', removed: 3 });

      for (const [client, nick] of [
        [alice, 'alice'],
        [bob, 'bob'],
      ] as const) {
        const notice = await client.waitFor({ type: 'notice', room: 'doomed' });
        expect((notice as { text: string }).text).toContain('off topic');
        await client.waitFor({ type: 'presence', room: 'doomed', nick, event: 'leave' });
      }
      await carol.waitFor(/^\* \[doomed\] notice: .*off topic/);
      await carol.waitFor('* carol left doomed');
      // Members heard no leaves of each other on the way out.
      expect(alice.all({ type: 'presence', nick: 'bob', event: 'leave' })).toEqual([]);

      alice.send({ type: 'msg', room: 'doomed', text: 'still here?', id: 'm1' });
      await alice.waitFor({ type: 'error', code: 'not_in_room', id: 'm1' });
      const stats = await adminCall(port, 'GET', '/admin/connections', { token: TOKEN });
      const list = stats.json['connections'] as { nick: string; rooms: string[] }[];
      expect(list.find((c) => c.nick === 'dave')!.rooms).toEqual(['elsewhere']);
      expect(list.every((c) => !c.rooms.includes('doomed'))).toBe(true);
      await dave.sync();
      expect(dave.all({ type: 'notice' })).toEqual([]);
    });

    it('keeps the room history and seq: members who join again can read what was said before', async () => {
      const alice = await tcpClient('alice');
      await alice.join('kept');
      alice.send({ type: 'msg', room: 'kept', text: 'before the close', id: 'm1' });
      await alice.waitFor({ type: 'ack', id: 'm1', seq: 1 });
      expect((await adminCall(port, 'POST', '/admin/rooms/kept/close', { token: TOKEN })).status).toBe(200);
      await alice.waitFor({ type: 'presence', room: 'kept', event: 'leave' });
      await alice.join('kept');
      alice.send({ type: 'history', room: 'kept', id: 'h1' });
      const history = (await alice.waitFor({ type: 'history', id: 'h1' })) as { messages: { text: string; seq: number }[] };
      expect(history.messages.map((m) => m.text)).toEqual(['before the close']);
      alice.send({ type: 'msg', room: 'kept', text: 'after', id: 'm2' });
      await alice.waitFor({ type: 'ack', id: 'm2', seq: 2 });
    });

    it('answers 404 for a room with no members', async () => {
      const res = await adminCall(port, 'POST', '/admin/rooms/empty-room/close', { token: TOKEN, body: {} });
      expect(res.status).toBe(404);
      expect(res.json['error']).toBe('no_such_room');
    });
  });

  describe('POST /admin/notice', () => {
    it('reaches every registered client, JSON, WebSocket and text mode alike', async () => {
      const alice = await tcpClient('alice');
      const bob = await wsClient('bob');
      const carol = await textClient('carol');
      const res = await adminCall(port, 'POST', '/admin/notice', { token: TOKEN, body: { text: 'restart at 5pm' } });
      expect(res.status).toBe(200);
      expect(res.json['delivered']).toBe(3);
      const notice = await alice.waitFor({ type: 'notice', text: 'restart at 5pm' });
      expect(notice).not.toHaveProperty('room');
      expect(typeof (notice as { ts: number }).ts).toBe('number');
      await bob.waitFor({ type: 'notice', text: 'restart at 5pm' });
      await carol.waitFor('* notice: restart at 5pm');
    });

    it('with a room, reaches only its members; a room nobody is in is 404', async () => {
      const alice = await tcpClient('alice');
      const bob = await tcpClient('bob');
      await alice.join('news');
      const res = await adminCall(port, 'POST', '/admin/notice', {
        token: TOKEN,
        body: { text: 'hello news', room: 'NEWS' },
      });
      expect(res.json).toMatchObject({ delivered: 1, room: 'news' });
      await alice.waitFor({ type: 'notice', room: 'news', text: 'hello news' });
      await bob.sync();
      expect(bob.all({ type: 'notice' })).toEqual([]);
      const none = await adminCall(port, 'POST', '/admin/notice', {
        token: TOKEN,
        body: { text: 'x', room: 'nobody-here' },
      });
      expect(none.status).toBe(404);
    });

    it('strips control characters from the text shown to terminals', async () => {
      const carol = await textClient('carol');
      await adminCall(port, 'POST', '/admin/notice', { token: TOKEN, body: { text: 'bell\u0007 and \u001b[31mred' } });
      const line = await carol.waitFor('* notice: bell');
      expect(line).not.toMatch(/[\u0000-\u001f]/);
    });

    it('refuses an empty text or one over the message length limit (400)', async () => {
      expect((await adminCall(port, 'POST', '/admin/notice', { token: TOKEN, body: { text: '' } })).status).toBe(400);
      const long = 'x'.repeat(server.ctx.config.maxTextLength + 1);
      expect((await adminCall(port, 'POST', '/admin/notice', { token: TOKEN, body: { text: long } })).status).toBe(400);
    });
  });

  it('forgets kicked and closed connections: the list shows only open ones', async () => {
    const res = await adminCall(port, 'GET', '/admin/connections', { token: TOKEN });
    expect(res.json).toMatchObject({ total: 0, connections: [] });
  });
});

describe('admin API in cluster mode (2 workers)', () => {
  let cluster: RunningCluster;
  const open: { close(): void }[] = [];
  // One pooled socket: every call below lands on the same worker.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let here: number;
  const call = (method: string, path: string, body?: unknown) =>
    adminCall(cluster.httpPort, method, path, { token: TOKEN, agent, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    // The primary hands its environment to the workers, as ADMIN_TOKEN is meant to travel.
    process.env['ADMIN_TOKEN'] = TOKEN;
    try {
      cluster = await startCluster(2, ['--filter', 'off', '--rate', '0']);
    } finally {
      delete process.env['ADMIN_TOKEN'];
    }
    // Which worker the pinned connection reaches: the one whose own stats answer.
    const stats = await adminCall(cluster.httpPort, 'GET', '/stats?scope=worker', { agent });
    here = Number(/\/w(\d+)$/.exec(stats.json['server'] as string)![1]);
  });
  afterAll(async () => {
    for (const client of open.splice(0)) client.close();
    agent.destroy();
    await killTree(cluster);
  });

  it('lists the connections of both workers in one answer', async () => {
    const near = await connectOn(tcpConnector(cluster.tcpPort), 'near', (slot) => slot === here);
    const far = await connectOn(wsConnector(cluster.httpPort), 'far', (slot) => slot !== here);
    open.push(near.client, far.client);
    const res = await call('GET', '/admin/connections');
    expect(res.status).toBe(200);
    const list = res.json['connections'] as { nick: string; server: string; transport: string }[];
    expect(list.find((c) => c.nick === near.nick)).toMatchObject({
      transport: 'tcp',
      server: expect.stringMatching(`/w${here}$`),
    });
    expect(list.find((c) => c.nick === far.nick)).toMatchObject({
      transport: 'ws',
      server: expect.stringMatching(`/w${far.slot}$`),
    });
    expect(res.json['total']).toBe(list.length);
  });

  it('kicks a client of the other worker', async () => {
    const far = await connectOn(tcpConnector(cluster.tcpPort), 'farkick', (slot) => slot !== here);
    open.push(far.client);
    const res = await call('POST', '/admin/kick', { nick: far.nick, reason: 'cross-worker' });
    expect(res.status).toBe(200);
    expect(res.json['kicked']).toBe(1);
    await far.client.waitFor({ type: 'error', code: 'kicked' });
    await far.client.closed();
    expect((await call('POST', '/admin/kick', { nick: far.nick })).status).toBe(404);
    // The request really was taken by the other worker than the client's: its log line says so.
    const logged = cluster.logs().find((e) => e['action'] === 'kick' && e['nick'] === far.nick && e['kicked'] === 1);
    expect(logged?.['worker']).toBe(here);
    expect(far.slot).not.toBe(here);
  });

  it('closes a room whose members are on both workers, and sends notices to both', async () => {
    const a = await connectOn(tcpConnector(cluster.tcpPort), 'roomnear', (slot) => slot === here);
    const b = await connectOn(tcpConnector(cluster.tcpPort), 'roomfar', (slot) => slot !== here);
    open.push(a.client, b.client);
    await a.client.join('split');
    await b.client.join('split');
    const notice = await call('POST', '/admin/notice', { text: 'to the split room', room: 'split' });
    expect(notice.json['delivered']).toBe(2);
    await b.client.waitFor({ type: 'notice', room: 'split', text: 'to the split room' });
    const res = await call('POST', '/admin/rooms/split/close', { reason: 'done' });
    expect(res.json).toMatchObject({ room: 'split', removed: 2 });
    for (const placed of [a, b]) {
      await placed.client.waitFor({ type: 'presence', room: 'split', nick: placed.nick, event: 'leave' });
    }
    b.client.send({ type: 'who', room: 'split', id: 'w' });
    expect(await b.client.waitFor({ type: 'members', id: 'w' })).toMatchObject({ nicks: [] });
  });

  it('logs each action at info in the worker that took the request, never the token', () => {
    const actions = cluster.logs().filter((e) => typeof e['action'] === 'string');
    expect(actions.map((e) => e['action'])).toEqual(expect.arrayContaining(['connections', 'kick', 'notice', 'close']));
    expect(actions.every((e) => e.level === 30)).toBe(true);
    expect(cluster.stdout() + cluster.stderr()).not.toContain(TOKEN);
  });
});

/** A GET with a raw Authorization header (for schemes other than Bearer). */
async function adminCallWithHeader(port: number, authorization: string): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/admin/connections', agent: false, headers: { authorization, connection: 'close' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
