import { describe, expect, it } from 'vitest';
import { FlushPacer } from '../../src/cluster/flush-pacer.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FlushPacer', () => {
  it('flushes at the end of the turn when it has been quiet, once however often asked', async () => {
    let flushes = 0;
    const pacer = new FlushPacer(50, () => flushes++);
    pacer.request();
    pacer.request();
    expect(flushes).toBe(0);
    await turn();
    expect(flushes).toBe(1);
  });

  it('waits out the interval after a flush, then flushes what came meanwhile in one go', async () => {
    let flushes = 0;
    const pacer = new FlushPacer(40, () => flushes++);
    pacer.request();
    await turn();
    pacer.request();
    pacer.request();
    await turn();
    await sleep(10);
    expect(flushes).toBe(1);
    await sleep(60);
    expect(flushes).toBe(2);
  });

  it('with interval 0 flushes at the end of every turn', async () => {
    let flushes = 0;
    const pacer = new FlushPacer(0, () => flushes++);
    for (let i = 0; i < 3; i++) {
      pacer.request();
      await turn();
    }
    expect(flushes).toBe(3);
  });
});
