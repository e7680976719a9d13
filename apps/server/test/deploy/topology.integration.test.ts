/**
 * The docker-compose topology, run natively (issue 5, "Prove it works without a Docker
 * engine"): a private redis-server on a free port, two loopchat instances (the compiled CLI,
 * `--workers 2` each, REDIS_URL, `--trusted-proxies 127.0.0.1`, told apart by
 * `--server-name`), and HAProxy running infra/haproxy.cfg itself with only its address and
 * port variables set. Every client connects through HAProxy, from a loopback address of its
 * own (127.0.0.0/8 is all ours), so the servers' view of "the client's address" is testable:
 *
 *   127.0.0.x ──▶ haproxy (tcp: PROXY v2, http: X-Forwarded-For) ──▶ alpha (2 workers) ─┐
 *                                                                 └──▶ beta  (2 workers) ─┴─▶ redis
 *
 * Then one instance is stopped with SIGTERM, as a rolling restart would: its clients are
 * told `shutdown`, reconnect through HAProxy to the other instance, and recover what they
 * missed with `history {since}`: no acknowledged message is lost.
 */
import type { ServerFrame } from '@loopchat/protocol';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpJsonClient, WsClient, sleep } from '../helpers/clients.js';
import { killTree, pollUntil, startCluster, type RunningCluster } from '../helpers/cluster.js';
import { skipWithout, startHaproxy, type RunningHaproxy } from '../helpers/haproxy.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const SKIP = skipWithout(['haproxy', 'redis-server'], 'apt-get install haproxy redis-server');

/** Per-IP limit on each of the PROCESSES server processes (2 instances × 2 workers). */
const PER_IP = 3;
const PROCESSES = 4;
const ARGS = [
  '--filter',
  'off',
  '--rate',
  '0',
  '--trusted-proxies',
  '127.0.0.1',
  // Loopback is exempt from per-IP limits by default; here loopback addresses are the clients.
  '--limit-loopback',
  '--max-connections-per-ip',
  String(PER_IP),
  '--shutdown-timeout-ms',
  '2000',
];
const ROOM = 'deploy';

type Client = TcpJsonClient | WsClient;
type Msg = Extract<ServerFrame, { type: 'msg' }>;
type Ack = Extract<ServerFrame, { type: 'ack' }>;
type History = Extract<ServerFrame, { type: 'history' }>;

interface Placed<C extends Client> {
  client: C;
  nick: string;
  /** welcome.server: "alpha/w0" … */
  server: string;
}

const instanceOf = (server: string): string => server.split('/')[0]!;

