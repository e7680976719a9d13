import { describe, expect, it } from 'vitest';
import { ReadThrottle, type ReadWaiter } from '../../src/core/read-throttle.js';

/** A clock the test moves by hand: each resumeReading "costs" what the waiter says. */
function fakeClock() {
  const clock = { now: 0 };
  return { clock, read: () => clock.now };
}

function waiter(log: string[], name: string, clock: { now: number }, costMs: number): ReadWaiter {
  return {
    resumeReading() {
      log.push(name);
      clock.now += costMs;
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ReadThrottle', () => {
  it('lets input through until the turn has spent its budget', () => {
    const { clock, read } = fakeClock();
    const throttle = new ReadThrottle(10, read);
    expect(throttle.shouldDefer()).toBe(false);
    clock.now = 9;
    expect(throttle.shouldDefer()).toBe(false);
    clock.now = 10;
    expect(throttle.shouldDefer()).toBe(true);
  });

  it('starts a fresh budget in the next turn when nobody waits', async () => {
    const { clock, read } = fakeClock();
    const throttle = new ReadThrottle(10, read);
    expect(throttle.shouldDefer()).toBe(false);
    clock.now = 50;
    await turn();
    expect(throttle.shouldDefer()).toBe(false);
  });

  it('makes newcomers wait behind connections already waiting, then drains them in order within the budget', async () => {
    const { clock, read } = fakeClock();
    const throttle = new ReadThrottle(10, read);
    const log: string[] = [];
    throttle.shouldDefer();
    clock.now = 10;
    for (const name of ['a', 'b', 'c', 'd']) {
      expect(throttle.shouldDefer()).toBe(true);
      throttle.defer(waiter(log, name, clock, 6));
    }
    expect(throttle.waiting).toBe(4);
    await turn();
    // 6 ms each against a 10 ms budget: two per turn.
    expect(log).toEqual(['a', 'b']);
    expect(throttle.shouldDefer()).toBe(true);
    await turn();
    expect(log).toEqual(['a', 'b', 'c', 'd']);
    expect(throttle.waiting).toBe(0);
    await turn();
    expect(throttle.shouldDefer()).toBe(false);
  });
});
