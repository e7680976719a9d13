/**
 * The scaling part: throughput of a cluster with the filter on at each worker count, stepped
 * until a rate is not sustained, then bisected (scenarios/scaling.ts).
 */
import { InvalidArgumentError } from 'commander';
import type {
  BenchOptions,
  BenchResults,
  ScalingExtra,
  ScalingSeriesResult,
  ScalingStep,
  SplitStep,
  Step,
} from '../lib/results.js';
import { fixed, rate } from '../lib/summary.js';
import { renderScaling } from '../report/scaling.js';
import { floorRate } from '../report/scaling-figures.js';
import {
  ScalingSeries,
  scalingVerdict,
  type ScalingOptions,
  type ScalingResult,
  type VerdictFields,
} from '../scenarios/scaling.js';
import { SplitSeries, type SplitResult } from '../scenarios/scaling-split.js';
import { intList, positiveInt, positiveNumber, rateList, wholeNumber } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, flagged, loaded, log, Retries, type BenchPart } from './part.js';

/** The scaling series: the main one and the extras asked for. */
export const SCALING_SERIES: Record<'main' | ScalingExtra, Omit<ScalingSeriesResult, 'steps'> & { rateScale: number }> = {
  main: {
    id: 'main',
    label: 'basic filter, 100–200 B texts',
    filter: 'basic',
    classifierUs: 0,
    minBytes: 100,
    maxBytes: 200,
    termShare: 0.25,
    rateScale: 1,
  },
  heavy: {
    id: 'heavy',
    label: 'basic filter, 1–2 KB texts (heavier per message)',
    filter: 'basic',
    classifierUs: 0,
    minBytes: 1000,
    maxBytes: 2000,
    termShare: 0.25,
    rateScale: 0.25,
  },
  classifier: {
    id: 'classifier',
    label: 'basic filter + 1 ms simulated classifier, 100–200 B texts (CPU-heavy moderation)',
    filter: 'basic',
    classifierUs: 1000,
    minBytes: 100,
    maxBytes: 200,
    termShare: 0.25,
    rateScale: 1 / 32,
  },
};

const extras = (value: string): ScalingExtra[] => {
  if (value === 'none' || value === '') return [];
  const list = value.split(',').map((v) => v.trim());
  for (const x of list) {
    // The loadgen's sender k sends line k of --texts every time: strict's repetition rule
    // would reject each sender's third message, so the series would measure refusals.
    if (x === 'strict')
      throw new InvalidArgumentError(
        "'strict' cannot run: the loadgen sends one text per sender, which strict rejects as repetition.",
      );
    if (x !== 'heavy' && x !== 'classifier')
      throw new InvalidArgumentError(`unknown extra series '${x}' (heavy, classifier or none).`);
  }
  return list as ScalingExtra[];
};

const seriesList = (value: string): ('main' | ScalingExtra)[] => {
  if (value === 'none' || value === '') return [];
  const list = value.split(',').map((v) => v.trim());
  for (const x of list)
    if (x !== 'main' && x !== 'heavy' && x !== 'classifier')
      throw new InvalidArgumentError(`unknown series '${x}' (main, heavy, classifier or none).`);
  return list as ('main' | ScalingExtra)[];
};

