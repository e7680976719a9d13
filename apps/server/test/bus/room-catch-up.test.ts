import type { MsgFrame } from '@loopchat/protocol';
import { describe, expect, it } from 'vitest';
import { RoomCatchUp } from '../../src/bus/room-catch-up.js';

const msg = (seq: number, room = 'r'): MsgFrame => ({ type: 'msg', room, from: 'ann', text: `m${seq}`, seq, ts: seq });

function setup() {
  const delivered: number[] = [];
  const catchUp = new RoomCatchUp((m) => delivered.push(m.seq));
  return { delivered, catchUp };
}

describe('RoomCatchUp', () => {
  it('delivers live messages as they come and remembers the last seq per room', () => {
    const { delivered, catchUp } = setup();
    catchUp.live(msg(1));
    catchUp.live(msg(2));
    catchUp.live(msg(7, 'other'));
    expect(delivered).toEqual([1, 2, 7]);
    expect(catchUp.rooms()).toEqual([
      ['r', 2],
      ['other', 7],
    ]);
  });

  it('fills the gap from the stream and drops live messages the stream already had', () => {
    const { delivered, catchUp } = setup();
    catchUp.live(msg(1));
    catchUp.begin('r');
    // Live again before the stream was read: 5 and 6 arrive live, 2..5 were missed.
    catchUp.live(msg(5));
    catchUp.live(msg(6));
    expect(delivered).toEqual([1]);
    catchUp.finish('r', [msg(2), msg(3), msg(4), msg(5)]);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
    catchUp.live(msg(7));
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('drops a message that arrives live after the stream read already delivered it', () => {
    const { delivered, catchUp } = setup();
    catchUp.live(msg(1));
    catchUp.begin('r');
    catchUp.finish('r', [msg(2), msg(3)]);
    // Published just before the read: in the stream and, later, on pub/sub too.
    catchUp.live(msg(2));
    catchUp.live(msg(3));
    catchUp.live(msg(4));
    expect(delivered).toEqual([1, 2, 3, 4]);
  });

  it('starts a new epoch when Redis came back empty (seqs restart at 1)', () => {
    const { delivered, catchUp } = setup();
    catchUp.live(msg(40));
    catchUp.begin('r');
    catchUp.live(msg(1));
    catchUp.live(msg(2));
    catchUp.finish('r', []);
    expect(delivered).toEqual([40, 1, 2]);
    catchUp.live(msg(3));
    expect(delivered).toEqual([40, 1, 2, 3]);
  });

  it('lets held messages through when the stream could not be read', () => {
    const { delivered, catchUp } = setup();
    catchUp.live(msg(1));
    catchUp.begin('r');
    catchUp.live(msg(4));
    catchUp.finish('r', undefined);
    expect(delivered).toEqual([1, 4]);
  });

  it('forgets a room without local members', () => {
    const { catchUp } = setup();
    catchUp.live(msg(1));
    catchUp.forget('r');
    expect(catchUp.rooms()).toEqual([]);
  });
});
