import { describe, expect, it } from 'vitest';
import { MAX_LIST_ENTRIES, RoomRules, expiryOf } from '../../src/bus/room-rules.js';

describe('RoomRules', () => {
  it('ends a ban or mute with minutes when its time is up, and one without minutes never', () => {
    const rules = new RoomRules();
    const now = 1_000_000;
    rules.ban('bob', expiryOf(2, now));
    rules.ban('eve', expiryOf(undefined, now));
    rules.mute('cid', expiryOf(1, now));
    expect(rules.isBanned('BOB', undefined, now + 119_999)).toBe(true);
    expect(rules.isBanned('bob', undefined, now + 120_000)).toBe(false);
    expect(rules.isBanned('eve', undefined, now + 1e12)).toBe(true);
    expect(rules.refusal('cid', now + 59_999)).toBe('muted');
    expect(rules.refusal('cid', now + 60_000)).toBeUndefined();
  });

  it('bans an address apart from nicks', () => {
    const rules = new RoomRules();
    rules.ban('203.0.113.7', Infinity);
    expect(rules.isBanned('ann', '203.0.113.7', 0)).toBe(true);
    expect(rules.isBanned('ann', '203.0.113.8', 0)).toBe(false);
    expect(rules.isBanned('ann', undefined, 0)).toBe(false);
  });

  it('holds at most MAX_LIST_ENTRIES bans, and drops expired ones at the sweep', () => {
    const rules = new RoomRules();
    for (let i = 0; i < MAX_LIST_ENTRIES; i++) expect(rules.ban(`n${i}`, 10)).toBe(true);
    expect(rules.ban('one-more', 10)).toBe(false);
    expect(rules.ban('n0', 20)).toBe(true); // renewing one is not adding one
    rules.sweep(15);
    expect(rules.ban('one-more', 10)).toBe(true);
  });

  it('lets a member send once per slow-mode interval, exempts operators, and forgets on setSlow', () => {
    const rules = new RoomRules();
    rules.setSlow(2);
    rules.setOp('ann', true);
    expect(rules.restricts).toBe(true);
    expect(rules.refusal('bob', 0)).toBeUndefined();
    expect(rules.refusal('bob', 1_999)).toBe('slow_mode');
    expect(rules.refusal('bob', 2_000)).toBeUndefined();
    expect(rules.refusal('ann', 2_000)).toBeUndefined();
    expect(rules.refusal('ann', 2_001)).toBeUndefined();
    rules.setSlow(0);
    expect(rules.restricts).toBe(false);
  });

  it('carries op, mute and the slow-mode clock over a rename', () => {
    const rules = new RoomRules();
    rules.setSlow(10);
    rules.setOp('Ann', true);
    rules.mute('bob', Infinity);
    expect(rules.refusal('cid', 0)).toBeUndefined();
    rules.rename('Ann', 'Anna');
    rules.rename('bob', 'bobby');
    rules.rename('cid', 'cyd');
    expect(rules.ops).toEqual(['Anna']);
    expect(rules.isOp('ann')).toBe(false);
    expect(rules.refusal('bobby', 0)).toBe('muted');
    expect(rules.refusal('cyd', 1)).toBe('slow_mode');
  });

  it('restores what it serialized: roles, bans, mutes, slow mode and topic, and nothing for no rules', () => {
    expect(new RoomRules().serialize()).toBeUndefined();
    const rules = new RoomRules();
    rules.setOp('Ann', true);
    rules.ban('bob', Infinity);
    rules.ban('203.0.113.7', 5_000);
    rules.mute('cid', 9_000);
    rules.setSlow(30);
    rules.topic = { type: 'topic', room: 'r', text: 'hi', by: 'Ann', ts: 1 };
    const back = RoomRules.restore(rules.serialize());
    expect(back.ops).toEqual(['Ann']);
    expect(back.isBanned('BOB', undefined, 1e15)).toBe(true);
    expect(back.isBanned('x', '203.0.113.7', 4_999)).toBe(true);
    expect(back.isBanned('x', '203.0.113.7', 5_000)).toBe(false);
    expect(back.refusal('cid', 8_999)).toBe('muted');
    expect(back.slowMs).toBe(30_000);
    expect(back.topic).toEqual(rules.topic);
  });
});
