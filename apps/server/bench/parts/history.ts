/** The history part: the store's ack latency and cost per message, memory against SQLite (scenarios/history.ts). */
import type { Command, OptionValues } from 'commander';
import { fixed, rate } from '../lib/summary.js';
import { renderHistory } from '../report/history.js';
import { HISTORY_MODES, runHistory, type HistoryMode, type HistoryOptions } from '../scenarios/history.js';
import { oneOf, positiveInt, positiveNumber } from './cli-values.js';
import { fail, log, type BenchPart } from './part.js';

export interface HistoryPartOptions {
  historyModes: HistoryMode[];
  history: HistoryOptions;
}

export const historyPart: BenchPart<HistoryPartOptions> = {
  id: 'history',

  addFlags: (program: Command) =>
    program
      .option(
        '--history-modes <list>',
        `history part modes (${HISTORY_MODES.join(',')})`,
        oneOf(HISTORY_MODES, 'history mode'),
        HISTORY_MODES,
      )
      .option('--history-rooms <n>', 'rooms of the history part', positiveInt, 100)
      .option('--history-members <n>', 'members per room of the history part, every one a sender', positiveInt, 2)
      .option('--history-outstanding <n>', 'messages each history sender keeps in flight', positiveInt, 8)
      .option('--history-warmup <s>', 'load before the history part’s window, seconds', positiveNumber)
      .option('--history-duration <s>', 'measurement window of the history part, seconds', positiveNumber),

  options(f: OptionValues, q: boolean): HistoryPartOptions {
    return {
      historyModes: f.historyModes,
      history: {
        rooms: f.historyRooms,
        members: f.historyMembers,
        outstanding: f.historyOutstanding,
        warmupS: f.historyWarmup ?? (q ? 1 : 2),
        durationS: f.historyDuration ?? (q ? 3 : 5),
      },
    };
  },

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
  },

  render: renderHistory,
};
