/**
 * The HTTP side (DESIGN.md, "Observability"): health and readiness, Prometheus metrics
 * whose values follow the traffic, /stats that matches reality, the chat page, and the
 * WebSocket endpoint only at /ws.
 */
import { connect } from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, TcpTextClient, WsClient, httpGet, sleep, waitUntil, wsUpgradeStatus } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

let server: LoopchatServer;
const open: { close(): void }[] = [];

beforeAll(async () => {
  server = await startTestServer({ ratePerSecond: 0 });
});

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  await waitUntil(() => server.ctx.sessions.size === 0, 2000, 'every session to close');
});

afterAll(async () => {
  await server.close();
});

/** Prometheus text format → `name{labels}` → value. */
async function scrape(port = server.httpPort): Promise<Map<string, number>> {
  const res = await httpGet(port, '/metrics');
  expect(res.status).toBe(200);
  expect(String(res.headers['content-type'])).toMatch(/^text\/plain/);
  const values = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

interface StatsJson {
  connections: { total: number; tcp: number; ws: number };
  nicks: number;
  rooms: { total: number; active: number; memberships: number; largest: { room: string; members: number; seq: number }[] };
  traffic: { deliveries: number; framesIn: { tcp: number; ws: number }; disconnects: Record<string, number> };
  process: { rssBytes: number; eventLoopDelayMs: { p50: number; p99: number; max: number } };
}

async function stats(): Promise<StatsJson> {
  const res = await httpGet(server.httpPort, '/stats');
  expect(res.status).toBe(200);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  return JSON.parse(res.body) as StatsJson;
}

describe('health and readiness', () => {
  it('answers GET /healthz with 200', async () => {
    const res = await httpGet(server.httpPort, '/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('answers GET /readyz with 200 while serving', async () => {
    const res = await httpGet(server.httpPort, '/readyz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ ready: true });
  });

  it('answers GET /readyz with 503 once a graceful shutdown has begun', async () => {
    const doomed = await startTestServer({ shutdownTimeoutMs: 3000 });
    // A client that does not close its side keeps the server in its drain window.
    const lingering = await TcpJsonClient.connect(doomed.tcpPort, '127.0.0.1', { allowHalfOpen: true });
    await lingering.hello('lingering');
    // A request already on the wire when the listener closes is still answered.
    const raw = connect(doomed.httpPort, '127.0.0.1');
    await once(raw, 'connect');
    raw.write('GET /readyz HTTP/1.1\r\nHost: loopchat\r\n');
    // Let the server read the head: a connection with a request under way is not idle, so close() keeps it.
    await sleep(50);
    const closed = doomed.close();
    let response = '';
    raw.setEncoding('utf8');
    raw.on('data', (chunk: string) => (response += chunk));
    raw.on('error', () => {});
    raw.write('Connection: close\r\n\r\n');
    await lingering.waitFor({ type: 'error', code: 'shutdown' });
    await waitUntil(() => response.includes('\r\n\r\n'), 2000, 'the readyz response');
    expect(response).toMatch(/^HTTP\/1\.1 503 /);
    lingering.close();
    raw.destroy();
    await closed;
  });
});

describe('/metrics', () => {
  it('exposes connections, frames, deliveries, slow-consumer disconnects and event-loop delay', async () => {
    const metrics = await scrape();
    for (const name of [
      'loopchat_connections{transport="tcp"}',
      'loopchat_connections{transport="ws"}',
      'loopchat_frames_in_total{transport="tcp"}',
      'loopchat_frames_in_total{transport="ws"}',
      'loopchat_deliveries_total',
      'loopchat_slow_consumer_disconnects_total',
      'loopchat_event_loop_delay_seconds{quantile="0.99"}',
      'loopchat_rooms',
    ]) {
      expect(metrics.has(name), name).toBe(true);
      expect(Number.isFinite(metrics.get(name)), name).toBe(true);
    }
    expect(metrics.get('loopchat_event_loop_delay_seconds{quantile="0.99"}')).toBeGreaterThanOrEqual(0);
  });

  it('moves with traffic: connections by transport, frames in, deliveries', async () => {
    const before = await scrape();
    const alice = await TcpJsonClient.connect(server.tcpPort);
    const bob = await TcpJsonClient.connect(server.tcpPort);
    const carol = await WsClient.connect(server.httpPort);
    open.push(alice, bob, carol);
    await Promise.all([alice.hello('alice'), bob.hello('bob'), carol.hello('carol')]);
    await Promise.all([alice.join('metrics'), bob.join('metrics'), carol.join('metrics')]);
    for (let i = 0; i < 10; i++) alice.send({ type: 'msg', room: 'metrics', text: `m${i}`, id: i });
    await alice.waitFor({ type: 'ack', id: 9 });
    alice.send({ type: 'dm', to: 'carol', text: 'psst', id: 'dm' });
    await carol.waitFor({ type: 'dm', text: 'psst' });
    await bob.waitFor({ type: 'msg', text: 'm9' });

    const after = await scrape();
    const delta = (name: string): number => (after.get(name) ?? NaN) - (before.get(name) ?? 0);
    expect(after.get('loopchat_connections{transport="tcp"}')).toBe(2);
    expect(after.get('loopchat_connections{transport="ws"}')).toBe(1);
    // 10 room messages × 2 other members + 1 dm.
    expect(delta('loopchat_deliveries_total')).toBe(21);
    // tcp: 2 hello + 2 join + 10 msg + 1 dm; ws: hello + join.
    expect(delta('loopchat_frames_in_total{transport="tcp"}')).toBe(15);
    expect(delta('loopchat_frames_in_total{transport="ws"}')).toBe(2);
    expect(delta('loopchat_connections_opened_total{transport="tcp"}')).toBe(2);

    for (const c of [alice, bob, carol]) c.close();
    await waitUntil(() => server.ctx.sessions.size === 0, 2000, 'every session to close');
    const closed = await scrape();
    expect(closed.get('loopchat_connections{transport="tcp"}')).toBe(0);
    expect(closed.get('loopchat_connections{transport="ws"}')).toBe(0);
  });
});

describe('/stats', () => {
  it('reports connection, nick, room and membership counts that match reality', async () => {
    const a = await TcpJsonClient.connect(server.tcpPort);
    const b = await WsClient.connect(server.httpPort);
    const c = await TcpTextClient.connect(server.tcpPort);
    const anon = await TcpJsonClient.connect(server.tcpPort);
    open.push(a, b, c, anon);
    await a.hello('sa');
    await b.hello('sb');
    c.line('/nick sc');
    await c.waitFor('* welcome, sc');
    await a.join('stats-one');
    await a.join('stats-two');
    await b.join('stats-one');
    c.line('/join stats-one');
    await c.waitFor('* stats-one (3)');
    a.send({ type: 'msg', room: 'stats-one', text: 'x', id: 'x' });
    await a.waitFor({ type: 'ack', id: 'x' });
    await waitUntil(() => server.ctx.sessions.size === 4, 2000, 'four sessions');

    const s = await stats();
    expect(s.connections).toMatchObject({ total: 4, tcp: 3, ws: 1 });
    expect(s.nicks).toBe(3);
    expect(s.rooms.active).toBe(2);
    expect(s.rooms.memberships).toBe(4);
    expect(s.rooms.largest).toContainEqual({ room: 'stats-one', members: 3, seq: 1 });
    expect(s.rooms.largest).toContainEqual({ room: 'stats-two', members: 1, seq: 0 });
    expect(s.process.rssBytes).toBeGreaterThan(0);

    b.close();
    await waitUntil(() => server.ctx.sessions.size === 3, 2000, 'b to disconnect');
    const after = await stats();
    expect(after.connections).toMatchObject({ total: 3, tcp: 3, ws: 0 });
    expect(after.rooms.largest).toContainEqual({ room: 'stats-one', members: 2, seq: 1 });
  });
});

describe('pages and paths', () => {
  it('serves the chat page as HTML at GET /', async () => {
    const res = await httpGet(server.httpPort, '/');
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
    expect(res.body.toLowerCase()).toContain('<html');
  });

  it('answers an unknown path with 404', async () => {
    expect((await httpGet(server.httpPort, '/nope')).status).toBe(404);
  });

  it('refuses a WebSocket upgrade on any path but /ws with 404, and accepts /ws with a query string', async () => {
    expect(await wsUpgradeStatus(server.httpPort, '/chat')).toBe(404);
    expect(await wsUpgradeStatus(server.httpPort, '/ws/extra')).toBe(404);
    expect(await wsUpgradeStatus(server.httpPort, '/ws?token=abc')).toBe(101);
    await waitUntil(() => server.ctx.sessions.size === 0, 2000, 'the probe socket to close');
    expect(server.ctx.limiter.total).toBe(0);
  });
});
