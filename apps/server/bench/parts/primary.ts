/** The primary part: the cluster primary's ceiling, sequencing for synthetic workers (scenarios/primary.ts). */
import { pathToFileURL } from 'node:url';
import { LOOPCHAT_CONFIG } from '../lib/paths.js';
import { fixed, rate } from '../lib/summary.js';
import { renderPrimary } from '../report/primary.js';
import { PRIMARY_HISTORIES, runPrimary, type PrimaryHistory, type PrimaryResult } from '../scenarios/primary.js';
import { intList, oneOf, positiveInt, positiveNumber, wholeList } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, flagged, log, Retries, type BenchPart } from './part.js';

/** loopchat's defaults, from the build under test. */
const { DEFAULTS } = (await import(pathToFileURL(LOOPCHAT_CONFIG).href)) as typeof import('../../src/config.js');

const PRIMARY_FLAGS = {
  primaryWorkers: flag('--primary-workers <list>', 'synthetic worker counts of the primary part', intList, [2, 4]),
  /** `--cluster-flush-ms` values to measure; by default loopchat's own, the value the goal is judged at. */
  primaryFlushMs: flag(
    '--primary-flush-ms <list>',
    "the primary's --cluster-flush-ms values to measure (primary part)",
    wholeList,
    [DEFAULTS.clusterFlushMs],
  ),
  primaryHistory: flag(
    '--primary-history <list>',
    'where the primary keeps history: memory, sqlite (primary part)',
    oneOf(PRIMARY_HISTORIES, 'history'),
    ['memory', 'sqlite'],
  ),
  primaryRooms: flag('--primary-rooms <n>', 'rooms of the primary part', positiveInt, 500),
  primaryMembers: flag(
    '--primary-members <n>',
    'members per room, spread over the synthetic workers (primary part)',
    positiveInt,
    4,
  ),
  /** Unanswered Pubs each synthetic worker keeps at most. */
  primaryOutstanding: flag(
    '--primary-outstanding <n>',
    'unanswered publishes each synthetic worker keeps at most (primary part)',
    positiveInt,
    1000,
  ),
  primaryBodyBytes: flag('--primary-body <bytes>', 'message body size, bytes (primary part)', positiveInt, 150),
  primaryWarmupS: flag(
    '--primary-warmup <s>',
    'load before the primary part’s window, seconds',
    positiveNumber,
    bySize(1, 2),
  ),
  /**
   * Rounds of every configuration, one configuration after another: the host's speed drifts
   * within a minute (the same build measured 1.1–2.2 µs/msg in one quarter hour on one host), so
   * the goal is judged on each configuration's median over rounds taken in turn, not on one run.
   */
  primaryRounds: flag(
    '--primary-rounds <n>',
    'rounds of every primary configuration, taken in turn; the goal is judged on their medians (primary part)',
    positiveInt,
    bySize(1, 3),
  ),
  primaryDurationS: flag(
    '--primary-duration <s>',
    'measurement window of the primary part, seconds',
    positiveNumber,
    bySize(3, 5),
  ),
};

export type PrimaryPartOptions = Omit<FlagValues<typeof PRIMARY_FLAGS>, 'primaryHistory' | 'primaryRounds'> & {
  /** Absent in results from before the store existed (memory only). */
  primaryHistory?: PrimaryHistory[];
  /** Absent in results from before rounds (one). */
  primaryRounds?: number;
};

function describePrimary(x: PrimaryResult): string {
  return (
    `${rate(x.msgsPerSecond)} msgs/s sequenced, primary ${fixed(x.primaryCpuPercent, 0)} % CPU = ${fixed(x.primaryUsPerMsg, 2)} µs/msg (event-loop thread ${fixed(x.primaryLoopUsPerMsg, 2)})${x.keeperUsPerMsg === undefined ? '' : `, history keeper ${fixed(x.keeperCpuPercent ?? NaN, 0)} % = ${fixed(x.keeperUsPerMsg, 2)} µs/msg`}, ` +
    `workers ${x.workerCpuPercent.map((v) => fixed(v, 0)).join('+')} % = ${fixed(x.workersUsPerMsg, 2)} µs/msg, softirq ${fixed(x.irqPercent, 0)} %, ` +
    `other ${fixed(x.otherLoadPercent, 0)} %, ${fixed(x.recordsPerMsg, 2)} Msg records/msg` +
    flagged(x)
  );
}

export const primaryPart: BenchPart<PrimaryPartOptions> = {
  id: 'primary',

  addFlags: (program) => declareFlags(program, PRIMARY_FLAGS),
  options: (f, q) => flagValues(PRIMARY_FLAGS, f, q),

  async run(o, results) {
    const retries = new Retries();
    const rounds = o.primaryRounds ?? 1;
    for (let round = 1; round <= rounds; round++) {
      for (const history of o.primaryHistory ?? ['memory']) {
        for (const flushMs of o.primaryFlushMs) {
          for (const workers of o.primaryWorkers) {
            const what = `primary, ${workers} synthetic workers, --cluster-flush-ms ${flushMs}, --history ${history}${rounds > 1 ? `, round ${round} of ${rounds}` : ''}`;
            try {
              const x = await retries.measure(what, () =>
                runPrimary({
                  workers,
                  flushMs,
                  history,
                  rooms: o.primaryRooms,
                  members: o.primaryMembers,
                  outstanding: o.primaryOutstanding,
                  bodyBytes: o.primaryBodyBytes,
                  warmupS: o.primaryWarmupS,
                  durationS: o.primaryDurationS,
                  quietWaitS: o.quietWaitS,
                }),
              );
              results.primary.push(rounds > 1 ? { ...x, round } : x);
              log(`${what}: ${describePrimary(x)}`);
            } catch (err) {
              fail(results, what, 'primary ceiling', err);
            }
          }
        }
      }
    }
  },

  render: renderPrimary,
};
