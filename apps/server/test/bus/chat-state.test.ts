/**
 * ChatState keeps a member's address once per connection (with its nick), not per room:
 * an address ban still finds exactly the members from that address, whichever process
 * holds them, after a rename, and forgets nothing a leave or release should not.
 */
import { describe, expect, it } from 'vitest';
import { ChatState, type BusEvent } from '../../src/bus/chat-state.js';
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
