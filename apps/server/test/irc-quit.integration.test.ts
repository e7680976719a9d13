/**
 * A disconnect as IRC shows it (RFC 2812 §3.1.7): a member whose connection ends (IRC QUIT,
 * or its socket just closes) leaves every room with a presence `leave` carrying `quit: true`,
 * and an IRC client sharing two channels with it sees ONE `QUIT` and no `PART`; a part stays
 * a PART, and a rename in two shared channels is one NICK line. The same sentences run in one
 * process, across the workers of a cluster (the quitter on the other worker) and across two
 * hosts over Redis (the quitter on the other host).
 *
 * The watcher's JSON-lines neighbour is on the watcher's process: once it has every room's
 * presence, so has the watcher's session, and a PING round trip then shows all it was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, waitUntil } from './helpers/clients.js';
import { connectOn, ircOn, ircSlot, killTree, startCluster, tcpConnector, type RunningCluster } from './helpers/cluster.js';
import { IrcClient } from './helpers/irc-client.js';
import { skipRedisSuites, twoRedisHosts } from './helpers/redis.js';
import { startTestServer } from './helpers/server.js';

/** Where the clients of one test go: the watcher's side, and the other side (the quitter's). */
interface Deployment {
  watcher(nick: string): Promise<IrcClient>;
  /** A JSON-lines client (hello said) on the watcher's process. */
  neighbour(nick: string): Promise<TcpJsonClient>;
  /** An IRC client on the other process or host, where there is one. */
  other(nick: string): Promise<IrcClient>;
}

type Closeable = { close(): void };

async function jsonOn(port: number, nick: string): Promise<TcpJsonClient> {
  const json = await TcpJsonClient.connect(port);
  await json.hello(nick);
  return json;
}

function quitSentences(deploy: () => Deployment): void {
  const open: Closeable[] = [];
  const track = <T extends Closeable>(client: T): T => (open.push(client), client);
  afterAll(() => {
    for (const client of open) client.close();
  });

  /** A watcher, a JSON neighbour and a subject, all in the rooms of channels `#<tag>a` and `#<tag>b`. */
  async function threeInTwoChannels(tag: string) {
    const d = deploy();
    const rooms = [`${tag}a`, `${tag}b`];
    const watcher = track(await d.watcher(`${tag}w`));
    const json = track(await d.neighbour(`${tag}j`));
    const subject = track(await d.other(`${tag}s`));
    for (const room of rooms) {
      await watcher.join(`#${room}`);
      await json.join(room);
      await subject.join(`#${room}`);
      await watcher.waitFor('join', { nick: subject.nick, channel: `#${room}` });
    }
    return { rooms, watcher, json, subject };
  }

  /** Every presence `event` about `nick` the JSON neighbour got, once there is one per room. */
  async function presenceInEveryRoom(json: TcpJsonClient, nick: string, event: string, rooms: string[]) {
    const got = () => json.all({ type: 'presence', event, nick });
    await waitUntil(
      () => rooms.every((room) => got().some((p) => (p as { room: string }).room === room)),
      5000,
      `${event} of ${nick}`,
    );
    return got() as { room: string; quit?: boolean }[];
  }

  /** The raw lines the watcher got from `nick` with `command`, after a PING round trip. */
  async function linesFrom(watcher: IrcClient, nick: string, command: string): Promise<string[]> {
    await watcher.sync();
    return watcher.raw.items.filter((l) => l.startsWith(`:${nick}!`) && l.split(' ')[1] === command);
  }

  for (const [how, end] of [
    ['sends QUIT', (c: IrcClient) => c.quit()],
    ['just closes its socket', (c: IrcClient) => c.close()],
  ] as const) {
    it(`a member that ${how} is one QUIT to an IRC client in two shared channels, and no PART`, async () => {
      const tag = how.startsWith('sends') ? 'qq' : 'qc';
      const { rooms, watcher, json, subject } = await threeInTwoChannels(tag);
      end(subject);
      const leaves = await presenceInEveryRoom(json, subject.nick, 'leave', rooms);
      expect(leaves.map((p) => [p.room, p.quit])).toEqual(expect.arrayContaining(rooms.map((r) => [r, true])));
      expect(leaves).toHaveLength(2);
      const quits = await linesFrom(watcher, subject.nick, 'QUIT');
      // The server's reason, not the client's ("bye"): it never passed moderation.
      expect(quits).toEqual([expect.stringMatching(new RegExp(`^:${subject.nick}!\\S+ QUIT :?Quit$`))]);
      expect(await linesFrom(watcher, subject.nick, 'PART')).toEqual([]);
      expect(watcher.events.items.filter((e) => e.name === 'quit' && e.event['nick'] === subject.nick)).toHaveLength(1);
    });
  }

  it('a PART is still a PART (a leave without quit)', async () => {
    const { rooms, watcher, json, subject } = await threeInTwoChannels('qp');
    subject.client.part(`#${rooms[0]}`);
    await watcher.waitFor('part', { nick: subject.nick, channel: `#${rooms[0]}` });
    const [leave] = await presenceInEveryRoom(json, subject.nick, 'leave', [rooms[0]!]);
    expect(leave).not.toHaveProperty('quit');
    expect(await linesFrom(watcher, subject.nick, 'QUIT')).toEqual([]);
  });

  it('a rename in two shared channels is one NICK line', async () => {
    const { rooms, watcher, json, subject } = await threeInTwoChannels('qn');
    subject.client.changeNick(`${subject.nick}x`);
    await presenceInEveryRoom(json, `${subject.nick}x`, 'rename', rooms);
    expect(await linesFrom(watcher, subject.nick, 'NICK')).toEqual([
      expect.stringMatching(new RegExp(`^:${subject.nick}!\\S+ NICK :?${subject.nick}x$`)),
    ]);
  });
}

describe('IRC QUIT and NICK once, in one process', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ serverName: 'irc.test', ratePerSecond: 0 });
  });
  afterAll(() => server.close());

  quitSentences(() => ({
    watcher: (nick) => IrcClient.connect(server.tcpPort, nick),
    other: (nick) => IrcClient.connect(server.tcpPort, nick),
    neighbour: (nick) => jsonOn(server.tcpPort, nick),
  }));
});

describe('IRC QUIT and NICK once, across the workers of a cluster (2 workers)', () => {
  let cluster: RunningCluster;
  beforeAll(async () => {
    cluster = await startCluster(2, ['--filter', 'off', '--rate', '0']);
  });
  afterAll(() => killTree(cluster));

  // The watcher on any worker, its JSON neighbour on the same one, the subject on the other.
  let watcherSlot = -1;
  quitSentences(() => ({
    watcher: async (nick) => {
      const irc = await IrcClient.connect(cluster.tcpPort, nick);
      watcherSlot = ircSlot(irc);
      return irc;
    },
    neighbour: async (nick) => (await connectOn(tcpConnector(cluster.tcpPort), nick, (s) => s === watcherSlot)).client,
    other: (nick) => ircOn(cluster.tcpPort, nick, (s) => s !== watcherSlot),
  }));
});

describe.skipIf(skipRedisSuites())('IRC QUIT and NICK once, across two hosts over Redis', () => {
  const hosts = twoRedisHosts({ ratePerSecond: 0 });
  quitSentences(() => ({
    watcher: (nick) => IrcClient.connect(hosts.a.tcpPort, nick),
    other: (nick) => IrcClient.connect(hosts.b.tcpPort, nick),
    neighbour: (nick) => jsonOn(hosts.a.tcpPort, nick),
  }));
});
