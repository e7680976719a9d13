import { describe, expect, it } from 'vitest';
import { boxCeiling, clientUsPerMsg } from '../src/box-ceiling.js';

describe('boxCeiling', () => {
  it('is bound by the workers when the load generator costs nothing', () => {
    expect(boxCeiling({ cores: 2, workers: 1, serverUsPerMsg: 100, clientUsPerMsg: 0 })).toBe(10_000);
    expect(boxCeiling({ cores: 2, workers: 2, serverUsPerMsg: 100, clientUsPerMsg: 0 })).toBe(20_000);
  });

  it('is bound by the whole box when the load generator shares it', () => {
    // 2 cores, 60 µs server + 60 µs client per message: 2e6 / 120 = 16,667 msg/s, whatever N.
    expect(boxCeiling({ cores: 2, workers: 2, serverUsPerMsg: 60, clientUsPerMsg: 60 })).toBeCloseTo(16_666.7, 0);
    expect(boxCeiling({ cores: 2, workers: 1, serverUsPerMsg: 60, clientUsPerMsg: 60 })).toBeCloseTo(16_666.7, 0);
  });

  it('reads the load generator cost from its processes', () => {
    expect(clientUsPerMsg([30, 20], 10_000)).toBe(50);
    expect(clientUsPerMsg([30], 0)).toBe(0);
  });
});
