import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Greeter, type Greetable } from '../../src/core/greeter.js';

function conn(log: string[], name: string): Greetable {
  return { connectedAt: Date.now(), greet: () => log.push(name) };
}

describe('Greeter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('greets each connection once, delayMs after it was accepted, in accept order', () => {
    const log: string[] = [];
    const greeter = new Greeter(1000);
    greeter.add(conn(log, 'a'));
    vi.advanceTimersByTime(400);
    greeter.add(conn(log, 'b'));
    vi.advanceTimersByTime(599);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['a']);
    vi.advanceTimersByTime(399);
    expect(log).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['a', 'b']);
    vi.advanceTimersByTime(10_000);
    expect(log).toEqual(['a', 'b']);
    expect(greeter.waiting).toBe(0);
  });

  it('with delay 0 greets no one', () => {
    const log: string[] = [];
    const greeter = new Greeter(0);
    greeter.add(conn(log, 'a'));
    vi.advanceTimersByTime(10_000);
    expect(log).toEqual([]);
    expect(greeter.waiting).toBe(0);
  });

  it('greets no one after close', () => {
    const log: string[] = [];
    const greeter = new Greeter(100);
    greeter.add(conn(log, 'a'));
    greeter.close();
    greeter.add(conn(log, 'b'));
    vi.advanceTimersByTime(1000);
    expect(log).toEqual([]);
  });

  it('keeps up with many connections on one timer', () => {
    const log: string[] = [];
    const greeter = new Greeter(50);
    for (let i = 0; i < 5000; i++) {
      greeter.add(conn(log, String(i)));
      if (i % 100 === 0) vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(100);
    expect(log).toHaveLength(5000);
    expect(log[4999]).toBe('4999');
    expect(vi.getTimerCount()).toBe(0);
  });
});
