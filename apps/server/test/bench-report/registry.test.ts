/** The bench's parts registry (bench/parts/registry.ts): every part once, run and report orders. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { PARTS } from '../../bench/lib/results.js';
import { BENCH_PARTS, REPORT_ORDER } from '../../bench/parts/registry.js';

describe('the bench parts registry', () => {
  it('registers every part once, in the order a full run runs them', () => {
    expect(BENCH_PARTS.map((part) => part.id)).toEqual([...PARTS]);
  });

  it('renders every part once in the report', () => {
    expect([...REPORT_ORDER].sort()).toEqual([...PARTS].sort());
  });

  it('gives each flag to one part only', () => {
    const names = BENCH_PARTS.flatMap((part) => part.addFlags(new Command()).options.map((o) => o.long));
    expect(new Set(names).size).toBe(names.length);
  });

  it("fills each part's options from its flags' defaults", () => {
    const program = new Command();
    for (const part of BENCH_PARTS) part.addFlags(program);
    program.parse([], { from: 'user' });
    const quick = Object.assign({}, ...BENCH_PARTS.map((part) => part.options(program.opts(), true))) as Record<
      string,
      unknown
    >;
    expect(quick).toMatchObject({ connections: 1000, members: 200, durationS: 3, scalingExtra: [], busRuns: 1 });
    expect(Object.values(quick)).not.toContain(undefined);
  });

  it('takes a given flag over its default, whatever the run size', () => {
    const program = new Command();
    for (const part of BENCH_PARTS) part.addFlags(program);
    program.parse(['--bus-warmup', '7', '--rooms', '3', '--saturation', 'none'], { from: 'user' });
    for (const quick of [true, false]) {
      const o = Object.assign({}, ...BENCH_PARTS.map((part) => part.options(program.opts(), quick))) as Record<
        string,
        unknown
      >;
      expect(o).toMatchObject({ busWarmupS: 7, rooms: 3, saturationRates: [] });
    }
  });
});
