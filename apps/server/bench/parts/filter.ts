/** The filter part: the moderation filter's cost per message on one core (scenarios/filter.ts). */
import { fixed, rate } from '../lib/summary.js';
import { renderFilter } from '../report/cluster.js';
import { medianRun, runFilter } from '../scenarios/filter.js';
import { positiveInt } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, log, type BenchPart } from './part.js';

const FILTER_FLAGS = {
  filterMessages: flag(
    '--filter-messages <n>',
    'messages timed per filter level and run (filter)',
    positiveInt,
    bySize(20_000, 100_000),
  ),
  filterRuns: flag('--filter-runs <n>', 'runs per filter level (median reported)', positiveInt, bySize(1, 3)),
};

export type FilterOptions = FlagValues<typeof FILTER_FLAGS>;

export const filterPart: BenchPart<FilterOptions> = {
  id: 'filter',

  addFlags: (program) => declareFlags(program, FILTER_FLAGS),
  options: (f, q) => flagValues(FILTER_FLAGS, f, q),

  async run(o, results) {
    try {
      const x = await runFilter({
        levels: ['basic', 'strict'],
        messages: o.filterMessages,
        runs: o.filterRuns,
        quietWaitS: o.quietWaitS,
      });
      results.filter = x;
      for (const level of ['basic', 'strict'] as const) {
        const m = medianRun(x, level);
        if (m !== undefined)
          log(
            `filter ${level}: p50 ${fixed(m.p50us, 2)} µs, p99 ${fixed(m.p99us, 2)} µs, mean ${fixed(m.meanus, 2)} µs, ` +
              `${rate(m.messagesPerSecond)} msgs/s on one core, verdicts ${JSON.stringify(m.verdicts)}`,
          );
      }
      if (x.problems.length + x.warnings.length > 0) log(`filter: ${[...x.problems, ...x.warnings].join('; ')}`);
    } catch (err) {
      fail(results, 'filter', 'filter cost', err);
    }
  },

  render: renderFilter,
};
