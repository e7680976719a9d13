/**
 * The cluster bus in one process: a PrimaryBus serving two IpcBus "workers" over real
 * socket pairs (loopback TCP standing in for the socketpair the primary creates at fork).
 * Everything crosses as records; these tests check what each side sees.
 */
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { encodeMsgBody, finishMsgLine, type DmFrame, type PresenceFrame, type TypingFrame } from '@loopchat/protocol';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BusUnavailableError, RoomLimitError, type SequencedMessage } from '../../src/bus/bus.js';
import { IpcBus } from '../../src/bus/ipc-bus.js';
import { PrimaryBus } from '../../src/cluster/primary-bus.js';
import type { LineRef } from '../../src/core/line-slab.js';
import { HistoryStoreError } from '../../src/history/errors.js';
import { MemoryStore } from '../../src/history/memory-store.js';

const limits = { historySize: 100, maxRooms: 3, emptyRoomTtlMs: 60_000, presenceMaxMembers: 500 };
const sockets: Socket[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const client = connect(port, '127.0.0.1');
  const [serverSide] = (await accepted) as [Socket];
  await once(client, 'connect');
  server.close();
  // As on the socketpair it stands in for, a write goes at once (Nagle would hold a small
  // one back for the peer's delayed ACK: 40 ms, longer than these tests wait).
  client.setNoDelay(true);
  serverSide.setNoDelay(true);
  sockets.push(client, serverSide);
  return [serverSide, client];
}

function recorder() {
  return {
    messages: [] as SequencedMessage[],
    presence: [] as PresenceFrame[],
    dms: [] as DmFrame[],
    typing: [] as TypingFrame[],
    onTyping(t: TypingFrame) {
      this.typing.push(t);
    },
    onMessage(msg: SequencedMessage) {
      this.messages.push(msg);
    },
    onPresence(p: PresenceFrame) {
      this.presence.push(p);
    },
    onDm(dm: DmFrame) {
      this.dms.push(dm);
    },
  };
}

/**
 * A memory store that copies each line as the SQLite store does (at its commit, there): the
 * primary writes lines straight into its outbox, which it reuses once written.
 */
class CopyingStore extends MemoryStore {
  override readonly durable = true;
  override readonly keepsLines = false;
  override append(room: string, seq: number, ts: number, line: LineRef): void {
    const copy = Buffer.from(line.buf.subarray(line.start, line.end));
    super.append(room, seq, ts, { buf: copy, start: 0, end: copy.length });
  }
}

/** A store that copies lines, and fails its next commit on demand. */
class FlakyStore extends CopyingStore {
  failNext = false;
  override commit(): void {
    if (!this.failNext) return;
    this.failNext = false;
    throw new HistoryStoreError('HISTORY_WRITE_FAILED', 'disk full (simulated)');
  }
}