const SCALING_FLAGS = {
  scalingWorkers: flag('--scaling-workers <list>', 'worker counts to compare (scaling)', intList, [1, 2]),
  scalingRooms: flag('--scaling-rooms <n>', 'rooms of the scaling bench', positiveInt, 500),
  scalingMembers: flag('--scaling-members <n>', 'members per room, every one a sender (scaling)', positiveInt, 4),
  scalingClientProcs: flag(
    '--scaling-client-procs <n>',
    'loadgen processes (--procs) holding the scaling connections',
    positiveInt,
    2,
  ),
  scalingRates: flag(
    '--scaling-rates <list>',
    'offered msgs/s, comma-separated, stepped until one is not sustained',
    rateList,
    bySize([4_000, 16_000], [16_000, 32_000, 64_000]),
  ),
  /**
   * Bisection steps between the last sustained and the first unsustained rate. The steps are
   * geometric: between rates a factor 2 apart, n steps leave each limit known within a factor
   * 2^(1/2^n): 9 % with 3, finer than the 1.05× and 1.3× goals the ratio is held to only from
   * 4 on; 5 make it 2 %, for ~1 minute more per series.
   */
  scalingRefine: flag(
    '--scaling-refine <n>',
    'bisection steps between the last sustained and the first unsustained rate',
    wholeNumber,
    bySize(0, 5),
  ),
  scalingWarmupS: flag(
    '--scaling-warmup <s>',
    "load before each scaling step's window, seconds (5 lets the event-loop readings see a 5 s window of load only)",
    positiveNumber,
    bySize(2, 5),
  ),
  scalingDurationS: flag(
    '--scaling-duration <s>',
    'measurement window of each scaling step, seconds',
    positiveNumber,
    bySize(3, 5),
  ),
  scalingMaxP99Ms: flag(
    '--scaling-max-p99 <ms>',
    'latency p99 above which a scaling step is not sustained',
    positiveNumber,
    500,
  ),
  /**
   * Floor rounds: at the highest rate 1 and 2 workers both sustained (report/scaling-figures.ts,
   * floorRate: else one process's highest, if the cluster sustained more), one process, the load
   * split over two independent processes (the least a 2-worker cluster's CPU per message can
   * be, scenarios/scaling-split.ts) and the cluster, back to back: three steps a round. Three
   * rounds by default: the CPU goal is judged on their median (report/scaling-figures.ts,
   * cpuVerdict), one window being too noisy for it.
   */
  scalingFloorRounds: flag(
    '--scaling-floor-rounds <n>',
    'rounds of 1 process / 2 independent processes / 2 workers at the highest rate both worker counts sustained, or one process did below the cluster (the CPU floor), 0 for none',
    wholeNumber,
    bySize(0, 3),
  ),
  /**
   * Series whose workload is also split over two independent processes and their limit searched
   * beside the worker counts' (scenarios/scaling-split.ts): the most a 2-worker cluster can
   * reach on the machine, measured rather than modelled.
   */
  scalingSplit: flag(
    '--scaling-split <list>',
    "series whose limit split over two independent processes is searched too (main, heavy, classifier), or 'none'",
    seriesList,
    bySize<('main' | ScalingExtra)[]>([], ['main', 'heavy', 'classifier']),
  ),
  /** Extra series: a level or a text size besides the main one (basic, 100–200 B). */
  scalingExtra: flag(
    '--scaling-extra <list>',
    "extra scaling series: 'heavy' (1–2 KB texts), 'classifier' (--filter-classifier-us 1000), or 'none'",
    extras,
    bySize<ScalingExtra[]>([], ['heavy', 'classifier']),
  ),
};

export type ScalingPartOptions = FlagValues<typeof SCALING_FLAGS>;

function describeScaling(x: ScalingResult): string {
  return (
    `${rate(x.msgsPerSecond)} msgs/s (${rate(x.deliveredPerSecond)} deliveries/s) of ${rate(x.offeredMsgsPerSecond)} offered, ` +
    `server ${fixed(x.serverCpuPercent, 0)} % CPU (${x.serverCpuPerProc.map((p) => `${p.role} ${fixed(p.percent, 0)}`).join(', ')}), ` +
    `${fixed(x.serverCpuUsPerMsg, 1)} µs/msg, loop p99 ${fixed(x.loopP99Ms, 1)} ms, latency p50 ${fixed(x.latencyP50Ms, 1)} p99 ${fixed(x.latencyP99Ms, 1)} ms, ` +
    `loadgen ${x.loadgenCpuPercentPerProc.map((v) => fixed(v, 0)).join('+')} % CPU, softirq ${fixed(x.irqPercent, 0)} %, other ${fixed(x.otherLoadPercent, 0)} %, ` +
    `${x.totalDelivered}/${x.totalExpected} delivered, conns/worker ${x.connectionsPerWorker.join('+')}` +
    flagged(x)
  );
}

/** What a limit search steps through: a held-open server (or split of servers) taking one load step at a time. */
interface Stepper<T> {
  run(msgsPerSecond: number, durationS: number): Promise<T>;
}

type SearchResult = VerdictFields & { otherLoadPercent: number; problems: string[]; warnings: string[] };

/**
 * One contender's search for its limit: up the rates until one is not sustained, then
 * bisect between the last sustained and the first unsustained, one step per call.
 */
class LimitSearch<T extends SearchResult> {
  readonly #o: BenchOptions;
  readonly #series: Stepper<T>;
  readonly #name: string;
  readonly #rates: number[];
  readonly #steps: Step<T>[];
  readonly #describe: (x: T) => string;
  #lo = NaN;
  #hi = NaN;
  #stepped = 0;
  #refined = 0;
  /** What is being measured (for a failure's report). */
  phase = 'setup';

  constructor(
    o: BenchOptions,
    series: Stepper<T>,
    name: string,
    rates: number[],
    steps: Step<T>[],
    describe: (x: T) => string,
  ) {
    this.#o = o;
    this.#series = series;
    this.#name = name;
    this.#rates = rates;
    this.#steps = steps;
    this.#describe = describe;
  }

