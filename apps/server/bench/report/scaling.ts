/**
 * BENCHMARKS.md, "Cluster scaling": per series the steps and the max sustained per worker
 * count, with the server's CPU per message split into the primary's and the workers'; the
 * verdict (throughput and CPU-per-message ratios against their goals, beside the ceiling this
 * machine allows); and a projection to larger hosts from the measured per-message costs.
 * The arithmetic is in scaling-figures.ts and lib/cluster-model.ts.
 */
import { projectCluster, type Limit } from '../lib/cluster-model.js';
import type { BenchResults, ScalingSeriesResult } from '../lib/results.js';
import { fixed, rate } from '../lib/summary.js';
import { primaryVerdict } from './primary.js';
import { SCALING_DRAIN_S, scalingArgs, scalingLoadgenArgs, type ScalingResult } from '../scenarios/scaling.js';
import {
  bestStep,
  CPU_RATIO_GOAL,
  cpuVerdict,
  floorFigures,
  perMsgUs,
  scalingFigures,
  stepCosts,
  type ScalingFigures,
} from './scaling-figures.js';

import { flagged, type Print } from '../parts/part.js';

/** How the bench runs the load generator, for the prose: the CLI, then the flags. */
const LOADGEN_RUN = 'node apps/loadgen/dist/cli.js run';
/** Host sizes of the projection. */
const PROJECTED_CORES = [4, 8, 16];

/** Event-loop delay p99 (max); `~` when no 5 s window of load only was seen (see scaling.ts, loadWindows). */
function loop(x: ScalingResult): string {
  return `${x.loopClean === false ? '~' : ''}${fixed(x.loopP99Ms, 1)} (${fixed(x.loopMaxMs, 0)})`;
}

function procCpu(x: ScalingResult): string {
  if (x.serverCpuPerProc.length === 1) return fixed(x.serverCpuPercent, 0);
  const primary = x.serverCpuPerProc.filter((c) => c.role === 'primary').map((c) => fixed(c.percent, 0));
  const workers = x.serverCpuPerProc.filter((c) => c.role === 'worker').map((c) => fixed(c.percent, 0));
  const keeper = x.serverCpuPerProc.filter((c) => c.role === 'keeper').map((c) => ` + keeper ${fixed(c.percent, 0)}`);
  return `${fixed(x.serverCpuPercent, 0)} (${primary.join('')} + ${workers.join(' + ')}${keeper.join('')})`;
}

/** Primary µs/msg, workers µs/msg (the single process's under workers for 1 worker). */
function split(x: ScalingResult): string {
  const c = stepCosts(x);
  return `${x.workers > 1 ? fixed(c.primaryUs, 1) : '–'} | ${fixed(c.workersUs, 1)}`;
}

/** This step's server µs/msg ÷ the single process's at the same offered rate ('–' without one). */
function timesOne(x: ScalingResult, series: ScalingSeriesResult): string {
  if (x.workers === 1) return '1×';
  const same = (series.steps['1'] ?? []).find((s) => s.result.offeredMsgsPerSecond === x.offeredMsgsPerSecond);
  return same === undefined ? '–' : `${fixed(x.serverCpuUsPerMsg / same.result.serverCpuUsPerMsg, 2)}×`;
}

