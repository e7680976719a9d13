/** The bus part: delivery latency across workers and across Redis (scenarios/bus.ts). */
import { fixed, rate } from '../lib/summary.js';
import { renderBus } from '../report/cluster.js';
import { BUS_MODES, BusSetup, type BusResult } from '../scenarios/bus.js';
import { oneOf, positiveInt, positiveNumber } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, flagged, log, Retries, type BenchPart } from './part.js';

const BUS_FLAGS = {
  busModes: flag('--bus-modes <list>', `bus deployments (${BUS_MODES.join(',')})`, oneOf(BUS_MODES, 'bus mode'), BUS_MODES),
  busRooms: flag('--bus-rooms <n>', 'rooms of the bus bench', positiveInt, 100),
  busMembers: flag('--bus-members <n>', 'members per room of the bus bench: one sender, the rest receive', positiveInt, 10),
  busRate: flag('--bus-rate <n>', 'msgs/s of the bus bench (over all rooms)', positiveNumber, 1000),
  busWarmupS: flag('--bus-warmup <s>', 'bus bench warm-up, seconds', positiveNumber, bySize(1, 2)),
  busDurationS: flag('--bus-duration <s>', 'bus bench window, seconds', positiveNumber, bySize(3, 8)),
  busRuns: flag('--bus-runs <n>', 'windows per bus deployment (median reported)', positiveInt, 1),
};

export type BusPartOptions = FlagValues<typeof BUS_FLAGS>;

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

  addFlags: (program) => declareFlags(program, BUS_FLAGS),
  options: (f, q) => flagValues(BUS_FLAGS, f, q),

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