async function cluster(workers = 2, store = new MemoryStore(limits.historySize)) {
  const primary = new PrimaryBus(limits, pino({ level: 'silent' }), 0, store);
  const buses: IpcBus[] = [];
  const sinks: ReturnType<typeof recorder>[] = [];
  for (let w = 0; w < workers; w++) {
    const [primarySide, workerSide] = await socketPair();
    primary.addWorker(`w${w}`, primarySide);
    const bus = new IpcBus(workerSide);
    const sink = recorder();
    bus.attach(sink);
    buses.push(bus);
    sinks.push(sink);
  }
  return { primary, buses, sinks };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('PrimaryBus with IpcBus workers', () => {
  it('stores a read marker from one worker that another worker reads back, and fails it for an unknown room', async () => {
    const { buses } = await cluster();
    const [a, b] = buses as [IpcBus, IpcBus];
    await a.join('marked', 'ann');
    await a.markRead('marked', 'ann', 12);
    expect(await b.readMarker('marked', 'ANN')).toBe(12);
    expect(await b.readMarker('marked', 'bob')).toBeUndefined();
    await expect(a.markRead('nowhere', 'ann', 1)).rejects.toThrow(/no_room/);
  });

  it('relays typing to the workers with members, only from members, and only in rooms within the presence limit', async () => {
    const { primary, buses, sinks } = await cluster(3);
    const [a, b, c] = buses as [IpcBus, IpcBus, IpcBus];
    await a.join('small', 'ann');
    await b.join('small', 'bob');
    a.typing('small', 'ann');
    c.typing('small', 'eve'); // not a member: dropped at the primary
    await settle();
    const typing: TypingFrame = { type: 'typing', room: 'small', nick: 'ann' };
    expect(sinks[0]!.typing).toEqual([typing]); // the hub skips the typer itself
    expect(sinks[1]!.typing).toEqual([typing]);
    expect(sinks[2]!.typing).toEqual([]);
    expect(primary.state.history('small', 0, 10)).toEqual([]); // never stored

    // Over the limit (like presence): nothing is relayed.
    for (let n = 0; n < limits.presenceMaxMembers; n++) primary.state.join('small', `m${n}`, 'w2');
    a.typing('small', 'ann');
    await settle();
    expect(sinks[1]!.typing).toHaveLength(1);
  });

  it('routes presence and DMs only to the workers that need them', async () => {
    const { buses, sinks } = await cluster();
    const [a, b] = buses as [IpcBus, IpcBus];
    await a.claimNick('ann');
    await b.claimNick('Bob');
    await a.join('r', 'ann');
    await b.join('r', 'Bob');
    const dm = await a.dm('ann', 'BOB', 'psst', 'd1');
    await settle();
    expect(dm).toMatchObject({ type: 'dm', from: 'ann', to: 'Bob', text: 'psst', id: 'd1' });
    expect(sinks[1]!.dms).toEqual([dm]);
    expect(sinks[0]!.dms).toEqual([]);
    expect(sinks[0]!.presence).toEqual([{ type: 'presence', room: 'r', nick: 'Bob', event: 'join' }]);
    b.leave('r', 'Bob');
    await settle();
    expect(sinks[0]!.presence.at(-1)).toEqual({ type: 'presence', room: 'r', nick: 'Bob', event: 'leave' });
    expect('quit' in sinks[0]!.presence.at(-1)!).toBe(false);
    // A released nick quits: the Presence record's event byte 3 carries it to the worker.
    await b.join('r', 'Bob');
    b.release('Bob', ['r']);
    await settle();
    expect(sinks[0]!.presence.at(-1)).toEqual({ type: 'presence', room: 'r', nick: 'Bob', event: 'leave', quit: true });
  });

  it('fails every publish of a commit that failed with unavailable, on every worker delivers none, and gives the seqs again', async () => {
    const store = new FlakyStore(limits.historySize);
    const { buses, sinks } = await cluster(3, store);
    const [a, b, c] = buses as [IpcBus, IpcBus, IpcBus];
    await a.join('r', 'ann');
    await b.join('r', 'bob');
    store.failNext = true;
    // One turn: two members' messages, and one from a worker with no member in the room.
    const refused = await Promise.allSettled([
      a.publish('r', 'ann', encodeMsgBody('r', 'ann', 'lost 1')),
      b.publish('r', 'bob', encodeMsgBody('r', 'bob', 'lost 2')),
      c.publish('r', 'ghost', encodeMsgBody('r', 'ghost', 'lost 3')),
    ]);
    for (const outcome of refused) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(BusUnavailableError);
    }
    const next = await a.publish('r', 'ann', encodeMsgBody('r', 'ann', 'kept'));
    await settle();
    expect(next.seq).toBe(1);
    expect(sinks.map((sink) => sink.messages.map((m) => m.seq))).toEqual([[1], [1], []]);
    expect(await b.history('r', { since: 0, limit: 10 })).toEqual([next.line]);
  });

  it('rejects with the reason: a room over the cap, a publish to no room', async () => {
    const { buses } = await cluster(1);
    const bus = buses[0]!;
    for (const room of ['a', 'b', 'c']) await bus.join(room, 'ann');
    await expect(bus.join('d', 'ann')).rejects.toBeInstanceOf(RoomLimitError);
    await expect(bus.publish('nope', 'ann', encodeMsgBody('nope', 'ann', 'x'))).rejects.toThrow(/no_room/);
    expect(await bus.claimNick('still-answering')).toBe(true);
  });

  it('drops a worker that is gone: its nicks are free, the rooms hear its members quit', async () => {
    const { primary, buses, sinks } = await cluster();
    const [a, b] = buses as [IpcBus, IpcBus];
    await a.claimNick('ann');
    await a.join('r', 'ann');
    await b.join('r', 'bob');
    expect(primary.removeWorker('w0')).toBe(1);
    await settle();
    expect(sinks[1]!.presence.at(-1)).toEqual({ type: 'presence', room: 'r', nick: 'ann', event: 'leave', quit: true });
    expect(await b.claimNick('ann')).toBe(true);
  });

  it('fails every waiting request as unavailable when the data socket closes, and refuses new ones', async () => {
    const { buses } = await cluster(1);
    const bus = buses[0]!;
    let broken: string | undefined;
    bus.onBroken = (reason) => (broken = reason);
    const waiting = bus.claimNick('ann');
    sockets[0]!.destroy(); // the primary's end
    await expect(waiting).rejects.toBeInstanceOf(BusUnavailableError);
    expect(broken).toMatch(/closed/);
    expect(bus.ready).toBe(false);
    await expect(bus.join('r', 'ann')).rejects.toBeInstanceOf(BusUnavailableError);
  });
});