export function renderScaling(r: BenchResults, p: Print): void {
  const o = r.options;
  const cores = r.machine.cores;
  p('## Cluster scaling with the filter on: 1 worker vs 2 workers');
  p();
  const lg = scalingLoadgenArgs(
    { rooms: o.scalingRooms, members: o.scalingMembers, procs: o.scalingClientProcs, warmupS: o.scalingWarmupS },
    '127.0.0.1:<port>',
    '<texts>',
    '<R>',
    o.scalingDurationS,
  );
  p(
    `A workload where the server's per-message work dominates: ${o.scalingRooms} rooms × ${o.scalingMembers} members = ${(o.scalingRooms * o.scalingMembers).toLocaleString('en')} TCP connections, ` +
      'every member a sender: the offered rate is spread evenly over all connections ' +
      `(at 16k msgs/s each sends 8 a second), each message goes into the sender's room and reaches its ${o.scalingMembers - 1} other members. ` +
      'Each message costs the server a JSON parse, a moderation check, a sequencing (in cluster mode a round trip through the primary, which assigns room seqs and keeps history), an ack and ' +
      `${o.scalingMembers - 1} deliveries — a small fan-out, so the per-delivery machinery measured above does not dominate. loopchat runs with \`${scalingArgs(1, 'basic').slice(2).join(' ')} --workers N\` (the flood rule raised so members are not rejected). ` +
      `**The load generator drives it**: each step is one run of \`${LOADGEN_RUN} ${lg.join(' ')} --out <json>\` — ${o.scalingClientProcs} loadgen process(es) with the members of every room spread over them; ` +
      '`--texts`: a file of 256 generated texts, sender k sending line k mod 256 every time. ' +
      `Open-model arrival rate (each message's latency counts from its *scheduled* send time), stepped up (${o.scalingRates.map(rate).join(', ')} msgs/s, scaled for the heavier series) until a step is not sustained — ` +
      `delivered < 95 % of the expected deliveries, latency p99 > ${o.scalingMaxP99Ms} ms, an error frame, a failed or dropped connection — then ${o.scalingRefine} geometric bisection step(s) between the last sustained and the first unsustained rate. The worker counts take their steps in turn (1 worker, 2 workers, 1 worker…; with --scaling-split, the two independent processes as a third), each with its own server held open, so their limits are found over the same minutes: the machine's speed drifts between runs. ` +
      `Each step: the loadgen connects and joins every member (not measured), runs ${o.scalingWarmupS} s of load before a ${o.scalingDurationS} s measured window ${
        o.scalingWarmupS + o.scalingDurationS >= 10
          ? '(that much lead so the event-loop readings below see a 5 s window of load only)'
          : '(under 10 s of load in all: the event-loop readings may include the time before the step, marked ~)'
      }, ` +
      `then drains (up to ${SCALING_DRAIN_S} s): every message must reach every other member of its room and be acked (checked from the loadgen's seq accounting and \`/stats\`). ` +
      "The loadgen tells the bench over IPC when its schedule starts, so every figure of a step covers the same window: latency (the loadgen's, of the messages scheduled in it), **delivered** (deliveries received in it, from the loadgen's per-second timeline), CPU and loop readings (sampled by the bench at its start and end). " +
      "**Server CPU %** is the whole process tree from /proc (primary + workers, each in brackets), % of one core; **µs/msg** is CPU per message delivered: the **primary**'s, the **workers**' together (for 1 worker, the single process), and the whole server's; " +
      "**× 1 process** is the server's µs/msg ÷ the single process's at the same offered rate. " +
      "**Loop p99** is the event-loop delay p99 loopchat reports in `/stats` (over each process's last completed 5 s window; in cluster mode the worst worker), read every second through the window, the highest reading; **(max)** is the longest single delay in the same readings — a stall is one long sample, so it shows in max, not in p99. " +
      `**Loadgen CPU** is the loadgen's processes (they send and receive); **softirq** the kernel's loopback network stack (/proc/stat; on this kernel's tick-based accounting, softirq that interrupts a process is charged to that process as well). The ${cores} cores are shared by all of them.`,
  );
  p();
  const figures: (ScalingFigures | { series: ScalingSeriesResult; missing: string })[] = [];
  for (const series of r.scaling) {
    p(`### ${series.label}`);
    p();
    p(
      `Texts of ${series.minBytes}–${series.maxBytes} bytes (ASCII), ${Math.round(series.termShare * 100)} % with one or two words of the term list (a fifth of those in leetspeak, a tenth dotted), so the filter masks them; the rest clean. Level \`${series.filter}\`${series.classifierUs > 0 ? `, \`--filter-classifier-us ${series.classifierUs}\`` : ''}.`,
    );
    p();
    p(
      '| workers | offered msgs/s | delivered msgs/s | deliveries/s | server CPU % | primary µs / msg | workers µs / msg | server µs / msg | × 1 process | loop p99 (max) ms | latency p50 / p99 ms | loadgen CPU % | softirq % | other load % | sustained |',
    );
    p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const [workers, steps] of Object.entries(series.steps)) {
      const sorted = [...steps].sort((a, b) => a.result.offeredMsgsPerSecond - b.result.offeredMsgsPerSecond);
      for (const s of sorted) {
        const x = s.result;
        p(
          `| ${workers} | ${rate(x.offeredMsgsPerSecond)} | ${rate(x.msgsPerSecond)} | ${rate(x.deliveredPerSecond)} | ${procCpu(x)} | ${split(x)} | ${fixed(x.serverCpuUsPerMsg, 1)} | ${timesOne(x, series)} ` +
            `| ${loop(x)} | ${fixed(x.latencyP50Ms, 1)} / ${fixed(x.latencyP99Ms, 1)} | ${fixed(x.loadgenCpuPercent, 0)} ` +
            `| ${fixed(x.irqPercent, 0)} | ${fixed(x.otherLoadPercent, 0)} | ${s.sustained ? 'yes' : `**no**: ${escapeCell(s.why)}`} |`,
        );
      }
      const failed = r.failures.find((f) => f.server === `scaling ${series.id}, --workers ${workers}`);
      if (failed !== undefined)
        p(`| ${workers} | ${failed.scenario} | failed | | | | | | | | | | | | **no**: ${escapeCell(failed.error)} |`);
    }
    // The split's steps: two independent single processes, each with half the rooms and rate.
    for (const s of [...(series.split ?? [])].sort(
      (a, b) => a.result.offeredMsgsPerSecond - b.result.offeredMsgsPerSecond,
    )) {
      const x = s.result;
      const one = (series.steps['1'] ?? []).find((o) => o.result.offeredMsgsPerSecond === x.offeredMsgsPerSecond);
      const times = one === undefined ? '–' : `${fixed(x.serverCpuUsPerMsg / one.result.serverCpuUsPerMsg, 2)}×`;
      p(
        `| 2 independent | ${rate(x.offeredMsgsPerSecond)} | ${rate(x.msgsPerSecond)} | ${rate(x.deliveredPerSecond)} | ${fixed(x.serverCpuPercent, 0)} (${x.serverCpuPercentEach.map((v) => fixed(v, 0)).join(' + ')}) | – | – | ${fixed(x.serverCpuUsPerMsg, 1)} | ${times} ` +
          `| – | ${fixed(x.latencyP50Ms, 1)} / ${fixed(x.latencyP99Ms, 1)} | ${fixed(x.loadgenCpuPercent, 0)} ` +
          `| ${fixed(x.irqPercent, 0)} | ${fixed(x.otherLoadPercent, 0)} | ${s.sustained ? 'yes' : `**no**: ${escapeCell(s.why)}`} |`,
      );
    }
    const splitFailed = r.failures.find((f) => f.server === `scaling ${series.id}, split`);
    if (splitFailed !== undefined)
      p(
        `| 2 independent | ${splitFailed.scenario} | failed | | | | | | | | | | | | **no**: ${escapeCell(splitFailed.error)} |`,
      );
    p();
    if (series.split !== undefined) {
      p(
        '**2 independent**: the same load split over two single-process servers with nothing between them, each with half the rooms (all their members) and half the rate from a loadgen of its own: the most a 2-worker cluster can do on this machine (see the verdict).',
      );
      p();
    }
    renderMaxSustained(r, series, p);
    const f = scalingFigures(series, cores);
    figures.push(typeof f === 'string' ? { series, missing: f } : f);
  }
  if (figures.length === 0) return;
  p('### Verdict');
  p();
  p(
    `**Ceiling on this machine**: the best 2 ÷ 1 ratio these ${cores} cores allow with the loadgen and the kernel beside the server, for a cluster that costs no more per message than one process. ` +
      "With s the single process's µs/msg at its max sustained step, c the loadgen's and k the kernel's µs/msg, " +
      "k being the machine's busy time, softirq included, beyond what the server, the loadgen and other processes were charged (this kernel accounts CPU by tick: softirq that interrupts a process is charged to that process too, so most of the softirq column above is already inside s and c, and adding it again would count it twice), " +
      `C = ${cores} cores and N = 2 workers: R(1) = min(10⁶ ÷ s, C × 10⁶ ÷ (s + c₁ + k₁)) and R(N) = min(N × 10⁶ ÷ s, C × 10⁶ ÷ (s + c₂ + k₂)), each loadgen process also held to one core; ` +
      "**ceiling = R(N) ÷ R(1)**, which is min(N, C × s ÷ (s + c₂ + k₂)) when the single process was bound by its own core. c₁, k₁ come from the single process's max sustained step, c₂, k₂ from the cluster's. " +
      `**CPU per message**: the cluster's server µs/msg ÷ the single process's at the highest offered rate both sustained (the same batching per event-loop turn; at their max sustained steps when there is none); goal ≤ ${CPU_RATIO_GOAL}×. ` +
      '**Floor**: at that rate (or, when the two searches shared no sustained step, the highest rate one process sustained, when the cluster sustained more), after the limits were found, one process, then the same load split over **two independent processes** (each with half the rooms, all their members and half the rate, from a loadgen of its own; no cluster, nothing between them), then the 2-worker cluster, back to back. ' +
      "A process's CPU per message falls as its load rises (a turn's fixed cost, the wakeup, the poll and the writes, is shared by more messages), so two event loops at half the load each cost more per message than one at all of it. " +
      "A 2-worker cluster runs two such loops, each worker doing at least what such an independent process does less its history store, which the primary does instead, once for both: so **its CPU per message cannot go below the two processes' on this machine** by more than what one store saves over two, and their ratio to one process is about the least the CPU goal can be measured at here.",
  );
  p();
  for (const f of figures) p(verdictLine(f));
  p();
  renderFloor(
    figures.map((f) => f.series),
    p,
  );
  renderProjection(
    r,
    figures.filter((f): f is ScalingFigures => !('missing' in f)),
    p,
  );
}

function renderMaxSustained(r: BenchResults, series: ScalingSeriesResult, p: Print): void {
  const cores = r.machine.cores;
  p(
    '**Max sustained** per worker count (the highest sustained step; its figures), and what stopped the next step (the figures of the first step that was not sustained):',
  );
  p();
  p(
    '| workers | max sustained msgs/s | deliveries/s | server CPU % | primary µs / msg | workers µs / msg | server µs / msg | × 1 process | loop p99 (max) ms | loadgen µs / msg | kernel µs / msg | machine busy % | next step |',
  );
  p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const one = bestStep(series.steps['1'])?.result;
  for (const [workers, steps] of Object.entries(series.steps)) {
    const b = bestStep(steps);
    const firstFail = [...steps]
      .filter((s) => !s.sustained)
      .sort((a, c) => a.result.offeredMsgsPerSecond - c.result.offeredMsgsPerSecond)[0];
    const next =
      firstFail === undefined
        ? 'every step offered was sustained'
        : `${rate(firstFail.result.offeredMsgsPerSecond)}: ${escapeCell(firstFail.why)}; ${limitOf(firstFail.result, cores)}`;
    if (b === undefined) {
      p(`| ${workers} | none | | | | | | | | | | | ${next} |`);
      continue;
    }
    const x = b.result;
    const c = stepCosts(x);
    const times = one === undefined ? '–' : `${fixed(x.serverCpuUsPerMsg / one.serverCpuUsPerMsg, 2)}×`;
    p(
      `| ${workers} | **${rate(x.offeredMsgsPerSecond)}** | ${rate(x.deliveredPerSecond)} | ${procCpu(x)} | ${split(x)} | ${fixed(x.serverCpuUsPerMsg, 1)} | ${times} | ${loop(x)} ` +
        `| ${fixed(perMsgUs(x.loadgenCpuPercent, x), 1)} | ${fixed(c.kernelUs, 1)} | ${fixed(x.machineBusyPercent, 0)} | ${next} |`,
    );
  }
  p();
}

function verdictLine(f: ScalingFigures | { series: ScalingSeriesResult; missing: string }): string {
  if ('missing' in f) return `- ${f.series.label}: scaling ratio not measured (${f.missing}).`;
  const { one, two } = f;
  const c2 = stepCosts(f.cpuTwo);
  const cpu = cpuVerdict(f);
  const at =
    f.cpuRatioAt === undefined
      ? `at their max sustained steps (${rate(two.offeredMsgsPerSecond)} and ${rate(one.offeredMsgsPerSecond)} msgs/s; no offered rate both sustained)`
      : `at ${rate(f.cpuRatioAt)} msgs/s offered, both sustained`;
  return (
    `- **${f.series.label}: 2 workers ÷ 1 worker = ${fixed(f.ratio, 2)}×** (${rate(two.offeredMsgsPerSecond)} vs ${rate(one.offeredMsgsPerSecond)} msgs/s sustained${unlimited(f)}) — ` +
    `goal ≥ ${f.goal}× **${f.ratio >= f.goal ? 'met' : 'not met'}**; **this machine allows ${fixed(f.ceiling, 2)}×** at best (${fixed((f.ratio / f.ceiling) * 100, 0)} % of it). ` +
    `**CPU per message: ${fixed(f.cpuRatio, 2)}×** one process's (${fixed(f.cpuTwo.serverCpuUsPerMsg, 1)} µs = primary ${fixed(c2.primaryUs, 1)} + workers ${fixed(c2.workersUs, 1)}, against ${fixed(f.cpuOne.serverCpuUsPerMsg, 1)} µs, ${at}) — ` +
    `goal ≤ ${CPU_RATIO_GOAL}×${cpu.floor === undefined ? '' : " on the floor rounds' median (the cluster beside the floor)"} **${cpu.ratio <= CPU_RATIO_GOAL ? 'met' : 'not met'}**.` +
    splitWords(f) +
    floorWords(f) +
    (f.saturated
      ? ''
      : ' (The ceiling uses the costs at the highest sustained steps; a series that never reached an unsustained step measured them below saturation, where a message costs more.)')
  );
}

