import { describe, expect, it } from 'vitest';
import { SeqTracker, mergeAccounts } from '../src/engine/accounting.js';

function feed(t: SeqTracker, seqs: number[]): void {
  for (const s of seqs) t.onMsg(s);
}

describe('per-receiver seq accounting', () => {
  it('counts a gap filled later as a reorder, not a loss', () => {
    const t = new SeqTracker(0);
    t.start(0);
    feed(t, [1, 2, 4, 3, 5]);
    expect(t.account()).toMatchObject({ missing: 0, reorder: 1, dup: 0, unique: 5, max: 5 });
  });

  it('counts a seq seen twice as a duplicate', () => {
    const t = new SeqTracker(0);
    t.start(10);
    feed(t, [11, 12, 12, 13, 11]);
    expect(t.account()).toMatchObject({ dup: 2, unique: 3, reorder: 0 });
  });

  it('does not expect our own messages, whether the ack comes before or after the others', () => {
    const t = new SeqTracker(0);
    t.start(0);
    t.onOwn(2); // ack before msg 3 passes it
    feed(t, [1, 3]);
    feed(t, [5]); // 4 missing for now
    t.onOwn(4); // then its ack arrives: it was ours
    t.onOwn(7); // ours, beyond max
    expect(t.account()).toMatchObject({ missing: 0, reorder: 0, own: 3, ownAbove: 1, max: 5 });
  });

  it('merges receivers across processes with the room’s final seq, counting tail losses', () => {
    const a = new SeqTracker(3);
    a.start(0);
    feed(a, [1, 2, 3, 5]); // 4 lost, 6 (tail) lost
    const b = new SeqTracker(3);
    b.start(0);
    feed(b, [1, 2, 3, 4, 5, 6]);
    const totals = mergeAccounts([a.account(), b.account()], new Map([[3, 6]]));
    expect(totals).toMatchObject({ expected: 12, delivered: 10, lost: 2, dup: 0, reorder: 0, badRooms: [3] });
  });
});
