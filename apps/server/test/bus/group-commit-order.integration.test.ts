/**
 * With group commit (the SQLite store) the messages of a turn are delivered and acked at the
 * turn's end, and the turn's other events (a topic) wait with them. A sender's own echo (text
 * mode, IRC echo-message) or ack (JSON lines) answers its message; it must still come before
 * an event decided after that message, as it does for every other member.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/clients.js';
import { startCluster } from '../helpers/cluster.js';
import { startTestServer } from '../helpers/server.js';
import { skipRedisSuites, startRedis, startRedisTestServer, type TestRedis } from '../helpers/redis.js';

class RawClient {
  readonly socket: Socket;
  out = '';

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (this.out += chunk));
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  get lines(): string[] {
    return this.out.split('\n').filter((l) => l !== '');
  }

  /** Writes `lines` in one write and waits until `until` is among the lines read. */
  async send(lines: string[], until: (line: string) => boolean): Promise<void> {
    this.socket.write(lines.map((l) => `${l}\n`).join(''));
    await waitUntil(() => this.lines.some(until), 5000, 'the answer');
  }
}

/** IRC lines as a client writes them (CRLF; RawClient.send adds the LF). */
const irc = (lines: string[]): string[] => lines.map((l) => `${l}\r`);

/**
 * In a cluster the same holds through the worker's bus: the primary writes a turn's records
 * in one write, so a worker reads a message that answers its sender and the event after it
 * in one read (IpcBus holds the event until the answer's reactions ran). On Redis a room
 * command takes several round trips where a message takes one script, so a message sent
 * after a topic overtook it (every run, before the host held its messages to a room until its
 * commands issued before them were done: redis-bus.ts).
 */