/** The floor rounds of every series that has them. */
function renderFloor(series: ScalingSeriesResult[], p: Print): void {
  const rows = series.flatMap((s) => (s.floor ?? []).map((round, i) => ({ s, round, i })));
  if (rows.length === 0) return;
  p('**Floor rounds** (server µs/msg; in brackets, % of one core; two independent processes: each process):');
  p();
  p(
    '| series | msgs/s offered | round | 1 process | 2 independent processes | ÷ 1 process | 2 workers | ÷ 1 process | latency p99 ms (1 / 2 indep. / 2 workers) |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const { s, round, i } of rows) {
    const { single, split, cluster } = round;
    const flags = escapeCell([single, split, cluster].map(flagged).join(''));
    p(
      `| ${s.label} | ${rate(round.atMsgsPerSecond)} | ${i + 1} | ${fixed(single.serverCpuUsPerMsg, 1)} (${fixed(single.serverCpuPercent, 0)}) ` +
        `| ${fixed(split.serverCpuUsPerMsg, 1)} (${split.serverCpuPercentEach.map((v) => fixed(v, 0)).join(' + ')}) | **${fixed(split.serverCpuUsPerMsg / single.serverCpuUsPerMsg, 2)}×** ` +
        `| ${fixed(cluster.serverCpuUsPerMsg, 1)} (${procCpu(cluster)}) | **${fixed(cluster.serverCpuUsPerMsg / single.serverCpuUsPerMsg, 2)}×** ` +
        `| ${fixed(single.latencyP99Ms, 1)} / ${fixed(split.latencyP99Ms, 1)} / ${fixed(cluster.latencyP99Ms, 1)}${flags} |`,
    );
  }
  p();
}

