/**
 * "Encode once, end to end": a room message reaches a member as the very bytes the sender's
 * process encoded, whether the server is one process, a cluster (sender and receiver on
 * different workers, the line crossing the primary) or two hosts on Redis (A → Redis → B).
 * Only seq and ts may differ. Raw sockets read the bytes; nothing is parsed before comparing.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, waitUntil } from './helpers/clients.js';
import { connectOn, killTree, startCluster, tcpConnector, type RunningCluster } from './helpers/cluster.js';
import { skipRedisSuites, startRedis, startRedisTestServer, type TestRedis } from './helpers/redis.js';
import { startTestServer } from './helpers/server.js';

const TEXT = 'same bytes everywhere: "quotes", \\ backslash, tab\t, é, ✓, 😀';
const ROOM = 'bytes';

/** A member reading raw lines off TCP. */
class RawTcpMember {
  readonly lines: string[] = [];
  #pending = Buffer.alloc(0);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      for (let nl = this.#pending.indexOf(10); nl >= 0; nl = this.#pending.indexOf(10)) {
        this.lines.push(this.#pending.subarray(0, nl + 1).toString('latin1'));
        this.#pending = this.#pending.subarray(nl + 1);
      }
    });
  }

  static async join(port: number, nick: string): Promise<RawTcpMember> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const member = new RawTcpMember(socket);
    socket.write(`{"type":"hello","nick":"${nick}"}\n{"type":"join","room":"${ROOM}","id":"j"}\n`);
    await waitUntil(() => member.lines.some((l) => l.includes('"id":"j"')), 5000, `${nick} joined`);
    return member;
  }

  /** The raw bytes (as latin1 text) of the first message line. */
  async message(): Promise<string> {
    await waitUntil(() => this.lines.some((l) => l.startsWith('{"type":"msg"')), 5000, 'a message line');
    return this.lines.find((l) => l.startsWith('{"type":"msg"'))!;
  }

  /** The welcome line names the worker in cluster mode. */
  slot(): number {
    const welcome = this.lines.find((l) => l.includes('"type":"welcome"')) ?? '';
    return Number(/\/w(\d+)"/.exec(welcome)?.[1] ?? -1);
  }
}

/** A WebSocket member keeping each text frame's raw payload. */
async function rawWsMember(port: number, nick: string): Promise<{ payloads: Buffer[]; ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const payloads: Buffer[] = [];
  ws.on('message', (data: Buffer) => payloads.push(data));
  await once(ws, 'open');
  ws.send(`{"type":"hello","nick":"${nick}"}`);
  ws.send(`{"type":"join","room":"${ROOM}","id":"j"}`);
  await waitUntil(() => payloads.some((p) => p.toString().includes('"id":"j"')), 5000, `${nick} joined`);
  return { payloads, ws };
}

/** seq and ts are the only bytes allowed to differ (and the sender's nick, where placement chose it). */
function withoutSeqAndTs(line: string): string {
  return line.replace(/"seq":\d+,"ts":\d+\}\n$/, '"seq":S,"ts":T}\n').replace(/"from":"sender\d*"/, '"from":"sender"');
}

async function senderOn(port: number): Promise<TcpJsonClient> {
  const sender = await TcpJsonClient.connect(port);
  await sender.hello('sender');
  return sender;
}

/** Sends TEXT from `sender` (registered) and returns what a TCP and a WS member received, raw. */
async function roundTrip(sender: TcpJsonClient, receiver: RawTcpMember, ws: { payloads: Buffer[] }) {
  sender.send({ type: 'join', room: ROOM, id: 'sj' });
  await sender.waitFor({ type: 'ack', id: 'sj' });
  sender.send({ type: 'msg', room: ROOM, text: TEXT, id: 'm1' });
  await sender.waitFor({ type: 'ack', id: 'm1' });
  const line = await receiver.message();
  await waitUntil(() => ws.payloads.some((p) => p.toString().startsWith('{"type":"msg"')), 5000, 'ws message');
  const wsPayload = ws.payloads.find((p) => p.toString().startsWith('{"type":"msg"'))!.toString('latin1');
  sender.close();
  return { line, wsPayload };
}

const seen = new Map<string, string>();

describe('a room message is the same bytes in every deployment', () => {
  it('single process: the JSON line is the canonical encoding, and WebSocket carries the same bytes', async () => {
    const server: LoopchatServer = await startTestServer({ ratePerSecond: 0 });
    try {
      const receiver = await RawTcpMember.join(server.tcpPort, 'reader');
      const ws = await rawWsMember(server.httpPort, 'wsreader');
      const { line, wsPayload } = await roundTrip(await senderOn(server.tcpPort), receiver, ws);
      expect(withoutSeqAndTs(line)).toBe(
        `{"type":"msg","room":"${ROOM}","from":"sender",` +
          `"text":${Buffer.from(JSON.stringify(TEXT)).toString('latin1')},"id":"m1","seq":S,"ts":T}\n`,
      );
      expect(wsPayload).toBe(line.slice(0, -1));
      seen.set('single', withoutSeqAndTs(line));
      receiver.socket.destroy();
      ws.ws.close();
    } finally {
      await server.close();
    }
  });

  describe('cluster', () => {
    let cluster: RunningCluster | undefined;
    beforeAll(async () => {
      cluster = await startCluster(2, ['--rate', '0', '--filter', 'off']);
    });
    afterAll(async () => {
      await killTree(cluster);
    });

    it('crossing the primary from one worker to another changes no byte', async () => {
      const receiver = await RawTcpMember.join(cluster!.tcpPort, 'reader');
      const ws = await rawWsMember(cluster!.httpPort, 'wsreader');
      // The sender on the other worker than the TCP reader: its line crosses the primary.
      const placed = await connectOn(tcpConnector(cluster!.tcpPort), 'sender', (slot) => slot !== receiver.slot());
      expect(receiver.slot()).toBeGreaterThanOrEqual(0);
      const { line, wsPayload } = await roundTrip(placed.client, receiver, ws);
      expect(withoutSeqAndTs(line)).toBe(seen.get('single'));
      expect(wsPayload).toBe(line.slice(0, -1));
      receiver.socket.destroy();
      ws.ws.close();
    });
  });

  describe.skipIf(skipRedisSuites())('two hosts on Redis', () => {
    let redis: TestRedis;
    let a: LoopchatServer;
    let b: LoopchatServer;
    beforeAll(async () => {
      redis = await startRedis();
      a = await startRedisTestServer(redis, { ratePerSecond: 0 });
      b = await startRedisTestServer(redis, { ratePerSecond: 0 });
    });
    afterAll(async () => {
      await Promise.allSettled([a?.close(), b?.close()]);
      await redis?.stop();
    });

    it('published by A, stored and delivered by B: the same bytes, and the same in history', async () => {
      const receiver = await RawTcpMember.join(b.tcpPort, 'reader');
      const ws = await rawWsMember(b.httpPort, 'wsreader');
      const { line, wsPayload } = await roundTrip(await senderOn(a.tcpPort), receiver, ws);
      expect(withoutSeqAndTs(line)).toBe(seen.get('single'));
      expect(wsPayload).toBe(line.slice(0, -1));
      receiver.socket.write(`{"type":"history","room":"${ROOM}","id":"h"}\n`);
      await waitUntil(() => receiver.lines.some((l) => l.includes('"type":"history"')), 5000, 'history');
      const history = receiver.lines.find((l) => l.includes('"type":"history"'))!;
      expect(history).toContain(line.slice(0, -1));
      receiver.socket.destroy();
      ws.ws.close();
    });
  });
});
