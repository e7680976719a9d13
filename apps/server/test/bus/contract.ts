/**
 * The bus contract (issue 13, item 3): the behaviour every Bus owes the Hub, written once
 * as sentences and run against each implementation by a small test file of its own:
 *
 *   local-bus.contract.test.ts     LocalBus: one process (both "processes" below are it), on
 *                                  the memory history store and on SQLite
 *   cluster-bus.contract.test.ts   a real PrimaryBus and two IpcBus workers over UNIX sockets
 *   redis-bus.contract.test.ts     two RedisBus instances on a redis-server spawned for the file
 *
 * A target starts a *world*: two peers, each a bus with the sink its Hub would attach,
 * standing for two processes (or hosts) that share rooms. Events cross processes
 * asynchronously, so every expectation about a sink waits for it (eventually()).
 * What only some buses have (an outage, a room cap, rename, room commands) is a capability
 * of the target; the sentences it lacks are skipped, and say so in their name.
 */
import {
  encodeMsgBody,
  isTombstoneLine,
  readMsgSeq,
  type DmFrame,
  type PresenceFrame,
  type TypingFrame,
} from '@loopchat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { BusUnavailableError, RoomLimitError, type Bus, type BusSink, type SequencedMessage } from '../../src/bus/bus.js';
import { RoomRefusedError, type RoomEvent } from '../../src/bus/room-commands.js';

/** What a Hub would have received from its bus. */
export class RecordingSink implements BusSink {
  readonly messages: SequencedMessage[] = [];
  readonly presence: PresenceFrame[] = [];
  readonly dms: DmFrame[] = [];
  readonly typing: TypingFrame[] = [];
  readonly roomEvents: RoomEvent[] = [];
  readonly nicksLost: string[] = [];

  onMessage(msg: SequencedMessage): void {
    this.messages.push(msg);
  }
  onPresence(presence: PresenceFrame): void {
    this.presence.push(presence);
  }
  onDm(dm: DmFrame): void {
    this.dms.push(dm);
  }
  onTyping(typing: TypingFrame): void {
    this.typing.push(typing);
  }
  onRoomEvent(event: RoomEvent): void {
    this.roomEvents.push(event);
  }
  onNickLost(nick: string): void {
    this.nicksLost.push(nick);
  }

  /** The messages of `room`, in the order they were delivered. */
  inRoom(room: string): SequencedMessage[] {
    return this.messages.filter((m) => m.room === room);
  }
}

export interface Peer {
  readonly bus: Bus;
  readonly sink: RecordingSink;
}

export interface BusWorld {
  /** Two processes sharing rooms (LocalBus: the same peer twice). */
  readonly peers: readonly [Peer, Peer];
  close(): Promise<void>;
}

export interface BusContractTarget {
  /**
   * Starts a fresh world: no nicks, rooms or history from another test. `ownBackend`: the
   * outage sentence will take the backend away (stopBackend), so it must be this world's alone.
   */
  start(options: { ownBackend: boolean }): Promise<BusWorld>;
  /** The two peers are one process (LocalBus): cross-process sentences still hold, trivially. */
  readonly oneProcess?: boolean;
  /** `maxRooms` the target's world was started with, when the bus enforces one. */
  readonly maxRooms?: number;
  readonly rename?: boolean;
  /**
   * A DM to a nick typed in another case is answered with the nick as registered. False on
   * Redis: the nick's key names only its host, so the answer carries `to` as typed.
   */
  readonly dmAsRegistered?: boolean;
  readonly roomCommands?: boolean;
  /** Cluster: cut peer `index`'s link to the sequencer as a dying worker does (the primary removes it). */
  dropPeer?(world: BusWorld, index: 0 | 1): Promise<void>;
  /** Redis: take the shared backend away. */
  stopBackend?(world: BusWorld): Promise<void>;
}

