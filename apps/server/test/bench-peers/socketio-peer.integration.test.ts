/**
 * The Socket.IO bench peer (bench/peers/socketio.ts), built and started as the bench starts
 * it, spoken to with a raw `ws` client that speaks Engine.IO v4 / Socket.IO v5 by hand
 * (no socket.io-client): `0{…}` open, `40` connect to `/`, `42[event, data]` events, and
 * the server's heartbeat `2` answered with `3`. Checks the contract in the peer's header.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const PEER = fileURLToPath(new URL('../../dist-bench/peers/socketio.js', import.meta.url));

type Event = [name: string, data: Record<string, unknown>];

/** A Socket.IO client by hand: just enough of the wire format to test the peer. */
class RawSocketIoClient {
  readonly events: Event[] = [];
  readonly #ws: WebSocket;
  #waiters: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => this.#onPacket(data.toString('utf8')));
  }

  static async connect(port: number): Promise<RawSocketIoClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const client = new RawSocketIoClient(ws);
    const [open] = (await once(ws, 'message')) as [Buffer];
    // Engine.IO open packet: `0` + handshake JSON (sid, pingInterval, pingTimeout…).
    expect(open.toString()).toMatch(/^0\{.*"sid"/);
    ws.send('40'); // Socket.IO CONNECT to the default namespace
    const [connected] = (await once(ws, 'message')) as [Buffer];
    expect(connected.toString()).toMatch(/^40\{.*"sid"/);
    return client;
  }

  emit(name: string, data: Record<string, unknown>): void {
    this.#ws.send(`42${JSON.stringify([name, data])}`);
  }

  waitFor(name: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<Event> {
    const test = (e: Event): boolean => e[0] === name && match(e[1]);
    const seen = this.events.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match: test, resolve }));
  }

  close(): void {
    this.#ws.terminate();
  }

  #onPacket(packet: string): void {
    if (packet === '2') {
      // Engine.IO v4: the server pings, the client pongs (or it is dropped after pingTimeout).
      this.#ws.send('3');
      return;
    }
    if (!packet.startsWith('42')) return;
    const event = JSON.parse(packet.slice(2)) as Event;
    this.events.push(event);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(event)) continue;
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      waiter.resolve(event);
    }
  }
}

describe('Socket.IO bench peer', () => {
  let child: ChildProcess;
  let port: number;
  const clients: RawSocketIoClient[] = [];

  beforeAll(async () => {
    if (!existsSync(PEER)) throw new Error(`${PEER} is missing: run \`npx tsc -b\` first (npm test does)`);
    child = spawn(process.execPath, [PEER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const ready = JSON.parse(line) as { msg: string; http: { port: number } };
    expect(ready.msg).toBe('socketio listening');
    port = ready.http.port;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  const connect = async (): Promise<RawSocketIoClient> => {
    const client = await RawSocketIoClient.connect(port);
    clients.push(client);
    return client;
  };

  it('listens on a free loopback port and prints it as one JSON line, like the other peers', () => {
    expect(port).toBeGreaterThan(0);
  });

  it('answers hello with welcome and join with joined', async () => {
    const alice = await connect();
    alice.emit('hello', { nick: 'alice' });
    expect((await alice.waitFor('welcome'))[1]).toMatchObject({ nick: 'alice' });
    alice.emit('join', { room: 'general' });
    expect((await alice.waitFor('joined'))[1]).toEqual({ room: 'general' });
  });

  it('acks a msg with its room seq and delivers it to every member, the sender included', async () => {
    const [bob, carol, dave] = [await connect(), await connect(), await connect()];
    for (const [client, nick] of [
      [bob, 'bob'],
      [carol, 'carol'],
      [dave, 'dave'],
    ] as const) {
      client.emit('hello', { nick });
      await client.waitFor('welcome');
    }
    for (const client of [bob, carol]) {
      client.emit('join', { room: 'seqroom' });
      await client.waitFor('joined');
    }
    dave.emit('join', { room: 'other' });
    await dave.waitFor('joined');

    bob.emit('msg', { room: 'seqroom', text: 'one', id: 'b1' });
    bob.emit('msg', { room: 'seqroom', text: 'two', id: 'b2' });
    expect((await bob.waitFor('ack', (d) => d['id'] === 'b1'))[1]).toEqual({ id: 'b1', seq: 1 });
    expect((await bob.waitFor('ack', (d) => d['id'] === 'b2'))[1]).toEqual({ id: 'b2', seq: 2 });
    for (const client of [bob, carol]) {
      const second = await client.waitFor('msg', (d) => d['id'] === 'b2');
      expect(second[1]).toMatchObject({ room: 'seqroom', from: 'bob', text: 'two', seq: 2 });
      expect(typeof second[1]['ts']).toBe('number');
      const msgs = client.events.filter(([name]) => name === 'msg').map(([, d]) => d['seq']);
      expect(msgs).toEqual([1, 2]);
    }
    // A member of another room hears nothing; a room has its own seq.
    dave.emit('msg', { room: 'other', text: 'elsewhere', id: 'd1' });
    expect((await dave.waitFor('ack'))[1]).toEqual({ id: 'd1', seq: 1 });
    expect(dave.events.filter(([name, d]) => name === 'msg' && d['room'] === 'seqroom')).toEqual([]);
  });

  it('drops a msg to a room the socket has not joined', async () => {
    const eve = await connect();
    eve.emit('hello', { nick: 'eve' });
    await eve.waitFor('welcome');
    eve.emit('msg', { room: 'general', text: 'not a member', id: 'e1' });
    eve.emit('join', { room: 'eveonly' });
    await eve.waitFor('joined');
    expect(eve.events.filter(([name]) => name === 'ack')).toEqual([]);
  });
});
