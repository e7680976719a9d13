import { describe, expect, it } from 'vitest';
import type { MsgFrame } from '@loopchat/protocol';
import { RoomLog } from '../src/room-log.js';

const msg = (seq: number): MsgFrame => ({ type: 'msg', room: 'r', from: 'x', text: `m${seq}`, seq, ts: seq });

function log(maxBuffered = 100) {
  const delivered: number[] = [];
  const gaps: [number, number][] = [];
  const resets: number[] = [];
  const room = new RoomLog(
    'r',
    {
      deliver: (m) => delivered.push(m.seq),
      gap: (_room, from, to) => gaps.push([from, to]),
      reset: (_room, seq) => resets.push(seq),
    },
    maxBuffered,
  );
  return { room, delivered, gaps, resets };
}

describe('RoomLog', () => {
  it('delivers in seq order from after the join ack, and each message once', () => {
    const { room, delivered } = log();
    room.joined(3);
    for (const seq of [2, 3, 4, 4, 5, 3]) room.accept(msg(seq));
    expect(delivered).toEqual([4, 5]);
    expect(room.lastSeq).toBe(5);
    expect(room.wantsFill).toBe(false);
  });

  it('holds messages that arrive before the join ack and keeps those after its seq', () => {
    const { room, delivered } = log();
    room.accept(msg(6));
    room.accept(msg(5));
    expect(delivered).toEqual([]);
    room.joined(5);
    expect(delivered).toEqual([6]);
  });

  it('wants a fill from the last seq on a hole, and delivers the held messages once it closes', () => {
    const { room, delivered } = log();
    room.joined(0);
    room.accept(msg(1));
    room.accept(msg(3));
    room.accept(msg(4));
    expect(delivered).toEqual([1]);
    expect(room.wantsFill).toBe(true);
    expect(room.beginFill()).toBe(1);
    expect(room.wantsFill).toBe(false); // one fill at a time
    for (const seq of [2, 3, 4]) room.accept(msg(seq)); // the history page
    expect(room.endPage(3, 100)).toBeUndefined();
    expect(delivered).toEqual([1, 2, 3, 4]);
  });

  it('asks for the next page while a full page leaves messages missing', () => {
    const { room, delivered } = log();
    room.joined(0);
    room.joined(5); // a re-join: the room moved on to 5 meanwhile
    expect(room.beginFill()).toBe(0);
    room.accept(msg(1));
    room.accept(msg(2));
    expect(room.endPage(2, 2)).toBe(2);
    for (const seq of [3, 4]) room.accept(msg(seq));
    expect(room.endPage(2, 2)).toBe(4);
    room.accept(msg(5));
    expect(room.endPage(1, 2)).toBeUndefined();
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports what history no longer holds as a gap and moves on', () => {
    const { room, delivered, gaps } = log();
    room.joined(10);
    room.accept(msg(14));
    room.beginFill();
    room.accept(msg(13)); // history kept only 13 and 14
    room.accept(msg(14));
    expect(room.endPage(2, 100)).toBeUndefined();
    expect(gaps).toEqual([[11, 12]]);
    expect(delivered).toEqual([13, 14]);
  });

  it('skips a hole that stays open while more than maxBuffered messages wait behind it', () => {
    const { room, delivered, gaps } = log(2);
    room.joined(0);
    for (const seq of [2, 3, 4]) room.accept(msg(seq));
    expect(gaps).toEqual([[1, 1]]);
    expect(delivered).toEqual([2, 3, 4]);
  });

  it('starts over when a re-join reports a lower seq (the room lost its history)', () => {
    const { room, delivered, resets } = log();
    room.joined(0);
    for (const seq of [1, 2, 3]) room.accept(msg(seq));
    room.joined(1);
    expect(resets).toEqual([1]);
    room.accept(msg(2));
    expect(delivered).toEqual([1, 2, 3, 2]);
  });

  it('starts over at the re-join after a new epoch, even when the seq did not go down', () => {
    const { room, delivered, resets } = log();
    room.joined(0);
    for (const seq of [1, 2, 3]) room.accept(msg(seq));
    room.newEpoch();
    room.joined(7);
    expect(resets).toEqual([7]);
    expect(room.wantsFill).toBe(false);
    room.accept(msg(8));
    expect(delivered).toEqual([1, 2, 3, 8]);
  });

  it('can begin a new fill after one was aborted', () => {
    const { room } = log();
    room.joined(0);
    room.accept(msg(2));
    room.beginFill();
    room.abortFill();
    expect(room.wantsFill).toBe(true);
  });
});