/** The verdict's sentence on the split's limit: the most a 2-worker cluster can reach here, measured. */
function splitWords(f: ScalingFigures): string {
  const best = bestStep(f.series.split)?.result;
  if (best === undefined) return '';
  const x = best.offeredMsgsPerSecond / f.one.offeredMsgsPerSecond;
  return (
    ` **Two independent processes reach ${fixed(x, 2)}×** one process (${rate(best.offeredMsgsPerSecond)} msgs/s sustained, searched beside the worker counts): about the most a 2-worker cluster can here, measured; ` +
    `the cluster reached ${fixed((f.ratio / x) * 100, 0)} % of it` +
    (x < f.goal ? `, and the ${f.goal}× goal is above it.` : '.')
  );
}

/** The verdict's floor sentence: what two independent processes cost, and the cluster beside them. */
function floorWords(f: ScalingFigures): string {
  const x = floorFigures(f.series);
  if (x === undefined) return '';
  const rounds = x.rounds === 1 ? 'one round' : `medians of ${x.rounds} rounds`;
  return (
    ` **Floor on this machine: ${fixed(x.floor, 2)}×** (two independent processes ${fixed(x.splitUs, 1)} µs/msg against one process's ${fixed(x.singleUs, 1)}, at ${rate(x.atMsgsPerSecond)} msgs/s, ${rounds}); ` +
    `the cluster beside them **${fixed(x.cluster, 2)}×** (${fixed(x.clusterUs, 1)} µs), ${fixed(x.cluster / x.floor, 2)}× the floor` +
    (x.floor > CPU_RATIO_GOAL ? `: the ${CPU_RATIO_GOAL}× goal is below what any 2-worker cluster can reach here.` : '.')
  );
}