/** Limits the LocalBus and cluster worlds are started with. */
export const CONTRACT_LIMITS = { historySize: 50, maxRooms: 8, emptyRoomTtlMs: 60_000, presenceMaxMembers: 500 };

/** Polls `check` (an expectation that throws until it holds) until it passes. */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

const seqs = (msgs: readonly SequencedMessage[]): number[] => msgs.map((m) => m.seq);
const text = (line: Buffer): string => (JSON.parse(line.toString('utf8')) as { text: string }).text;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Runs every contract sentence against `target`. */
export function busContract(target: BusContractTarget): void {
  let world: BusWorld | undefined;
  const start = async (ownBackend = false): Promise<readonly [Peer, Peer]> => {
    world = await target.start({ ownBackend });
    return world.peers;
  };

  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  describe('room order and history', () => {
    it('gives a room one total order, consecutive seqs from 1, across publishers on different processes', async () => {
      const [a, b] = await start();
      expect(await a.bus.claimNick('ann')).toBe(true);
      expect(await b.bus.claimNick('bob')).toBe(true);
      await a.bus.join('order', 'ann');
      await b.bus.join('order', 'bob');
      const sent = await Promise.all(
        range(1, 20).flatMap((n) => [
          a.bus.publish('order', 'ann', encodeMsgBody('order', 'ann', `a${n}`)),
          b.bus.publish('order', 'bob', encodeMsgBody('order', 'bob', `b${n}`)),
        ]),
      );
      expect(seqs(sent).sort((x, y) => x - y)).toEqual(range(1, 40));
      for (const peer of [a, b]) {
        await eventually(() => expect(peer.sink.inRoom('order')).toHaveLength(40));
        expect(seqs(peer.sink.inRoom('order'))).toEqual(range(1, 40));
      }
      // Both processes saw the same bytes in the same order, and each sender's own messages in the order it sent them.
      const lines = (peer: Peer): string[] => peer.sink.inRoom('order').map((m) => m.line.toString('utf8'));
      expect(lines(b)).toEqual(lines(a));
      const texts = a.sink.inRoom('order').map((m) => text(m.line));
      expect(texts.filter((t) => t.startsWith('a'))).toEqual(range(1, 20).map((n) => `a${n}`));
      expect(texts.filter((t) => t.startsWith('b'))).toEqual(range(1, 20).map((n) => `b${n}`));
    });

    it('answers the publisher with the very line it delivers, sequenced and stamped', async () => {
      const [a, b] = await start();
      await a.bus.join('lines', 'ann');
      await b.bus.join('lines', 'bob');
      const before = Date.now();
      const msg = await a.bus.publish('lines', 'ann', encodeMsgBody('lines', 'ann', 'hi "there" ✓', 'm1'));
      expect(msg).toMatchObject({ room: 'lines', from: 'ann', seq: 1 });
      expect(msg.line.at(-1)).toBe(0x0a);
      const frame = JSON.parse(msg.line.toString('utf8')) as Record<string, unknown>;
      expect(frame).toMatchObject({ type: 'msg', room: 'lines', from: 'ann', text: 'hi "there" ✓', id: 'm1', seq: 1 });
      expect(frame['ts']).toBeGreaterThanOrEqual(before);
      await eventually(() => expect(b.sink.inRoom('lines')).toHaveLength(1));
      expect(b.sink.inRoom('lines')[0]!.line.equals(msg.line)).toBe(true);
    });

    it('keeps history: the latest N, after a seq, before a seq, oldest first; lines byte-identical to those delivered', async () => {
      const [a, b] = await start();
      await a.bus.join('hist', 'ann');
      for (const n of range(1, 6)) await a.bus.publish('hist', 'ann', encodeMsgBody('hist', 'ann', `m${n}`));
      await eventually(() => expect(a.sink.inRoom('hist')).toHaveLength(6));
      const delivered = a.sink.inRoom('hist').map((m) => m.line);
      const bytes = (lines: Buffer[]): string[] => lines.map((l) => l.toString('hex'));
      // Asked from the other process, which has no member in the room.
      expect(bytes(await b.bus.history('hist', { since: 2, limit: 10 }))).toEqual(bytes(delivered.slice(2)));
      expect(bytes(await b.bus.history('hist', { since: 2, limit: 2 }))).toEqual(bytes(delivered.slice(2, 4)));
      expect(bytes(await b.bus.history('hist', { since: 0, limit: 2 }))).toEqual(bytes(delivered.slice(0, 2)));
      expect(bytes(await b.bus.history('hist', { latest: 2 }))).toEqual(bytes(delivered.slice(4)));
      expect(bytes(await b.bus.history('hist', { before: 5, limit: 2 }))).toEqual(bytes(delivered.slice(2, 4)));
      expect(bytes(await b.bus.history('hist', { before: 3, limit: 10 }))).toEqual(bytes(delivered.slice(0, 2)));
      expect(await b.bus.history('hist', { before: 1, limit: 10 })).toEqual([]);
      expect(await b.bus.history('hist', { since: 6, limit: 10 })).toEqual([]);
      expect(await b.bus.history('never-used', { latest: 10 })).toEqual([]);
    });

    it('gives every process the same history epoch', async () => {
      const [a, b] = await start();
      expect(a.bus.epoch).not.toBe('');
      expect(b.bus.epoch).toBe(a.bus.epoch);
    });

    it('resolves a join with the room latest seq, on any process, again for a member already in', async () => {
      const [a, b] = await start();
      expect(await a.bus.join('seqs', 'ann')).toBe(0);
      for (const n of range(1, 3)) await a.bus.publish('seqs', 'ann', encodeMsgBody('seqs', 'ann', `m${n}`));
      expect(await b.bus.join('seqs', 'bob')).toBe(3);
      expect(await a.bus.join('seqs', 'ann')).toBe(3);
    });
  });

  describe('nicks', () => {
    it('claims a nick once across processes, case-insensitively, and frees it on release', async () => {
      const [a, b] = await start();
      expect(await a.bus.claimNick('Ann')).toBe(true);
      expect(await b.bus.claimNick('ann')).toBe(false);
      expect(await a.bus.claimNick('ANN')).toBe(false);
      a.bus.release('Ann', []);
      // release() is fire and forget: the nick is free once the sequencer has it.
      await eventually(async () => expect(await b.bus.claimNick('ann')).toBe(true));
      expect(await a.bus.claimNick('Ann')).toBe(false);
    });

    it('takes a released nick out of its rooms, and the other process hears it quit (a leave with quit)', async () => {
      const [a, b] = await start();
      await a.bus.claimNick('ann');
      await b.bus.claimNick('bob');
      await a.bus.join('bye', 'ann');
      await a.bus.join('also', 'ann');
      await b.bus.join('bye', 'bob');
      await b.bus.join('also', 'bob');
      b.bus.release('bob', ['bye', 'also']);
      await eventually(async () => expect(await a.bus.members('bye')).toEqual(['ann']));
      for (const room of ['bye', 'also']) {
        await eventually(() =>
          expect(a.sink.presence).toContainEqual({ type: 'presence', room, nick: 'bob', event: 'leave', quit: true }),
        );
      }
    });
  });

  describe('members, rooms and presence', () => {
    it('lists the members of a room and the rooms with members, the same from every process', async () => {
      const [a, b] = await start();
      await a.bus.join('lobby', 'ann');
      await b.bus.join('lobby', 'bob');
      await b.bus.join('quiet', 'bob');
      for (const peer of [a, b]) {
        expect((await peer.bus.members('lobby')).sort()).toEqual(['ann', 'bob']);
        expect(await peer.bus.members('nowhere')).toEqual([]);
        const rooms = await peer.bus.rooms(10);
        expect(rooms).toContainEqual({ room: 'lobby', members: 2 });
        expect(rooms).toContainEqual({ room: 'quiet', members: 1 });
        // Busiest first, at most `limit`.
        expect(rooms[0]).toEqual({ room: 'lobby', members: 2 });
        expect(await peer.bus.rooms(1)).toEqual([{ room: 'lobby', members: 2 }]);
      }
      b.bus.leave('quiet', 'bob');
      await eventually(async () => expect(await a.bus.rooms(10)).not.toContainEqual({ room: 'quiet', members: 1 }));
      expect(await a.bus.members('quiet')).toEqual([]);
    });

    it('announces a join and a leave on one process to the members on the other', async () => {
      const [a, b] = await start();
      await a.bus.join('hall', 'ann');
      await b.bus.join('hall', 'bob');
      await eventually(() =>
        expect(a.sink.presence).toContainEqual({ type: 'presence', room: 'hall', nick: 'bob', event: 'join' }),
      );
      b.bus.leave('hall', 'bob');
      await eventually(() =>
        expect(a.sink.presence).toContainEqual({ type: 'presence', room: 'hall', nick: 'bob', event: 'leave' }),
      );
      // A part is not a quit: no `quit` field at all (toContainEqual would let `quit: undefined` pass).
      expect(a.sink.presence.filter((p) => p.event === 'leave').map((p) => 'quit' in p)).toEqual([false]);
      expect(await a.bus.members('hall')).toEqual(['ann']);
    });

    it('relays typing to the other process and never keeps it in history', async () => {
      const [a, b] = await start();
      await a.bus.join('keys', 'ann');
      await b.bus.join('keys', 'bob');
      a.bus.typing('keys', 'ann');
      await eventually(() => expect(b.sink.typing).toContainEqual({ type: 'typing', room: 'keys', nick: 'ann' }));
      expect(await b.bus.history('keys', { latest: 10 })).toEqual([]);
    });
  });

  describe('direct messages and read markers', () => {
    it('delivers a DM to the process holding the nick and answers the sender with it; undefined for a nick nobody holds', async () => {
      const [a, b] = await start();
      await a.bus.claimNick('ann');
      await b.bus.claimNick('bob');
      const dm = await a.bus.dm('ann', 'bob', 'psst', 'd1');
      expect(dm).toMatchObject({ type: 'dm', from: 'ann', to: 'bob', text: 'psst', id: 'd1' });
      await eventually(() => expect(b.sink.dms).toEqual([dm]));
      if (!target.oneProcess) expect(a.sink.dms).toEqual([]);
      expect(await a.bus.dm('ann', 'nobody', 'hello?', undefined)).toBeUndefined();
    });

    it.skipIf(target.dmAsRegistered === false)(
      'delivers a DM to a nick typed in another case, answered with the nick as registered',
      async () => {
        const [a, b] = await start();
        await b.bus.claimNick('Bob');
        const dm = await a.bus.dm('ann', 'bOB', 'hey', undefined);
        expect(dm).toMatchObject({ from: 'ann', to: 'Bob', text: 'hey' });
        await eventually(() => expect(b.sink.dms).toEqual([dm]));
      },
    );

    it('stores a read marker from one process that another reads back, whatever the case of the nick', async () => {
      const [a, b] = await start();
      await a.bus.join('marked', 'ann');
      await a.bus.markRead('marked', 'ann', 12);
      expect(await b.bus.readMarker('marked', 'ANN')).toBe(12);
      expect(await b.bus.readMarker('marked', 'bob')).toBeUndefined();
    });
  });

  describe.skipIf(!target.rename)('rename (where the bus has it)', () => {
    it('renames a nick cluster-wide unique, carrying its rooms, and the other process hears the rename', async () => {
      const [a, b] = await start();
      await a.bus.claimNick('ann');
      await b.bus.claimNick('bob');
      await a.bus.join('names', 'ann');
      await b.bus.join('names', 'bob');
      expect(await a.bus.rename('ann', 'BOB', ['names'])).toBe(false);
      expect(await a.bus.rename('ann', 'anna', ['names'])).toBe(true);
      await eventually(() =>
        expect(b.sink.presence).toContainEqual({
          type: 'presence',
          room: 'names',
          nick: 'anna',
          event: 'rename',
          old: 'ann',
        }),
      );
      expect((await b.bus.members('names')).sort()).toEqual(['anna', 'bob']);
      // The old nick is freed as the rename finishes (fire and forget on Redis).
      await eventually(async () => expect(await b.bus.claimNick('ann')).toBe(true));
      expect(await b.bus.claimNick('anna')).toBe(false);
    });
  });

  describe.skipIf(!target.roomCommands)('room commands (where the bus has them)', () => {
    it('makes the first member operator; its topic reaches a later joiner on the other process', async () => {
      const [a, b] = await start();
      await a.bus.join('topical', 'ann');
      const set = await a.bus.roomCommand({
        op: 'topic',
        room: 'topical',
        by: { nick: 'ann', admin: false },
        text: 'hello',
      });
      expect(set.ok).toBe(true);
      const refused = await b.bus.roomCommand({
        op: 'topic',
        room: 'topical',
        by: { nick: 'bob', admin: false },
        text: 'mine',
      });
      expect(refused).toMatchObject({ ok: false });
      await b.bus.join('topical', 'bob');
      await eventually(() =>
        expect(b.sink.roomEvents).toContainEqual(
          expect.objectContaining({ to: 'bob', frame: expect.objectContaining({ text: 'hello' }) }),
        ),
      );
    });

    it('bans a member on the other process: it hears why, leaves the member list, and its next join is refused', async () => {
      const [a, b] = await start();
      await a.bus.join('strict', 'ann');
      await b.bus.join('strict', 'bob');
      const refused = await b.bus.roomCommand({ op: 'ban', room: 'strict', by: { nick: 'bob', admin: false }, nick: 'ann' });
      expect(refused).toEqual({ ok: false, refusal: 'not_op' });
      const banned = await a.bus.roomCommand({ op: 'ban', room: 'strict', by: { nick: 'ann', admin: false }, nick: 'bob' });
      expect(banned.ok).toBe(true);
      await eventually(() =>
        expect(b.sink.roomEvents).toContainEqual(
          expect.objectContaining({ frame: expect.objectContaining({ action: 'ban', nick: 'bob' }), remove: ['bob'] }),
        ),
      );
      await eventually(async () => expect(await a.bus.members('strict')).toEqual(['ann']));
      const rejoin = b.bus.join('strict', 'bob');
      await expect(rejoin).rejects.toBeInstanceOf(RoomRefusedError);
      await expect(rejoin).rejects.toMatchObject({ refusal: 'banned' });
    });

    it('deletes a message for its author (not for another member): a tombstone of the same seq, announced everywhere', async () => {
      const [a, b] = await start();
      await a.bus.join('oops', 'ann');
      await b.bus.join('oops', 'bob');
      const msg = await b.bus.publish('oops', 'bob', encodeMsgBody('oops', 'bob', 'typo'));
      // cy is a member and no operator (ann, the first, operates the room).
      await a.bus.join('oops', 'cy');
      const notYours = await a.bus.roomCommand({
        op: 'delete',
        room: 'oops',
        by: { nick: 'cy', admin: false },
        seq: msg.seq,
      });
      expect(notYours).toEqual({ ok: false, refusal: 'not_author' });
      expect(
        await b.bus.roomCommand({ op: 'delete', room: 'oops', by: { nick: 'bob', admin: false }, seq: msg.seq }),
      ).toEqual({
        ok: true,
      });
      await eventually(() =>
        expect(a.sink.roomEvents).toContainEqual(
          expect.objectContaining({ frame: expect.objectContaining({ type: 'delete', room: 'oops', seq: msg.seq }) }),
        ),
      );
      const [line] = await a.bus.history('oops', { latest: 10 });
      expect(isTombstoneLine(line!)).toBe(true);
      expect(readMsgSeq(line!)).toBe(msg.seq);
    });

    it('refuses a muted member publish with RoomRefusedError(muted), from any process', async () => {
      const [a, b] = await start();
      await a.bus.join('hushed', 'ann');
      await b.bus.join('hushed', 'bob');
      const muted = await a.bus.roomCommand({ op: 'mute', room: 'hushed', by: { nick: 'ann', admin: false }, nick: 'bob' });
      expect(muted.ok).toBe(true);
      const refused = b.bus.publish('hushed', 'bob', encodeMsgBody('hushed', 'bob', 'can you hear me'));
      await expect(refused).rejects.toBeInstanceOf(RoomRefusedError);
      await expect(refused).rejects.toMatchObject({ refusal: 'muted' });
      expect(await a.bus.history('hushed', { latest: 10 })).toEqual([]);
    });
  });

  describe.skipIf(target.maxRooms === undefined)('room cap (where the bus has one)', () => {
    it('refuses a new room over the cap with RoomLimitError, and makes way by forgetting an empty room', async () => {
      const [a, b] = await start();
      const cap = target.maxRooms!;
      for (const n of range(1, cap)) await a.bus.join(`cap${n}`, 'ann');
      await expect(b.bus.join('one-too-many', 'bob')).rejects.toBeInstanceOf(RoomLimitError);
      a.bus.leave('cap1', 'ann');
      await eventually(async () => expect(await b.bus.join('one-too-many', 'bob')).toBe(0));
    });
  });

  describe('outage', () => {
    it('is ready once started, on every process', async () => {
      const [a, b] = await start();
      expect(a.bus.ready && b.bus.ready).toBe(true);
    });

    it.skipIf(target.dropPeer === undefined)(
      'frees the nicks and memberships of a process whose link drops, and that process refuses with BusUnavailableError',
      async () => {
        const [a, b] = await start();
        await a.bus.claimNick('ann');
        await b.bus.claimNick('bob');
        await a.bus.join('crash', 'ann');
        await b.bus.join('crash', 'bob');
        await target.dropPeer!(world!, 1);
        await eventually(() =>
          expect(a.sink.presence).toContainEqual({
            type: 'presence',
            room: 'crash',
            nick: 'bob',
            event: 'leave',
            quit: true,
          }),
        );
        expect(await a.bus.members('crash')).toEqual(['ann']);
        expect(await a.bus.claimNick('bob')).toBe(true);
        expect(b.bus.ready).toBe(false);
        await expect(b.bus.claimNick('carol')).rejects.toBeInstanceOf(BusUnavailableError);
        await expect(b.bus.publish('crash', 'bob', encodeMsgBody('crash', 'bob', 'lost'))).rejects.toBeInstanceOf(
          BusUnavailableError,
        );
        expect(a.bus.ready).toBe(true);
      },
    );

    it.skipIf(target.stopBackend === undefined)(
      'turns not ready when the backend goes, and refuses what needs it with BusUnavailableError',
      async () => {
        const [a, b] = await start(true);
        await a.bus.claimNick('ann');
        await a.bus.join('dark', 'ann');
        await target.stopBackend!(world!);
        await eventually(() => expect(a.bus.ready || b.bus.ready).toBe(false));
        await expect(a.bus.publish('dark', 'ann', encodeMsgBody('dark', 'ann', 'anyone?'))).rejects.toBeInstanceOf(
          BusUnavailableError,
        );
        await expect(b.bus.join('dark', 'bob')).rejects.toBeInstanceOf(BusUnavailableError);
        await expect(b.bus.claimNick('bob')).rejects.toBeInstanceOf(BusUnavailableError);
        await expect(b.bus.history('dark', { latest: 10 })).rejects.toBeInstanceOf(BusUnavailableError);
      },
    );
  });
}
