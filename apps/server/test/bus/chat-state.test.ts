/**
 * ChatState keeps a member's address once per connection (with its nick), not per room:
 * an address ban still finds exactly the members from that address, whichever process
 * holds them, after a rename, and forgets nothing a leave or release should not. And where
 * message lines are written: a room's slab, or one buffer reused from commit to commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMsgBody } from '@loopchat/protocol';
import { describe, expect, it } from 'vitest';
import { ChatState, type BusEvent } from '../../src/bus/chat-state.js';
import type { LineRef } from '../../src/core/line-slab.js';
import { SqliteStore } from '../../src/history/sqlite-store.js';
import type { Actor } from '../../src/bus/room-commands.js';
import { MemoryStore } from '../../src/history/memory-store.js';

const limits = { maxRooms: 10, emptyRoomTtlMs: 60_000, presenceMaxMembers: 100 };
const admin: Actor = { nick: 'root', admin: true };

/** `removed`: the nicks room events took out (each process with members hears the same event). */
function chatState(): { state: ChatState; removed: Set<string> } {
  const removed = new Set<string>();
  const route = (_owner: string, event: BusEvent): void => {
    for (const nick of event.t === 'room' ? (event.e.remove ?? []) : []) removed.add(nick);
  };
  return { state: new ChatState(limits, route, new MemoryStore(100)), removed };
}

function connect(state: ChatState, nick: string, owner: string, ip: string, rooms: string[]): void {
  expect(state.claimNick(nick, owner)).toBe(true);
  for (const room of rooms) expect(typeof state.join(room, nick, owner, ip)).toBe('number');
}

describe('ChatState bans by address', () => {
  it('takes out only the members from the banned address, on every process, and keeps them out', () => {
    const { state, removed } = chatState();
    connect(state, 'Ann', 'w1', '10.0.0.1', ['a', 'b']);
    connect(state, 'bob', 'w2', '10.0.0.1', ['a']);
    connect(state, 'cid', 'w1', '10.0.0.2', ['a', 'b']);
    expect(state.roomCommand({ op: 'ban', room: 'a', by: admin, ip: '10.0.0.1' })).toEqual({ ok: true });
    expect([...removed].sort()).toEqual(['Ann', 'bob']);
    expect(state.members('a')).toEqual(['cid']);
    expect(state.members('b').sort()).toEqual(['Ann', 'cid']);
    expect(state.join('a', 'Ann', 'w1', '10.0.0.1')).toBe('banned');
  });

  it('finds a renamed member by the address it joined from', () => {
    const { state, removed } = chatState();
    connect(state, 'ann', 'w1', '10.0.0.1', ['a']);
    connect(state, 'cid', 'w1', '10.0.0.2', ['a']);
    expect(state.rename('ann', 'Anna', ['a'], 'w1')).toBe(true);
    expect(state.roomCommand({ op: 'ban', room: 'a', by: admin, ip: '10.0.0.1' })).toEqual({ ok: true });
    expect([...removed]).toEqual(['Anna']);
    expect(state.members('a')).toEqual(['cid']);
  });

  it('does not hold a released nick to the address of its last holder', () => {
    const { state, removed } = chatState();
    connect(state, 'ann', 'w1', '10.0.0.1', ['a']);
    state.release('ann', ['a'], 'w1');
    connect(state, 'ann', 'w2', '10.0.0.2', ['a']);
    expect(state.roomCommand({ op: 'ban', room: 'a', by: admin, ip: '10.0.0.1' })).toEqual({ ok: true });
    expect(removed.size).toBe(0);
    expect(state.members('a')).toEqual(['ann']);
  });
});

describe('ChatState lines that only the commit needs (the cluster primary over SQLite)', () => {
  /** A router's line space as the primary's outbox is: one buffer, filled from the start again after each commit. */
  function turnBuffer() {
    const buf = Buffer.alloc(4096, '#');
    let at = 0;
    return {
      buf,
      reserve(size: number): LineRef {
        at += size;
        return { buf, start: at - size, end: at };
      },
      reset() {
        buf.fill('#');
        at = 0;
      },
    };
  }

  it("writes each line into the router's line space, and the store keeps every line as sent though the space is reused", () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopchat-turn-lines-'));
    const store = new SqliteStore({ dataDir: dir, historySize: 1000, maxAgeMs: 0, synchronous: 'normal' });
    try {
      const lines: LineRef[] = [];
      const route = (_owner: string, event: BusEvent): void => {
        if (event.t === 'msg') lines.push(event.msg.line);
      };
      const space = turnBuffer();
      const state = new ChatState(limits, route, store, undefined, space);
      connect(state, 'ann', 'w1', '10.0.0.1', ['a']);
      const texts = ['first', 'second', 'third', 'fourth'];
      for (const [i, text] of texts.entries()) {
        expect(typeof state.publish('a', 'ann', encodeMsgBody('a', 'ann', text))).toBe('object');
        expect(lines[i]!.buf).toBe(space.buf);
        if (i % 2 === 1) {
          expect(state.commit()).toBeUndefined();
          space.reset();
        }
      }
      // The second turn's first line took the first turn's place.
      expect(lines[2]!.start).toBe(lines[0]!.start);
      const stored = state.history('a', { latest: 10 }).map((line) => JSON.parse(line.toString()) as { text: string });
      expect(stored.map((m) => m.text)).toEqual(texts);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps lines in their room over a store that holds them (memory history)', () => {
    const lines: LineRef[] = [];
    const route = (_owner: string, event: BusEvent): void => {
      if (event.t === 'msg') lines.push(event.msg.line);
    };
    const space = turnBuffer();
    const state = new ChatState(limits, route, new MemoryStore(100), undefined, space);
    connect(state, 'ann', 'w1', '10.0.0.1', ['a']);
    for (const text of ['one', 'two']) {
      state.publish('a', 'ann', encodeMsgBody('a', 'ann', text));
      state.commit();
    }
    expect(lines[1]!.start).toBeGreaterThan(lines[0]!.start);
    expect(lines.some((line) => line.buf === space.buf)).toBe(false);
    expect(state.history('a', { latest: 10 }).map((line) => (JSON.parse(line.toString()) as { text: string }).text)).toEqual(
      ['one', 'two'],
    );
  });
});