/** Whether each max sustained step is within a step of its limit, or which is not a limit at all. */
function unlimited(f: ScalingFigures): string {
  if (f.saturated) return '; each within a step of its true limit';
  const open = ['1', '2'].filter((w) => !(f.series.steps[w] ?? []).some((s) => !s.sustained));
  return `; NOT a limit for ${open.map((w) => `${w} worker${w === '1' ? '' : 's'}`).join(' and ')}: the highest step offered was sustained`;
}

const LIMIT_WORDS: Record<Limit, string> = {
  cores: 'the cores',
  primary: "the primary's core",
  keeper: "the history keeper's core",
  worker: 'a worker',
  client: 'a client process',
};

function renderProjection(r: BenchResults, figures: ScalingFigures[], p: Print): void {
  if (figures.length === 0) return;
  const saturated = primaryVerdict(r)?.us;
  p('### Projection to larger hosts');
  p();
  p(
    "From the 2-worker cluster's costs per message at its max sustained step — p the primary's, h its history keeper's (the process that folds the primary's commits into the SQLite file), w the workers' together, c the loadgen's, k the kernel's (as in the ceiling) — " +
      'what `--workers auto` (one worker per core) would carry on a host of C cores, the clients on other machines: ' +
      "**R(C) = min(C × 10⁶ ÷ (p + h + w + k), 10⁶ ÷ p_sat, 10⁶ ÷ h, C × 10⁶ ÷ w)** — all the cores shared by the primary, the keeper, the workers and the kernel; the primary on one core; the keeper on one core; the workers' work split evenly, each on one core. " +
      `p_sat is the primary's cost when it is the bottleneck: ${saturated === undefined ? 'p (the primary part, which measures it saturated, did not run)' : `${fixed(saturated, 2)} µs, the worst at the default flush interval in the primary part (next section); p, measured at the cluster's rate here, pays a wakeup and a write for a few messages at a time and would make the primary's core look like the limit long before it is`}. ` +
      'In brackets, with the loadgen on the same host: C × 10⁶ ÷ (p + h + w + c + k) as the first term. ' +
      'It holds the per-message costs as measured here: each worker with members in a room pays a receive per message, and 4-member rooms span up to 4 workers on a larger host against 2 here, and the primary writes to more workers, so read it as an upper bound; ' +
      "k is loopback, where the kernel carries both ends of every connection, so it overstates the kernel's share on a host whose clients are elsewhere.",
  );
  p();
  p(
    `| series | p µs | h µs | w µs | c µs | k µs | ${PROJECTED_CORES.map((c) => `${c} cores msgs/s (loadgen on host)`).join(' | ')} |`,
  );
  p(`|---|---:|---:|---:|---:|---:|${PROJECTED_CORES.map(() => '---:').join('|')}|`);
  for (const f of figures) {
    const c = { ...f.costs, primarySaturatedUs: saturated };
    const cells = PROJECTED_CORES.map((cores) => {
      const away = projectCluster(c, cores, false);
      const here = projectCluster(c, cores, true);
      return `**${rate(away.msgsPerSecond)}** (${rate(here.msgsPerSecond)}), ${LIMIT_WORDS[away.limit]}`;
    });
    p(
      `| ${f.series.label} | ${fixed(c.primaryUs, 1)} | ${fixed(c.keeperUs ?? 0, 1)} | ${fixed(c.workersUs, 1)} | ${fixed(c.clientUs, 1)} | ${fixed(c.kernelUs, 1)} | ${cells.join(' | ')} |`,
    );
  }
  p();
  const eight = figures.map((f) => {
    const x = projectCluster({ ...f.costs, primarySaturatedUs: saturated }, 8, false);
    return `${rate(x.msgsPerSecond)} msgs/s with ${f.series.label.replace(/ \(.*\)$/, '')} (${LIMIT_WORDS[x.limit]} the limit; ${fixed((x.msgsPerSecond * f.one.serverCpuUsPerMsg) / 1e6, 1)}× what one process does on its core, 10⁶ ÷ s)`;
  });
  p(
    `**On an 8-core host** with the clients on other machines, expect at most about ${eight.join('; ')} — before the wider rooms and the other caveats above.`,
  );
  p();
}

/** Which CPU ran out at a step that was not sustained. */
function limitOf(x: ScalingResult, cores: number): string {
  const parts = `server ${fixed(x.serverCpuPercent, 0)} %, loadgen ${fixed(x.loadgenCpuPercent, 0)} %, softirq ${fixed(x.irqPercent, 0)} %, others ${fixed(x.otherLoadPercent, 0)} %`;
  const hotWorker = x.serverCpuPerProc.find((c) => c.percent >= 90);
  if (x.machineBusyPercent >= cores * 100 * 0.9) return `all ${cores} cores busy (${parts})`;
  if (hotWorker !== undefined) return `the ${hotWorker.role === 'single' ? "server's" : hotWorker.role} core (${parts})`;
  if (x.loadgenCpuPercentPerProc.some((v) => v >= 90)) return `a loadgen process (${parts})`;
  return `no CPU saturated (${parts})`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
