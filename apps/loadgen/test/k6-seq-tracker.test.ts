/**
 * The k6 scenarios' loss counting and timed ids (apps/loadgen/k6/lib/loopchat.js), run in
 * Node: the helpers are plain JavaScript with no k6 import and no k6 global.
 */
import { beforeAll, describe, expect, it } from 'vitest';

interface SeqTracker {
  see(seq: number): number;
  finish(): number;
}
interface Lib {
  SeqTracker: new (joinedAt: number) => SeqTracker;
  timedId(sentAt: number, n: number): string;
  sentAtOf(id: unknown): number | undefined;
  nickFor(prefix: string, vu: number, iteration: number): string;
  parseFrame(data: string): { type: string } | undefined;
  DEFAULT_WS_URL: string;
  httpBase(wsUrl: string): string;
}

let lib: Lib;

beforeAll(async () => {
  // A runtime path (not a literal import): this JavaScript is k6's, outside the TS project.
  const path = new URL('../k6/lib/loopchat.js', import.meta.url).href;
  lib = (await import(path)) as Lib;
});

describe('SeqTracker', () => {
  it('counts nothing lost when every seq after the join arrives in order', () => {
    const t = new lib.SeqTracker(10);
    expect([11, 12, 13, 14].map((s) => t.see(s))).toEqual([0, 0, 0, 0]);
    expect(t.finish()).toBe(0);
  });

  it('forgives an ack and a msg of one turn arriving swapped', () => {
    const t = new lib.SeqTracker(0);
    expect([1, 3, 2, 4].map((s) => t.see(s))).toEqual([0, 0, 0, 0]);
    expect(t.finish()).toBe(0);
  });

  it('counts the seqs still missing when the session ends', () => {
    const t = new lib.SeqTracker(0);
    for (const s of [1, 2, 5, 7]) t.see(s);
    expect(t.finish()).toBe(3); // 3, 4 and 6
  });

  it('declares a gap lost once seqs far past it arrive, keeping its memory bounded', () => {
    const t = new lib.SeqTracker(0);
    let lost = t.see(1);
    for (let s = 3; s <= 1000; s++) lost += t.see(s);
    expect(lost).toBe(1);
    expect(t.finish()).toBe(0);
  });

  it('ignores duplicates', () => {
    const t = new lib.SeqTracker(0);
    expect([1, 1, 2, 2].map((s) => t.see(s))).toEqual([0, 0, 0, 0]);
    expect(t.finish()).toBe(0);
  });
});

describe('k6 helpers', () => {
  it('carries the send time in a message id and reads only its own ids back', () => {
    const id = lib.timedId(1_700_000_000_123, 7);
    expect(id.length).toBeLessThanOrEqual(64); // the protocol's id limit
    expect(lib.sentAtOf(id)).toBe(1_700_000_000_123);
    expect(lib.sentAtOf('someone-else')).toBeUndefined();
    expect(lib.sentAtOf(42)).toBeUndefined();
  });

  it('makes nicks the server accepts', () => {
    const nick = lib.nickFor('k6u', 12345, 67890);
    expect(nick).toMatch(/^[A-Za-z][A-Za-z0-9_-]{0,23}$/);
  });

  it('parses frames and ignores what is not one', () => {
    expect(lib.parseFrame('{"type":"ack","id":1}')).toEqual({ type: 'ack', id: 1 });
    expect(lib.parseFrame('not json')).toBeUndefined();
    expect(lib.parseFrame('[1,2]')).toBeUndefined();
  });

  it('defaults to the WebSocket URL `npm start` serves, and finds /stats beside it', () => {
    expect(lib.DEFAULT_WS_URL).toBe('ws://127.0.0.1:8080/ws');
    expect(lib.httpBase(lib.DEFAULT_WS_URL)).toBe('http://127.0.0.1:8080');
    expect(lib.httpBase('wss://chat.example.net/ws?token=x')).toBe('https://chat.example.net');
  });
});