  /** Measures the next rate; false once the limit is known (nothing measured then). */
  async step(retries: Retries): Promise<boolean> {
    const offered = this.#nextRate();
    if (offered === undefined) return false;
    this.phase = `${rate(offered)} msgs/s`;
    const x = await retries.measure(
      `${this.#name} ${rate(offered)}/s`,
      () => this.#series.run(offered, this.#o.scalingDurationS),
      (x) => loaded(x) && (scalingVerdict(x, this.#o.scalingMaxP99Ms) !== 'yes' || loaded(x, 2)),
    );
    const why = scalingVerdict(x, this.#o.scalingMaxP99Ms);
    this.#steps.push({ result: x, sustained: why === 'yes', why });
    log(
      `${this.#name} ${rate(offered)} msgs/s: ${why === 'yes' ? 'sustained' : `NOT sustained (${why})`}: ${this.#describe(x)}`,
    );
    if (Number.isFinite(this.#hi)) this.#refined++;
    else this.#stepped++;
    if (why === 'yes') this.#lo = offered;
    else this.#hi = offered;
    return true;
  }

  #nextRate(): number | undefined {
    const lo = this.#lo;
    const hi = this.#hi;
    if (!Number.isFinite(hi)) return this.#rates[this.#stepped];
    if (this.#refined >= this.#o.scalingRefine) return undefined;
    const mid = Math.round((Number.isFinite(lo) ? Math.sqrt(lo * hi) : hi / 2) / 100) * 100;
    return mid <= (Number.isFinite(lo) ? lo : 0) || mid >= hi ? undefined : mid;
  }
}

function describeSplit(x: SplitResult): string {
  return (
    `${rate(x.msgsPerSecond)} msgs/s (${rate(x.deliveredPerSecond)} deliveries/s) of ${rate(x.offeredMsgsPerSecond)} offered over ${x.servers} independent servers, ` +
    `server ${fixed(x.serverCpuPercent, 0)} % CPU (${x.serverCpuPercentEach.map((v) => fixed(v, 0)).join(' + ')}), ${fixed(x.serverCpuUsPerMsg, 1)} µs/msg, ` +
    `latency p50 ${fixed(x.latencyP50Ms, 1)} p99 ${fixed(x.latencyP99Ms, 1)} ms, loadgen ${fixed(x.loadgenCpuPercent, 0)} % CPU, softirq ${fixed(x.irqPercent, 0)} %, ` +
    `other ${fixed(x.otherLoadPercent, 0)} %, ${x.totalDelivered}/${x.totalExpected} delivered` +
    flagged(x)
  );
}

/**
 * Every worker count of one series, their steps taken in turn (1 worker, 2 workers, 1
 * worker…), each count's server held open between its steps: on a shared machine the
 * speed of the cores drifts by tens of percent over minutes (one process sustained 35k
 * msgs/s in one run and 26k in the next, with nothing else running), and a ratio of limits
 * found minutes apart measured that drift as much as the cluster. Taken in turn, both limits
 * are found over the same minutes.
 */
async function runSeries(
  o: BenchOptions,
  results: BenchResults,
  id: 'main' | ScalingExtra,
  retries: Retries,
): Promise<void> {
  const def = SCALING_SERIES[id];
  const { rateScale, ...meta } = def;
  const out: ScalingSeriesResult = { ...meta, steps: {} };
  results.scaling.push(out);
  const opts: ScalingOptions = {
    rooms: o.scalingRooms,
    members: o.scalingMembers,
    procs: o.scalingClientProcs,
    warmupS: o.scalingWarmupS,
    filter: def.filter,
    classifierUs: def.classifierUs,
    minBytes: def.minBytes,
    maxBytes: def.maxBytes,
    termShare: def.termShare,
    maxP99Ms: o.scalingMaxP99Ms,
    quietWaitS: o.quietWaitS,
  };
  const rates = o.scalingRates.map((r) => Math.max(100, Math.round((r * rateScale) / 100) * 100));
  /** A contender ('--workers N' or 'split', as the report finds its failure) failed in `phase`. */
  const failed = (who: string, tag: string, phase: string, err: unknown): void => {
    const scenario = phase === 'setup' ? 'scaling setup' : `scaling ${phase}`;
    fail(results, `scaling ${id}, ${who}`, scenario, err, `scaling ${id} ${tag} ${phase}`);
  };
  const open: { workers: number; series: ScalingSeries }[] = [];
  const searches: {
    search: LimitSearch<ScalingResult> | LimitSearch<SplitResult>;
    failed: (phase: string, err: unknown) => void;
  }[] = [];
  let split: SplitSeries | undefined;
  try {
    for (const workers of o.scalingWorkers) {
      const steps: ScalingStep[] = (out.steps[String(workers)] = []);
      const fails = (phase: string, err: unknown): void => failed(`--workers ${workers}`, `${workers}w`, phase, err);
      try {
        const series = await ScalingSeries.open(workers, def.label, opts);
        open.push({ workers, series });
        const name = `scaling ${id} ${workers}w`;
        searches.push({ search: new LimitSearch(o, series, name, rates, steps, describeScaling), failed: fails });
      } catch (err) {
        fails('setup', err);
      }
    }
    const one = open.find((s) => s.workers === 1)?.series;
    if (o.scalingSplit.includes(id) && one !== undefined) {
      const fails = (phase: string, err: unknown): void => failed('split', 'split', phase, err);
      try {
        split = await SplitSeries.open(opts, one.textsPath);
        const steps: SplitStep[] = (out.split = []);
        const name = `scaling ${id} split`;
        searches.push({ search: new LimitSearch(o, split, name, rates, steps, describeSplit), failed: fails });
      } catch (err) {
        fails('setup', err);
      }
    }
    let searching = [...searches];
    while (searching.length > 0) {
      const next: typeof searching = [];
      for (const s of searching) {
        try {
          if (await s.search.step(retries)) next.push(s);
        } catch (err) {
          s.failed(s.search.phase, err);
        }
      }
      searching = next;
    }
    await floorRounds(o, out, open, split, retries);
  } finally {
    for (const s of open) await s.series.close();
    await split?.close();
  }
}

/**
 * The floor rounds of a series (see SCALING_FLAGS.scalingFloorRounds), at floorRate: the highest
 * offered rate both worker counts sustained, or one process's highest below the cluster's.
 */
async function floorRounds(
  o: BenchOptions,
  out: ScalingSeriesResult,
  open: { workers: number; series: ScalingSeries }[],
  held: SplitSeries | undefined,
  retries: Retries,
): Promise<void> {
  const one = open.find((s) => s.workers === 1)?.series;
  const two = open.find((s) => s.workers === 2)?.series;
  if (o.scalingFloorRounds === 0 || one === undefined || two === undefined) return;
  const at = floorRate(out);
  if (at === undefined) return log(`scaling ${out.id} floor: the cluster sustained no rate one process did`);
  const step = (series: ScalingSeries): Promise<ScalingResult> =>
    retries.measure(
      `scaling ${out.id} floor ${series.workers}w`,
      () => series.run(at, o.scalingDurationS),
      (x) => loaded(x),
    );
  const split = held ?? (await SplitSeries.open(one.opts, one.textsPath));
  try {
    out.floor = [];
    for (let round = 1; round <= o.scalingFloorRounds; round++) {
      const single = await step(one);
      const apart = await retries.measure(
        `scaling ${out.id} floor split`,
        () => split.run(at, o.scalingDurationS),
        (x) => loaded(x),
      );
      const cluster = await step(two);
      out.floor.push({ atMsgsPerSecond: at, single, split: apart, cluster });
      log(
        `scaling ${out.id} floor round ${round} at ${rate(at)} msgs/s: one process ${fixed(single.serverCpuUsPerMsg, 1)} µs/msg, ` +
          `two independent ${fixed(apart.serverCpuUsPerMsg, 1)} (${fixed(apart.serverCpuUsPerMsg / single.serverCpuUsPerMsg, 2)}×, ` +
          `${apart.serverCpuPercentEach.map((v) => fixed(v, 0)).join(' + ')} % CPU, p99 ${fixed(apart.latencyP99Ms, 1)} ms), ` +
          `2 workers ${fixed(cluster.serverCpuUsPerMsg, 1)} (${fixed(cluster.serverCpuUsPerMsg / single.serverCpuUsPerMsg, 2)}×)` +
          [single, apart, cluster].map((x) => flagged(x)).join(''),
      );
    }
  } finally {
    if (held === undefined) await split.close();
  }
}

export const scalingPart: BenchPart<ScalingPartOptions> = {
  id: 'scaling',

  addFlags: (program) => declareFlags(program, SCALING_FLAGS),
  options: (f, q) => flagValues(SCALING_FLAGS, f, q),

  async run(o, results) {
    const retries = new Retries();
    for (const id of ['main', ...o.scalingExtra] as const) await runSeries(o, results, id, retries);
  },

  render: renderScaling,
};
