/**
 * The fan-out part: server CPU per delivery into one large room at a fixed rate, then
 * stepped rates until a server falls behind (scenarios/fanout.ts).
 */
import type { Command, OptionValues } from 'commander';
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import type { BenchOptions, BenchResults, SaturationStep } from '../lib/results.js';
import { SERVER_KINDS, type ServerId } from '../lib/servers.js';
import { fixed, rate } from '../lib/summary.js';
import { renderFanout, renderSaturation, sustainedVerdict } from '../report/fanout.js';
import { FanoutSeries, type FanoutOptions, type FanoutResult } from '../scenarios/fanout.js';
import { oneOf, positiveInt, positiveNumber, rateList } from './cli-values.js';
import { fail, flagged, loaded, log, Retries, type BenchPart } from './part.js';

const FANOUT_SERVERS: ServerId[] = ['loopchat-tcp', 'loopchat-ws', 'naive-ws', 'naive-net'];
const SATURATION_WARMUP_S = 1;

export interface FanoutPartOptions {
  members: number;
  rate: number;
  warmupS: number;
  durationS: number;
  runs: number;
  saturationRates: number[];
  saturationDurationS: number;
  clientProcs: number;
  fanoutServers: ServerId[];
}

function describeFanout(x: FanoutResult): string {
  return (
    `delivered ${rate(x.deliveredPerSecond)}/s of ${rate(x.offeredPerSecond)}, ${fixed(x.serverCpuUsPerDelivery, 2)} µs/delivery ` +
    `(server ${fixed(x.serverCpuPercent, 0)} % CPU), p50 ${fixed(x.latencyP50Ms, 1)} ms p99 ${fixed(x.latencyP99Ms, 1)} ms, ` +
    `clients ${x.clientCpuPercentPerProc.map((v) => fixed(v, 0)).join('+')} % CPU, ${x.totalDelivered}/${x.totalExpected} delivered` +
    `, other load ${fixed(x.otherLoadPercent, 0)} %` +
    flagged(x)
  );
}

/** A phase other processes spoiled: loaded, and it failed or was loaded twice over. */
const spoiled = (x: FanoutResult): boolean =>
  loaded(x) && (sustainedVerdict(x) !== 'yes' || x.problems.length > 0 || loaded(x, 2));

async function runServer(
  id: ServerId,
  o: BenchOptions,
  results: BenchResults,
  opts: FanoutOptions,
  retries: Retries,
): Promise<void> {
  let series: FanoutSeries | undefined;
  let phase = 'setup';
  try {
    series = await FanoutSeries.open(SERVER_KINDS[id], opts);
    const s = series;
    for (let run = 1; run <= o.runs; run++) {
      phase = `fan-out run ${run}`;
      const what = `fan-out ${id} run ${run}`;
      const x = await retries.measure(what, () => s.run(o.rate, o.durationS), spoiled, describeFanout);
      (results.fanout[id] ??= []).push(x);
      log(`${what}: ${describeFanout(x)}`);
    }
    const steps: SaturationStep[] = (results.saturation[id] = []);
    for (const offered of o.saturationRates) {
      phase = `saturation ${rate(offered)}/s`;
      const what = `saturation ${id} ${rate(offered)}/s`;
      // The server is warm by now: a short warm-up per step is enough.
      const x = await retries.measure(
        what,
        () => s.run(offered, o.saturationDurationS, SATURATION_WARMUP_S),
        spoiled,
        describeFanout,
      );
      const why = sustainedVerdict(x);
      steps.push({ result: x, sustained: why === 'yes', why });
      log(`${what}: ${why === 'yes' ? 'sustained' : `NOT sustained (${why})`}: ${describeFanout(x)}`);
      if (why !== 'yes') break;
    }
  } catch (err) {
    fail(results, id, phase === 'setup' ? 'fan-out setup' : phase, err, `${phase} ${id}`);
  } finally {
    await series?.close();
  }
}

export const fanoutPart: BenchPart<FanoutPartOptions> = {
  id: 'fanout',

  addFlags: (program: Command) =>
    program
      .option('--members <n>', 'members of the fan-out room', positiveInt)
      .option('--rate <n>', 'fixed fan-out rate, deliveries per second', positiveNumber, 100_000)
      .option('--warmup <s>', 'fan-out warm-up, seconds', positiveNumber)
      .option('--duration <s>', 'fan-out measurement window, seconds', positiveNumber)
      .option('--runs <n>', 'fixed-rate fan-out runs per server (median reported)', positiveInt)
      .option('--saturation <list>', "saturation steps, deliveries/s, comma-separated, or 'none'", rateList)
      .option('--saturation-duration <s>', 'measurement window of each saturation step, seconds', positiveNumber)
      .option('--client-procs <n>', 'loadgen processes (--procs) holding the fan-out members', positiveInt, 2)
      .option(
        '--fanout-servers <list>',
        `servers for the fan-out bench (${FANOUT_SERVERS.join(',')})`,
        oneOf(FANOUT_SERVERS, 'server'),
      ),

  options(f: OptionValues, q: boolean): FanoutPartOptions {
    const durationS = f.duration ?? (q ? 3 : 10);
    return {
      members: f.members ?? (q ? 200 : 2000),
      rate: f.rate,
      warmupS: f.warmup ?? (q ? 1 : 2),
      durationS,
      runs: f.runs ?? (q ? 1 : 3),
      saturationRates:
        f.saturation ?? (q ? [200_000, 400_000] : [200_000, 400_000, 800_000, 1_600_000, 3_200_000, 6_400_000]),
      saturationDurationS: f.saturationDuration ?? (q ? durationS : Math.max(1, durationS / 2)),
      clientProcs: f.clientProcs,
      fanoutServers: f.fanoutServers ?? FANOUT_SERVERS,
    };
  },

  async run(o, results) {
    const opts: FanoutOptions = {
      members: o.members,
      warmupS: o.warmupS,
      clientProcs: o.clientProcs,
      connectRate: o.connectRate,
      drainTimeoutMs: 5_000,
      quietWaitS: o.quietWaitS,
      loopchatArgs: [...BENCH_LOOPCHAT_ARGS, ...o.loopchatArgs],
    };
    const retries = new Retries();
    for (const id of o.fanoutServers) await runServer(id, o, results, opts, retries);
  },

  render(r, p) {
    renderFanout(r, p);
    renderSaturation(r, p);
  },
};