describe.each([
  { where: 'one process', workers: 1 },
  { where: 'one process, memory history', workers: 'memory' as const },
  { where: 'a 2-worker cluster', workers: 2 },
  { where: 'a host on Redis', workers: 'redis' as const },
])('group commit keeps the order events were decided in, for their sender too ($where)', ({ workers }) => {
  let server: { tcpPort: number; close(): Promise<unknown> } | undefined;
  const clients: RawClient[] = [];
  // Without Redis (and not under CI, where it must run) the Redis case says so and skips.
  const skip = workers === 'redis' && skipRedisSuites();
  const test = skip ? it.skip : it;

  beforeAll(async () => {
    if (skip) return;
    if (workers === 'redis') {
      const redis: TestRedis = await startRedis();
      const host = await startRedisTestServer(redis, { ratePerSecond: 0 });
      server = {
        tcpPort: host.tcpPort,
        close: async () => {
          await host.close();
          await redis.stop();
        },
      };
      return;
    }
    if (workers === 1 || workers === 'memory') {
      server = await startTestServer({ history: workers === 1 ? 'sqlite' : 'memory', ratePerSecond: 0 });
      return;
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'loopchat-order-'));
    const cluster = await startCluster(workers, ['--history', 'sqlite', '--data-dir', dataDir, '--rate', '0']);
    server = {
      tcpPort: cluster.tcpPort,
      close: async () => {
        cluster.child.kill('SIGTERM');
        await cluster.exited;
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });

  afterAll(async () => {
    for (const c of clients) c.socket.destroy();
    await server?.close();
  });

  /** A client of the server, closed after the suite. */
  async function client(): Promise<RawClient> {
    const c = await RawClient.connect(server!.tcpPort);
    clients.push(c);
    return c;
  }

  /** An IRC client registered as `nick` (with `caps` requested). */
  async function ircClient(nick: string, caps: string[] = []): Promise<RawClient> {
    const c = await client();
    const register = ['CAP LS 302', `NICK ${nick}`, `USER ${nick} 0 * :${nick}`, ...caps.map((cap) => `CAP REQ :${cap}`)];
    await c.send(irc([...register, 'CAP END']), (l) => l.includes(' 001 '));
    return c;
  }

  /** Two text-mode members of `room`: `op` joined first, so it operates the room. */
  async function textPair(room: string, opNick: string, otherNick: string): Promise<[RawClient, RawClient]> {
    const op = await client();
    const other = await client();
    await op.send([`/nick ${opNick}`, `/join ${room}`], (l) => l.startsWith(`* ${room}`));
    await other.send([`/nick ${otherNick}`, `/join ${room}`], (l) => l.startsWith(`* ${room}`));
    return [op, other];
  }

  test('a text-mode sender sees its echoes before the topic it set after them', async () => {
    const [op, other] = await textPair('lounge', 'tina', 'otto');
    await op.send(['hello'], (l) => l.endsWith('tina: hello'));
    const from = op.lines.length;
    const fromOther = other.lines.length;
    await op.send(['one', 'two', 'three', '/topic fresh paint'], (l) => l.includes('fresh paint'));
    await waitUntil(() => other.lines.some((l) => l.includes('fresh paint')), 5000, 'the topic at otto');
    const seenBy = (c: RawClient, start: number): string[] =>
      c.lines.slice(start).filter((l) => /tina: (one|two|three)$/.test(l) || l.includes('fresh paint'));
    expect(seenBy(other, fromOther)).toEqual([
      '[lounge] tina: one',
      '[lounge] tina: two',
      '[lounge] tina: three',
      expect.stringContaining('fresh paint'),
    ]);
    expect(seenBy(op, from)).toEqual(seenBy(other, fromOther));

    // And a topic decided before a message stays before it.
    const next = op.lines.length;
    await op.send(['/topic wet paint', 'four'], (l) => l.endsWith('tina: four'));
    expect(op.lines.slice(next).filter((l) => l.includes('wet paint') || l.endsWith('tina: four'))).toEqual([
      expect.stringContaining('wet paint'),
      '[lounge] tina: four',
    ]);
  });

  test('a command written right behind the join acts on the member the join made', async () => {
    // One write: on Redis the topic's membership check once ran before the join had stored it.
    const op = await client();
    await op.send(['/nick pia', '/join porch', '/topic swept', 'tidy'], (l) => l.endsWith('pia: tidy'));
    expect(op.lines.filter((l) => l.startsWith('!'))).toEqual([]);
    expect(op.lines.some((l) => l.includes('swept'))).toBe(true);
  });

  test('a topic written behind a join and a message comes after the join and the echo, as written', async () => {
    // The join's answer takes several hops (member list, topic, ops) and the message's its
    // commit; the topic's event once overtook both on memory history, the cluster and Redis.
    const op = await client();
    await op.send(['/nick lu'], (l) => l.includes('lu'));
    const from = op.lines.length;
    await op.send(['/join shed', 'z', '/topic tarred'], (l) => l.includes('tarred'));
    await waitUntil(() => op.lines.some((l) => l.endsWith('lu: z')), 5000, 'the echo');
    const seen = op.lines
      .slice(from)
      .filter((l) => l.startsWith('* shed') || l.endsWith('lu: z') || l.includes('tarred') || l.startsWith('!'));
    expect(seen).toEqual([expect.stringMatching(/^\* shed/), '[shed] lu: z', expect.stringContaining('tarred')]);
  });

  test('an IRC client that pipelines JOIN and TOPIC gets the join (names included) before the topic', async () => {
    const op = await ircClient('uma');
    const from = op.lines.length;
    await op.send(irc(['JOIN #deck', 'TOPIC #deck :oiled']), (l) => l.includes(' 366 '));
    // Once the topic overtook the join: the client, not yet in the channel, never saw its TOPIC.
    await waitUntil(() => op.lines.some((l) => l.includes(' TOPIC #deck ')), 5000, 'the TOPIC it set');
    const seen = op.lines
      .slice(from)
      .filter((l) => / (JOIN|TOPIC|366) /.test(l))
      .map((l) => (l.includes(' 366 ') ? '366' : l.includes(' JOIN ') ? 'JOIN' : 'TOPIC'));
    expect(seen).toEqual(['JOIN', '366', 'TOPIC']);
  });

  test('a rename written between messages splits them: those before are the old nick, those after the new', async () => {
    const [op, other] = await textPair('yard', 'kim', 'rex');
    const fromOther = other.lines.length;
    const from = op.lines.length;
    await op.send(['before', '/nick kai', 'after', '/topic raked'], (l) => l.includes('raked'));
    await waitUntil(() => other.lines.some((l) => l.includes('raked')), 5000, 'the topic at rex');
    const said = (c: RawClient, start: number): string[] =>
      c.lines.slice(start).filter((l) => /: (before|after)$/.test(l) || l.includes('raked') || l.startsWith('!'));
    // Each line once (a message sent before the rename is still skipped for its sender), in order.
    expect(said(op, from)).toEqual([
      '[yard] kim: before',
      '[yard] kai: after',
      expect.stringContaining('raked (set by kai)'),
    ]);
    expect(said(other, fromOther)).toEqual([
      '[yard] kim: before',
      '[yard] kai: after',
      expect.stringContaining('raked (set by kai)'),
    ]);
  });

  test('a JSON-lines sender gets its acks before the topic it set after them', async () => {
    const op = await client();
    const other = await client();
    const json = (frames: object[]): string[] => frames.map((f) => JSON.stringify(f));
    await op.send(
      json([
        { type: 'hello', nick: 'jo' },
        { type: 'join', room: 'den', id: 'j' },
      ]),
      (l) => l.includes('"id":"j"'),
    );
    await other.send(
      json([
        { type: 'hello', nick: 'ola' },
        { type: 'join', room: 'den', id: 'j' },
      ]),
      (l) => l.includes('"id":"j"'),
    );
    const from = op.lines.length;
    await op.send(
      json([
        { type: 'msg', room: 'den', text: 'one', id: 'm1' },
        { type: 'msg', room: 'den', text: 'two', id: 'm2' },
        { type: 'topic', room: 'den', text: 'fresh paint', id: 't' },
      ]),
      (l) => l.includes('"id":"t"'),
    );
    await waitUntil(() => op.lines.some((l) => l.includes('"type":"topic"')), 5000, 'the topic');
    const order = op.lines
      .slice(from)
      .map((l) => JSON.parse(l) as { type: string; id?: string })
      .filter((f) => f.id === 'm1' || f.id === 'm2' || f.type === 'topic')
      .map((f) => (f.type === 'topic' ? 'topic' : f.id));
    expect(order).toEqual(['m1', 'm2', 'topic']);
  });

  test('an IRC sender with echo-message sees its echoes before the topic it set after them', async () => {
    const op = await ircClient('ivy', ['echo-message']);
    await op.send(irc(['JOIN #patio']), (l) => l.includes(' 366 '));
    await op.send(irc(['PRIVMSG #patio :hello']), (l) => l.endsWith('PRIVMSG #patio hello\r'));
    const from = op.lines.length;
    await op.send(irc(['PRIVMSG #patio :one', 'PRIVMSG #patio :two', 'TOPIC #patio :fresh paint']), (l) =>
      l.includes('TOPIC #patio'),
    );
    await waitUntil(() => op.lines.filter((l) => / PRIVMSG #patio (one|two)\r$/.test(l)).length === 2, 5000, 'both echoes');
    expect(
      op.lines
        .slice(from)
        .filter((l) => / (PRIVMSG|TOPIC) #patio /.test(l))
        .map((l) => l.slice(l.indexOf(' ') + 1).trimEnd()),
    ).toEqual(['PRIVMSG #patio one', 'PRIVMSG #patio two', 'TOPIC #patio :fresh paint']);
  });
});
