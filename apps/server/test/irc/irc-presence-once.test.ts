import { describe, expect, it } from 'vitest';
import type { PresenceFrame } from '@loopchat/protocol';
import { PresenceOnce } from '../../src/irc/irc-presence-once.js';

const quit = (nick: string, room = 'one'): PresenceFrame => ({ type: 'presence', room, nick, event: 'leave', quit: true });
const rename = (old: string, nick: string, room = 'one'): PresenceFrame => ({
  type: 'presence',
  room,
  nick,
  event: 'rename',
  old,
});
const join = (nick: string, room = 'one'): PresenceFrame => ({ type: 'presence', room, nick, event: 'join' });

describe('PresenceOnce', () => {
  it('passes the first quit of a nick and drops its repeats from other rooms, whatever the case', () => {
    const once = new PresenceOnce();
    expect(once.repeats(quit('Bob', 'one'), 0)).toBe(false);
    expect(once.repeats(quit('bob', 'two'), 1)).toBe(true);
    expect(once.repeats(quit('BOB', 'three'), 2)).toBe(true);
    expect(once.repeats(quit('carl', 'one'), 3)).toBe(false);
  });

  it('never drops joins and parts', () => {
    const once = new PresenceOnce();
    const part: PresenceFrame = { type: 'presence', room: 'one', nick: 'bob', event: 'leave' };
    for (let i = 0; i < 3; i++) {
      expect(once.repeats(part, i)).toBe(false);
      expect(once.repeats(join('bob'), i)).toBe(false);
    }
  });

  it('shows a quit again once the nick joined a channel again, or after a few seconds', () => {
    const once = new PresenceOnce();
    expect(once.repeats(quit('bob'), 0)).toBe(false);
    expect(once.repeats(join('bob', 'two'), 10)).toBe(false);
    expect(once.repeats(quit('bob'), 20)).toBe(false);
    expect(once.repeats(quit('bob', 'two'), 30)).toBe(true);
    expect(once.repeats(quit('bob'), 10_000)).toBe(false);
  });

  it('passes one NICK per rename, and a rename back and forth each time', () => {
    const once = new PresenceOnce();
    expect(once.repeats(rename('rob', 'robert', 'one'), 0)).toBe(false);
    expect(once.repeats(rename('rob', 'robert', 'two'), 1)).toBe(true);
    expect(once.repeats(rename('robert', 'rob', 'one'), 2)).toBe(false);
    expect(once.repeats(rename('robert', 'rob', 'two'), 3)).toBe(true);
    expect(once.repeats(rename('rob', 'robert', 'one'), 4)).toBe(false);
    // A quit of the new nick is news.
    expect(once.repeats(quit('robert'), 5)).toBe(false);
  });

  it('remembers at most 64 announcements', () => {
    const once = new PresenceOnce();
    for (let n = 0; n <= 64; n++) expect(once.repeats(quit(`n${n}`), n)).toBe(false);
    // The oldest was forgotten: its repeat shows; the newest is still known.
    expect(once.repeats(quit('n0', 'two'), 100)).toBe(false);
    expect(once.repeats(quit('n64', 'two'), 100)).toBe(true);
  });
});