describe.skipIf(SKIP)('the compose topology, natively: HAProxy → 2 loopchat instances × 2 workers → Redis', () => {
  let redis: TestRedis;
  const instances = new Map<string, RunningCluster>();
  let lb: RunningHaproxy;
  const open: Client[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    // The CLI reads REDIS_URL from its environment only; startCluster passes ours on.
    const saved = process.env['REDIS_URL'];
    process.env['REDIS_URL'] = redis.url;
    try {
      const [alpha, beta] = await Promise.all([
        startCluster(2, [...ARGS, '--server-name', 'alpha']),
        startCluster(2, [...ARGS, '--server-name', 'beta']),
      ]);
      instances.set('alpha', alpha).set('beta', beta);
    } finally {
      if (saved === undefined) delete process.env['REDIS_URL'];
      else process.env['REDIS_URL'] = saved;
    }
    const [alpha, beta] = [instances.get('alpha')!, instances.get('beta')!];
    // loopchat-1 = alpha, loopchat-2 = beta in haproxy.cfg's terms.
    lb = await startHaproxy([alpha, beta]);
  });

  afterAll(async () => {
    for (const client of open) client.close();
    await lb?.stop();
    await Promise.all([...instances.values()].map((cluster) => killTree(cluster)));
    await redis?.stop();
  });

  const tcpFrom = (address: string) => (): Promise<TcpJsonClient> =>
    TcpJsonClient.connect(lb.tcpPort, '127.0.0.1', { localAddress: address });
  const wsFrom = (address: string) => (): Promise<WsClient> => WsClient.connect(lb.httpPort, { localAddress: address });

  /** hello's answer: 'welcome:<server>', an error code, or 'closed'. */
  async function greet(client: Client, nick: string): Promise<string> {
    client.send({ type: 'hello', nick, id: `hello-${nick}` });
    const closed = (client instanceof WsClient ? client.closed() : client.closed()).then(() => 'closed');
    const answered = client
      .waitForAny([{ type: 'welcome' }, { type: 'error' }], 5000)
      .then((f) => (f.type === 'welcome' ? `welcome:${(f as { server: string }).server}` : (f as { code: string }).code));
    return Promise.race([answered, closed]).catch(() => 'timeout');
  }

  /**
   * Connects through HAProxy until the welcome names a wanted instance. Unwanted
   * placements stay open until then, so HAProxy's leastconn sends the next one elsewhere.
   */
  async function place<C extends Client>(
    connect: () => Promise<C>,
    base: string,
    want: (server: string) => boolean,
  ): Promise<Placed<C>> {
    const parked: Client[] = [];
    try {
      for (let attempt = 0; attempt < 15; attempt++) {
        let client: C;
        try {
          client = await connect();
        } catch {
          await sleep(100); // refused or upgrade rejected (an instance draining): try again
          continue;
        }
        const nick = attempt === 0 ? base : `${base}${attempt}`;
        const answer = await greet(client, nick);
        if (answer.startsWith('welcome:')) {
          const server = answer.slice('welcome:'.length);
          if (want(server)) {
            open.push(client);
            return { client, nick, server };
          }
          parked.push(client);
        } else {
          client.close();
          await sleep(100);
        }
      }
      throw new Error(`could not place ${base} on a wanted instance`);
    } finally {
      for (const client of parked) client.close();
    }
  }

  function seqsOf(client: Client, kind: 'msg' | 'ack' = 'msg'): number[] {
    if (kind === 'ack')
      return (client.all({ type: 'ack' }) as Ack[]).flatMap((a) =>
        a.seq === undefined || !String(a.id).startsWith('say-') ? [] : [a.seq],
      );
    return (client.all({ type: 'msg', room: ROOM }) as Msg[]).map((m) => m.seq);
  }

  let tina: Placed<TcpJsonClient>;
  let walt: Placed<WsClient>;
  let wendy: Placed<WsClient>;
  let home: string;
  let other: string;
  let said = 0;

  async function say(who: Placed<Client>, text: string): Promise<number> {
    const id = `say-${++said}`;
    who.client.send({ type: 'msg', room: ROOM, text, id });
    const ack = (await who.client.waitFor({ type: 'ack', id })) as Ack;
    return ack.seq!;
  }

  it('runs HAProxy on the project’s own config, with both instances passing its /readyz checks', async () => {
    const status = await lb.serverStatus();
    expect(Object.keys(status).sort()).toEqual([
      'loopchat_http/loopchat-1',
      'loopchat_http/loopchat-2',
      'loopchat_tcp/loopchat-1',
      'loopchat_tcp/loopchat-2',
    ]);
    for (const s of Object.values(status)) expect(s).toEqual({ status: 'UP', check: 'L7OK' });
  });

  it('a TCP client and a WebSocket client land on different instances and chat in one room', async () => {
    tina = await place(tcpFrom('127.0.0.11'), 'tina', () => true);
    home = instanceOf(tina.server);
    other = home === 'alpha' ? 'beta' : 'alpha';
    walt = await place(wsFrom('127.0.0.12'), 'walt', (s) => instanceOf(s) === other);
    // A second client on tina's instance, over WebSocket: both transports will have to move.
    wendy = await place(wsFrom('127.0.0.13'), 'wendy', (s) => instanceOf(s) === home);
    expect(instanceOf(walt.server)).not.toBe(home);

    for (const p of [tina, walt, wendy]) await p.client.join(ROOM);
    const s1 = await say(tina, 'hello from tcp');
    await walt.client.waitFor({ type: 'msg', room: ROOM, from: tina.nick, text: 'hello from tcp', seq: s1 });
    const s2 = await say(walt, 'hello from ws');
    await tina.client.waitFor({ type: 'msg', room: ROOM, from: walt.nick, text: 'hello from ws', seq: s2 });
    await wendy.client.waitFor({ type: 'msg', room: ROOM, from: walt.nick, seq: s2 });
    expect(s2).toBe(s1 + 1);
  });

  /** Opens `count` TCP connections through HAProxy from `address(i)`; each one's hello answer. */
  async function tcpBurst(count: number, address: (i: number) => string, tag: string): Promise<string[]> {
    const clients = await Promise.all(Array.from({ length: count }, (_, i) => tcpFrom(address(i))()));
    try {
      return await Promise.all(clients.map((c, i) => greet(c, `${tag}${i}`)));
    } finally {
      for (const c of clients) c.close();
    }
  }

  /** Attempts `count` WebSocket upgrades through HAProxy; each one's HTTP status (101 = accepted). */
  async function wsBurst(
    count: number,
    address: (i: number) => string,
    headers: (i: number) => Record<string, string> = () => ({}),
  ): Promise<number[]> {
    const sockets: WebSocket[] = [];
    try {
      return await Promise.all(
        Array.from(
          { length: count },
          (_, i) =>
            new Promise<number>((resolve, reject) => {
              const ws = new WebSocket(`ws://127.0.0.1:${lb.httpPort}/ws`, {
                localAddress: address(i),
                headers: headers(i),
              });
              sockets.push(ws);
              ws.on('open', () => resolve(101));
              ws.on('unexpected-response', (_req, res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
              });
              ws.on('error', reject);
            }),
        ),
      );
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  }

  const count = (values: (string | number)[], value: string | number): number => values.filter((v) => v === value).length;
  const BURST = PER_IP * PROCESSES + 1;

  it('the servers see each TCP client’s own address (PROXY v2): the per-IP limit holds per client, not per proxy', async () => {
    // BURST connections from one address cannot all fit: at most PER_IP on each process.
    const same = await tcpBurst(BURST, () => '127.0.0.21', 'same');
    expect(count(same, 'too_many_connections')).toBeGreaterThanOrEqual(1);
    expect(same.filter((a) => a.startsWith('welcome:')).length).toBeLessThanOrEqual(PER_IP * PROCESSES);
    // The same number from as many addresses all fit; had the servers counted HAProxy's
    // address (127.0.0.1) instead, at least one would have been refused.
    const distinct = await tcpBurst(BURST, (i) => `127.0.1.${i + 1}`, 'many');
    expect(distinct.filter((a) => a.startsWith('welcome:'))).toHaveLength(BURST);
  });

  it('the servers see each WebSocket client’s own address (X-Forwarded-For), and a forged header changes nothing', async () => {
    // Each upgrade claims another address; HAProxy appends the real one, which is what counts.
    const same = await wsBurst(
      BURST,
      () => '127.0.0.22',
      (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}` }),
    );
    expect(count(same, 429)).toBeGreaterThanOrEqual(1);
    expect(count(same, 101)).toBeLessThanOrEqual(PER_IP * PROCESSES);
    const distinct = await wsBurst(BURST, (i) => `127.0.2.${i + 1}`);
    expect(count(distinct, 101)).toBe(BURST);
  });

  it('stopping an instance (SIGTERM): its clients reconnect through HAProxy to the other one and lose no acked message', async () => {
    const stopping = instances.get(home)!;
    const acked: number[] = [tina, walt, wendy].flatMap((p) => seqsOf(p.client, 'ack'));

    // Walt, on the surviving instance, keeps talking through the whole drain.
    let talking = true;
    const talker = (async () => {
      while (talking) {
        acked.push(await say(walt, `tick ${said}`));
        await sleep(5);
      }
    })();
    await sleep(200);

    stopping.child.kill('SIGTERM');
    await Promise.all([tina.client.closed(), wendy.client.closed()]);
    expect(tina.client.all({ type: 'error', code: 'shutdown' })).toHaveLength(1);
    expect(wendy.client.closeCode).toBe(1001);

    // Each reconnects the way a client should: through the load balancer, hello, join, and
    // history since the last seq it saw. HAProxy retries a refused connection elsewhere.
    const recovered = await Promise.all(
      (
        [
          [tina, tcpFrom('127.0.0.11')],
          [wendy, wsFrom('127.0.0.13')],
        ] as const
      ).map(async ([before, connect]) => {
        const lastSeen = Math.max(...seqsOf(before.client), ...seqsOf(before.client, 'ack'));
        const after = await place<Client>(connect, before.nick, () => true);
        await after.client.join(ROOM);
        after.client.send({ type: 'history', room: ROOM, since: lastSeen, limit: 1000, id: 'recover' });
        const history = (await after.client.waitFor({ type: 'history', id: 'recover' })) as History;
        return { before, after, history };
      }),
    );
    for (const { after } of recovered) expect(instanceOf(after.server)).toBe(other);

    // Both speak again from their new home, then walt stops.
    for (const { after } of recovered) acked.push(await say(after, `back on ${other}`));
    talking = false;
    await talker;
    const last = Math.max(...acked);

    for (const { before, after, history } of recovered) {
      await pollUntil(
        async () => Math.max(0, ...seqsOf(after.client), ...seqsOf(after.client, 'ack')),
        (seq) => seq >= last,
        5000,
        `${after.nick} to catch up to seq ${last}`,
      );
      const known = new Set([
        ...seqsOf(before.client),
        ...seqsOf(before.client, 'ack'),
        ...history.messages.map((m) => m.seq),
        ...seqsOf(after.client),
        ...seqsOf(after.client, 'ack'),
      ]);
      const lost = acked.filter((seq) => !known.has(seq));
      expect(lost, `${before.nick}: acked seqs it never saw`).toEqual([]);
      // And nothing in between either: every seq from 1 to the last, live or from history.
      expect([...known].sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    }
    expect(acked.length).toBeGreaterThan(20);

    // The stopped instance drained and exited cleanly; HAProxy took it out of rotation.
    expect((await stopping.exited).code).toBe(0);
    const server = home === 'alpha' ? 'loopchat-1' : 'loopchat-2';
    await pollUntil(
      () => lb.serverStatus(),
      (s) => s[`loopchat_tcp/${server}`]?.status === 'DOWN' && s[`loopchat_http/${server}`]?.status === 'DOWN',
      8000,
      `HAProxy to mark ${server} DOWN`,
    );
  });
});