describe.each([
  ['memory history: lines in their rooms, copied into the outbox', () => new MemoryStore(limits.historySize)],
  ['a store that copies lines at its commit: lines written into the outbox', () => new CopyingStore(limits.historySize)],
])('PrimaryBus messages over %s', (_name, store) => {
  it('delivers a message as the same bytes to every worker with members, and answers the sender with it once', async () => {
    const { primary, buses, sinks } = await cluster(2, store());
    const [a, b] = buses as [IpcBus, IpcBus];
    expect(await a.claimNick('ann')).toBe(true);
    expect(await b.claimNick('bob')).toBe(true);
    expect(await a.join('general', 'ann')).toBe(0);
    expect(await b.join('general', 'bob')).toBe(0);
    const body = encodeMsgBody('general', 'ann', 'hi "there" ✓', 7);
    const msg = await a.publish('general', 'ann', body);
    await settle();
    expect(msg.seq).toBe(1);
    expect(msg.room).toBe('general');
    expect(msg.from).toBe('ann');
    const ts = (JSON.parse(msg.line.toString()) as { ts: number }).ts;
    expect(msg.line.equals(finishMsgLine(body, 1, ts))).toBe(true);
    expect(sinks[0]!.messages.map((m) => m.line.toString())).toEqual([msg.line.toString()]);
    expect(sinks[1]!.messages.map((m) => m.line.toString())).toEqual([msg.line.toString()]);
    expect(primary.messages).toBe(1);
  });

  it('answers every request in the order it was made, whatever the mix', async () => {
    const { buses } = await cluster(1, store());
    const bus = buses[0]!;
    const answers = await Promise.all([
      bus.claimNick('ann'),
      bus.claimNick('ANN'),
      bus.join('r1', 'ann'),
      bus.publish('r1', 'ann', encodeMsgBody('r1', 'ann', 'one')),
      bus.publish('r1', 'ann', encodeMsgBody('r1', 'ann', 'two')),
      bus.history('r1', { since: 0, limit: 10 }),
      bus.history('r1', { latest: 1 }),
      bus.members('r1'),
      bus.rooms(10),
      bus.dm('ann', 'nobody', 'hi', undefined),
      bus.join('r1', 'ann'),
    ]);
    expect(answers[0]).toBe(true);
    expect(answers[1]).toBe(false);
    expect(answers[2]).toBe(0);
    expect((answers[3] as SequencedMessage).seq).toBe(1);
    expect((answers[4] as SequencedMessage).seq).toBe(2);
    expect((answers[5] as Buffer[]).map((l) => JSON.parse(l.toString()).text)).toEqual(['one', 'two']);
    expect((answers[6] as Buffer[]).map((l) => JSON.parse(l.toString()).seq)).toEqual([2]);
    expect(answers[7]).toEqual(['ann']);
    expect(answers[8]).toEqual([{ room: 'r1', members: 1 }]);
    expect(answers[9]).toBeUndefined();
    expect(answers[10]).toBe(2);
  });

  it('sends everything one worker asks in a turn as one write', async () => {
    const { buses } = await cluster(1, store());
    const bus = buses[0]!;
    const socket = sockets[sockets.length - 1]!;
    let writes = 0;
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Buffer) => (writes++, write(chunk))) as typeof socket.write;
    await bus.claimNick('ann');
    await bus.join('r', 'ann');
    writes = 0;
    await Promise.all(Array.from({ length: 50 }, (_, i) => bus.publish('r', 'ann', encodeMsgBody('r', 'ann', `m${i}`))));
    expect(writes).toBe(1);
  });

  it('answers a publish whose worker has no member left in the room without delivering it there', async () => {
    const { buses, sinks } = await cluster(2, store());
    const [a, b] = buses as [IpcBus, IpcBus];
    await b.join('r', 'bob');
    const msg = await a.publish('r', 'ghost', encodeMsgBody('r', 'ghost', 'boo'));
    await settle();
    expect(msg.seq).toBe(1);
    expect(sinks[0]!.messages).toEqual([]);
    expect(sinks[1]!.messages.map((m) => m.seq)).toEqual([1]);
  });

  it('answers each worker’s publishes in order while other workers publish as the same turn goes by', async () => {
    const { buses, sinks } = await cluster(3, store());
    for (const [w, bus] of buses.entries()) await bus.join('r', `n${w}`);
    const sent = buses.map((bus, w) =>
      Promise.all(Array.from({ length: 20 }, (_, i) => bus.publish('r', `n${w}`, encodeMsgBody('r', `n${w}`, `${w}:${i}`)))),
    );
    const answers = await Promise.all(sent);
    await settle();
    for (const [w, mine] of answers.entries()) {
      // Each answer is the sender's own message, in the order sent.
      expect(mine.map((m) => (JSON.parse(m.line.toString()) as { text: string }).text)).toEqual(
        Array.from({ length: 20 }, (_, i) => `${w}:${i}`),
      );
    }
    const seqs = answers.flat().map((m) => m.seq);
    expect(new Set(seqs).size).toBe(60);
    // Every worker sees all 60, in one order.
    for (const sink of sinks) expect(sink.messages.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
