import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import { SOURCE_PORT_FIRST, buildPlan, planForProc } from '../src/plan.js';

describe('connection plan', () => {
  it('gives every connection its own (source address, port) when source addresses are given', () => {
    const cfg = resolveRunConfig({ connections: 1000, rooms: 10, sourceIps: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
    const plan = buildPlan(cfg);
    const pairs = new Set(plan.map((c) => `${c.localAddress}:${c.localPort}`));
    expect(pairs.size).toBe(1000);
    expect(Math.min(...plan.map((c) => c.localPort!))).toBe(SOURCE_PORT_FIRST);
    // Processes split the plan, so their ports never collide either.
    const perProc = [0, 1, 2, 3].map((p) => planForProc(plan, p, 4).length);
    expect(perProc.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('leaves the port to the kernel without source addresses', () => {
    const plan = buildPlan(resolveRunConfig({ connections: 10, rooms: 2 }));
    expect(plan.every((c) => c.localPort === undefined && c.localAddress === undefined)).toBe(true);
  });
});
