import { describe, expect, it } from 'vitest';
import { createModerationFilter } from '../../src/moderation/filter.js';
import { SenderState, SenderTable, isShouting } from '../../src/moderation/spam.js';

describe('SenderState.flood', () => {
  it('allows floodMax messages per window and rejects the next', () => {
    const s = new SenderState(3, 4);
    expect([0, 10, 20].map((t) => s.flood(t, 1000))).toEqual([false, false, false]);
    expect(s.flood(30, 1000)).toBe(true);
  });

  it('slides: once the oldest message leaves the window the sender may send again', () => {
    const s = new SenderState(3, 4);
    for (const t of [0, 400, 800]) s.flood(t, 1000);
    expect(s.flood(999, 1000)).toBe(true); // 0, 400, 800 and this one within 1000 ms
    expect(s.flood(1500, 1000)).toBe(false); // within (500, 1500]: 800, 999 and this one
    expect(s.flood(1600, 1000)).toBe(true); // 800, 999, 1500 and this one
    expect(s.flood(2600, 1000)).toBe(false); // 1500, 1600 and this one
  });

  it('counts rejected messages, so a sender that keeps flooding stays blocked', () => {
    const s = new SenderState(2, 4);
    s.flood(0, 1000);
    s.flood(100, 1000);
    for (let t = 200; t < 5000; t += 200) expect(s.flood(t, 1000)).toBe(true);
  });
});

describe('SenderState.repeats', () => {
  it('counts copies of a fingerprint within the window, this one included', () => {
    const s = new SenderState(10, 4);
    expect(s.repeats(7, 0, 1000)).toBe(1);
    expect(s.repeats(8, 10, 1000)).toBe(1);
    expect(s.repeats(7, 20, 1000)).toBe(2);
    expect(s.repeats(7, 30, 1000)).toBe(3);
    expect(s.repeats(7, 1025, 1000)).toBe(2); // the copies at 0 and 20 left the window
  });

  it('remembers only repeatHistory texts', () => {
    const s = new SenderState(10, 2);
    s.repeats(1, 0, 1000);
    s.repeats(2, 1, 1000);
    s.repeats(3, 2, 1000);
    expect(s.repeats(1, 3, 1000)).toBe(1);
  });
});

describe('SenderTable (bounded memory)', () => {
  it('never holds more than maxSenders records', () => {
    const t = new SenderTable({ maxSenders: 100, floodMax: 5, repeatHistory: 4 });
    for (let i = 0; i < 10_000; i++) t.touch(`user${i}`);
    expect(t.size).toBe(100);
    expect(t.has('user9999')).toBe(true);
    expect(t.has('user0')).toBe(false);
  });

  it('evicts the least recently used sender, not an active one', () => {
    const t = new SenderTable({ maxSenders: 3, floodMax: 5, repeatHistory: 4 });
    t.touch('a');
    t.touch('b');
    t.touch('c');
    t.touch('a');
    t.touch('d');
    expect(['a', 'b', 'c', 'd'].map((k) => t.has(k))).toEqual([true, false, true, true]);
  });

  it('forgets a sender on request', () => {
    const t = new SenderTable({ maxSenders: 3, floodMax: 5, repeatHistory: 4 });
    const a = t.touch('a');
    t.forget('a');
    expect(t.has('a')).toBe(false);
    expect(t.touch('a')).not.toBe(a);
  });
});

describe('spam heuristics through the filter', () => {
  it('keeps per-sender state bounded while many senders flood', () => {
    const f = createModerationFilter({ level: 'strict', terms: ['x'], maxSenders: 50, floodMax: 2, floodWindowMs: 1000 });
    for (let i = 0; i < 5000; i++) f.check(`bot${i}`, 'hi', i);
    expect(f.trackedSenders).toBe(50);
  });

  it('keeps an active flooder tracked while others come and go, and forgets it once idle', () => {
    const f = createModerationFilter({ level: 'basic', terms: ['x'], maxSenders: 10, floodMax: 2, floodWindowMs: 60_000 });
    f.check('spammer', 'a', 0);
    f.check('spammer', 'b', 1);
    for (let i = 0; i < 9; i++) f.check(`u${i}`, 'hello', 2);
    expect(f.check('spammer', 'c', 3)).toEqual({ action: 'reject', reason: 'flood' });
    for (let i = 0; i < 10; i++) f.check(`v${i}`, 'hello', 4);
    expect(f.check('spammer', 'd', 5)).toEqual({ action: 'allow' });
  });

  it('forget() drops a sender (e.g. on disconnect)', () => {
    const f = createModerationFilter({ level: 'basic', terms: ['x'], floodMax: 1 });
    f.check('a', 'one', 0);
    expect(f.check('a', 'two', 1)).toEqual({ action: 'reject', reason: 'flood' });
    f.forget('a');
    expect(f.trackedSenders).toBe(0);
    expect(f.check('a', 'three', 2)).toEqual({ action: 'allow' });
  });

  it('treats obfuscated copies as repetition (strict)', () => {
    const f = createModerationFilter({ level: 'strict', terms: ['x'], repeatMax: 2 });
    expect(f.check('a', 'join my server now', 0)).toEqual({ action: 'allow' });
    expect(f.check('a', 'J0IN  MY SERVER NOW', 10)).toEqual({ action: 'reject', reason: 'repetition' });
  });
});

describe('isShouting', () => {
  const o = { capsRatio: 0.7, capsMinLetters: 12 };
  it('needs enough letters and more than capsRatio of them uppercase', () => {
    expect(isShouting(11, 11, o)).toBe(false);
    expect(isShouting(12, 9, o)).toBe(true);
    expect(isShouting(20, 14, o)).toBe(false); // exactly 0.7 is not more
    expect(isShouting(20, 15, o)).toBe(true);
  });
});
