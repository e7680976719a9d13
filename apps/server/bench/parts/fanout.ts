/**
 * The fan-out part: server CPU per delivery into one large room at a fixed rate, then
 * stepped rates until a server falls behind (scenarios/fanout.ts).
 */
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import type { BenchOptions, BenchResults, SaturationStep } from '../lib/results.js';
import { SERVER_KINDS, type ServerId } from '../lib/servers.js';
import { fixed, rate } from '../lib/summary.js';
import { renderFanout, renderSaturation, sustainedVerdict } from '../report/fanout.js';
import { FanoutSeries, type FanoutOptions, type FanoutResult } from '../scenarios/fanout.js';
import { oneOf, positiveInt, positiveNumber, rateList } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, flagged, loaded, log, Retries, type BenchPart } from './part.js';

const FANOUT_SERVERS: ServerId[] = ['loopchat-tcp', 'loopchat-ws', 'naive-ws', 'naive-net'];
const SATURATION_WARMUP_S = 1;

const FANOUT_FLAGS = {
  members: flag('--members <n>', 'members of the fan-out room', positiveInt, bySize(200, 2000)),
  rate: flag('--rate <n>', 'fixed fan-out rate, deliveries per second', positiveNumber, 100_000),
  warmupS: flag('--warmup <s>', 'fan-out warm-up, seconds', positiveNumber, bySize(1, 2)),
  durationS: flag('--duration <s>', 'fan-out measurement window, seconds', positiveNumber, bySize(3, 10)),
  runs: flag('--runs <n>', 'fixed-rate fan-out runs per server (median reported)', positiveInt, bySize(1, 3)),
  saturationRates: flag(
    '--saturation <list>',
    "saturation steps, deliveries/s, comma-separated, or 'none'",
    rateList,
    bySize([200_000, 400_000], [200_000, 400_000, 800_000, 1_600_000, 3_200_000, 6_400_000]),
  ),
  /** Without the flag: the fan-out window, halved (at least 1 s) in a full run. */
  saturationDurationS: flag(
    '--saturation-duration <s>',
    'measurement window of each saturation step, seconds',
    positiveNumber,
  ),
  clientProcs: flag('--client-procs <n>', 'loadgen processes (--procs) holding the fan-out members', positiveInt, 2),
  fanoutServers: flag(
    '--fanout-servers <list>',
    `servers for the fan-out bench (${FANOUT_SERVERS.join(',')})`,
    oneOf(FANOUT_SERVERS, 'server'),
    FANOUT_SERVERS,
  ),
};

export type FanoutPartOptions = FlagValues<typeof FANOUT_FLAGS> & { saturationDurationS: number };

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

  addFlags: (program) => declareFlags(program, FANOUT_FLAGS),
  options(f, q) {
    const o = flagValues(FANOUT_FLAGS, f, q);
    return { ...o, saturationDurationS: o.saturationDurationS ?? (q ? o.durationS : Math.max(1, o.durationS / 2)) };
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
