/** The primary's spread of new connections over its workers (cluster/accept-balance.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AcceptBalance } from '../../src/cluster/accept-balance.js';

const changes = (m: Map<string, boolean>): Record<string, boolean> => Object.fromEntries(m);

/** A worker's report that has taken in every word sent to it. */
function report(b: AcceptBalance, worker: string, count: number, accepting = true): Record<string, boolean> {
  return changes(b.update(worker, count, accepting, b.word(worker)));
}

describe('AcceptBalance', () => {
  it('holds a worker more than the margin above the mean, and lets it go at half the margin', () => {
    const b = new AcceptBalance();
    expect(report(b, '1', 0)).toEqual({});
    expect(report(b, '2', 0)).toEqual({});
    expect(report(b, '1', 16)).toEqual({}); // mean 8, the margin 8 at least
    expect(report(b, '1', 17)).toEqual({ '1': true }); // 17 > 8.5 + 8
    expect(report(b, '1', 18, false)).toEqual({});
    expect(report(b, '2', 9)).toEqual({}); // 18 > 13.5 + 4
    expect(report(b, '2', 10)).toEqual({ '1': false }); // 18 <= 14 + 4
    expect(b.isHeld('1')).toBe(false);
  });

  it('scales the margin with the mean (5 % of it), and holds only those above it, not all but the least loaded', () => {
    const b = new AcceptBalance();
    for (const w of ['1', '2', '3']) report(b, w, 16_000);
    expect(report(b, '3', 17_200)).toEqual({}); // mean 16,400 + 820
    expect(report(b, '3', 17_400)).toEqual({ '3': true }); // mean 16,467 + 824
    // 2 is above the least loaded by more than the margin, but not above the mean: it accepts.
    expect(report(b, '2', 16_900)).toEqual({});
    expect(b.isHeld('2')).toBe(false);
  });

  it('holds a worker only while a sibling has confirmed it accepts, with a report sent after its last word', () => {
    const b = new AcceptBalance();
    report(b, '1', 0);
    expect(report(b, '2', 50)).toEqual({ '2': true });
    report(b, '2', 50, false);
    // 1 overtakes 2: 2 is let go at once, but 1 is held only once 2 says it listens again.
    expect(report(b, '1', 100)).toEqual({ '2': false });
    // A report from before the release (its word is the hold's) confirms nothing.
    expect(changes(b.update('2', 50, true, b.word('2') - 1))).toEqual({});
    expect(b.isHeld('1')).toBe(false);
    expect(report(b, '2', 50)).toEqual({ '1': true });
  });

  it('lets a held worker go when the least loaded one leaves, and never holds the only worker', () => {
    const b = new AcceptBalance();
    report(b, '1', 100);
    expect(report(b, '2', 50)).toEqual({ '1': true });
    expect(changes(b.remove('2'))).toEqual({ '1': false });
    expect(report(b, '1', 10_000)).toEqual({});
  });

  it('never leaves the cluster without a listening worker, however counts, words and reports interleave', () => {
    // Each worker as it runs: a word reaches it later (in order); a hold closes its listeners
    // at once, a release opens them later; a report tells its count, whether it listens and
    // the last word it took in.
    const step = fc.record({
      worker: fc.constantFrom('1', '2'),
      action: fc.constantFrom('count', 'deliver', 'listened', 'report'),
      count: fc.nat(200),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const b = new AcceptBalance();
        type W = { count: number; listening: boolean; opening: boolean; word: number; inbox: [boolean, number][] };
        const ws = new Map<string, W>();
        const send = (m: Map<string, boolean>): void => {
          for (const [w, hold] of m) ws.get(w)!.inbox.push([hold, b.word(w)]);
        };
        for (const id of ['1', '2']) {
          ws.set(id, { count: 0, listening: true, opening: false, word: 0, inbox: [] });
          send(b.update(id, 0, true, 0));
        }
        for (const { worker, action, count } of steps) {
          const w = ws.get(worker)!;
          if (action === 'count') w.count = count;
          else if (action === 'deliver') {
            const word = w.inbox.shift();
            if (word === undefined) continue;
            w.word = word[1];
            if (word[0]) {
              w.listening = false;
              w.opening = false;
            } else if (!w.listening) w.opening = true;
          } else if (action === 'listened') {
            if (!w.opening) continue;
            w.opening = false;
            w.listening = true;
          } else send(b.update(worker, w.count, w.listening, w.word));
          expect([...ws.values()].some((x) => x.listening)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
