/** The history part: the store's ack latency and cost per message, memory against SQLite (scenarios/history.ts). */
import { fixed, rate } from '../lib/summary.js';
import { renderHistory } from '../report/history.js';
import { HISTORY_MODES, runHistory, type HistoryMode, type HistoryOptions } from '../scenarios/history.js';
import { STORE_KINDS, runStoreAlone } from '../scenarios/store-alone.js';
import { intList, oneOf, positiveInt, positiveNumber } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues } from './flags.js';
import { fail, log, type BenchPart } from './part.js';

const MODES_FLAG = flag(
  '--history-modes <list>',
  `history part modes (${HISTORY_MODES.join(',')})`,
  oneOf(HISTORY_MODES, 'history mode'),
  HISTORY_MODES,
);

const HISTORY_FLAGS = {
  rooms: flag('--history-rooms <n>', 'rooms of the history part', positiveInt, 100),
  members: flag('--history-members <n>', 'members per room of the history part, every one a sender', positiveInt, 2),
  outstanding: flag('--history-outstanding <n>', 'messages each history sender keeps in flight', positiveInt, 8),
  warmupS: flag('--history-warmup <s>', 'load before the history part’s window, seconds', positiveNumber, bySize(1, 2)),
  durationS: flag('--history-duration <s>', 'measurement window of the history part, seconds', positiveNumber, bySize(3, 5)),
};

/** The stores alone (scenarios/store-alone.ts): the scaling workload's shape, 150-byte messages. */
const ALONE_FLAGS = {
  rooms: flag(
    '--history-alone-rooms <list>',
    'room counts of the stores-alone runs (none: skip)',
    intListOrNone,
    [100, 500],
  ),
  perCommit: flag('--history-alone-per-commit <n>', 'appends per commit in the stores-alone runs', positiveInt, 750),
  messages: flag('--history-alone-messages <n>', 'messages per stores-alone run', positiveInt, bySize(100_000, 600_000)),
  rate: flag('--history-alone-rate <n>', 'simulated msgs/s of the stores-alone runs', positiveInt, 25_000),
};

function intListOrNone(value: string): number[] {
  return value === 'none' ? [] : intList(value);
}

export interface HistoryPartOptions {
  historyModes: HistoryMode[];
  history: HistoryOptions;
  /** Absent in results from before the stores-alone runs. */
  storeAlone?: { rooms: number[]; perCommit: number; messages: number; rate: number };
}

export const historyPart: BenchPart<HistoryPartOptions> = {
  id: 'history',

  addFlags: (program) => declareFlags(declareFlags(program, { historyModes: MODES_FLAG, ...HISTORY_FLAGS }), ALONE_FLAGS),
  options: (f, q) => ({
    ...flagValues({ historyModes: MODES_FLAG }, f, q),
    history: flagValues(HISTORY_FLAGS, f, q),
    storeAlone: flagValues(ALONE_FLAGS, f, q),
  }),

  async run(o, results) {
    for (const mode of o.historyModes) {
      try {
        const x = await runHistory(mode, o.history);
        results.history!.push(x);
        log(
          `history ${mode}: ${rate(x.msgsPerSecond)} msgs/s, ack p50 ${fixed(x.ackP50Ms, 2)} ms p99 ${fixed(x.ackP99Ms, 2)} ms, ` +
            `commit p50 ${fixed(x.commitP50Ms ?? NaN, 3)} ms p99 ${fixed(x.commitP99Ms ?? NaN, 3)} ms, ${fixed(x.msgsPerCommit ?? NaN, 1)} msgs/commit, server ${fixed(x.serverUsPerMsg, 1)} µs/msg`,
        );
      } catch (err) {
        fail(results, 'loopchat-tcp', `history ${mode}`, err, `history ${mode}`);
      }
    }
    const alone = o.storeAlone;
    for (const rooms of alone?.rooms ?? []) {
      for (const kind of STORE_KINDS) {
        try {
          const x = await runStoreAlone(kind, {
            rooms,
            perCommit: alone!.perCommit,
            messages: alone!.messages,
            rate: alone!.rate,
          });
          results.storeAlone!.push(x);
          log(
            `store alone, ${kind}, ${rooms} rooms: ${fixed(x.usPerMsg, 2)} µs/msg (user ${fixed(x.userUsPerMsg, 2)}, system ${fixed(x.sysUsPerMsg, 2)}), ${fixed(x.cpuShare * 100, 0)} % of a core`,
          );
        } catch (err) {
          fail(results, 'loopchat-tcp', `store alone ${kind} ${rooms}`, err, `store alone ${kind}`);
        }
      }
    }
  },

  render: renderHistory,
};
