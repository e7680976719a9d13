/** The bus part: delivery latency across workers and across Redis (scenarios/bus.ts). */
import type { Command, OptionValues } from 'commander';
import { fixed, rate } from '../lib/summary.js';
import { renderBus } from '../report/cluster.js';
import { BUS_MODES, BusSetup, type BusMode, type BusResult } from '../scenarios/bus.js';
import { oneOf, positiveInt, positiveNumber } from './cli-values.js';
import { fail, flagged, log, Retries, type BenchPart } from './part.js';

export interface BusPartOptions {
  busModes: BusMode[];
  busRooms: number;
  busMembers: number;
  busRate: number;
  busWarmupS: number;
  busDurationS: number;
  busRuns: number;
}

function describeBus(x: BusResult): string {
  return (
    `p50 ${fixed(x.latencyP50Ms, 2)} ms, p99 ${fixed(x.latencyP99Ms, 2)} ms, p99.9 ${fixed(x.latencyP999Ms, 2)} ms, max ${fixed(x.latencyMaxMs, 1)} ms; ` +
    `${rate(x.deliveredPerSecond)} deliveries/s, server ${fixed(x.serverCpuPercent, 0)} % CPU${x.mode === 'redis' ? ` (redis ${fixed(x.redisCpuPercent, 0)} %)` : ''}, ` +
    `loadgen ${fixed(x.loadgenCpuPercent, 0)} %, other ${fixed(x.otherLoadPercent, 0)} %, ${x.totalDelivered}/${x.totalExpected} delivered, ` +
    `connections ${x.connectionsPerProcess.join('+')}` +
    flagged(x)
  );
}

export const busPart: BenchPart<BusPartOptions> = {
  id: 'bus',

  addFlags: (program: Command) =>
    program
      .option('--bus-modes <list>', `bus deployments (${BUS_MODES.join(',')})`, oneOf(BUS_MODES, 'bus mode'), BUS_MODES)
      .option('--bus-rooms <n>', 'rooms of the bus bench', positiveInt, 100)
      .option('--bus-members <n>', 'members per room of the bus bench: one sender, the rest receive', positiveInt, 10)
      .option('--bus-rate <n>', 'msgs/s of the bus bench (over all rooms)', positiveNumber, 1000)
      .option('--bus-warmup <s>', 'bus bench warm-up, seconds', positiveNumber)
      .option('--bus-duration <s>', 'bus bench window, seconds', positiveNumber)
      .option('--bus-runs <n>', 'windows per bus deployment (median reported)', positiveInt),

  options(f: OptionValues, q: boolean): BusPartOptions {
    return {
      busModes: f.busModes,
      busRooms: f.busRooms,
      busMembers: f.busMembers,
      busRate: f.busRate,
      busWarmupS: f.busWarmup ?? (q ? 1 : 2),
      busDurationS: f.busDuration ?? (q ? 3 : 8),
      busRuns: f.busRuns ?? 1,
    };
  },

  async run(o, results) {
    const retries = new Retries();
    for (const mode of o.busModes) {
      let setup: BusSetup | undefined;
      try {
        setup = await BusSetup.open(mode, {
          rooms: o.busRooms,
          members: o.busMembers,
          msgsPerSecond: o.busRate,
          warmupS: o.busWarmupS,
          durationS: o.busDurationS,
          quietWaitS: o.quietWaitS,
        });
        const s = setup;
        for (let run = 1; run <= o.busRuns; run++) {
          const x = await retries.measure(`bus ${mode}`, () => s.run());
          results.bus.push(x);
          log(`bus ${mode} run ${run}: ${describeBus(x)}`);
        }
      } catch (err) {
        fail(results, `bus ${mode}`, 'bus latency', err);
      } finally {
        await setup?.close();
      }
    }
  },

  render: renderBus,
};
