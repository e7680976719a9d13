/**
 * BENCHMARKS.md sections of issue 3: the moderation filter's cost per message, cluster
 * scaling with the filter on (1 worker vs 2), and the bus's delivery latency overhead
 * (single process vs cluster IPC vs Redis).
 */
import type { BenchResults, ScalingSeriesResult, ScalingStep } from '../lib/results.js';
import { fixed, median, rate } from '../lib/summary.js';
import { BUS_DRAIN_S, BUS_LABELS, busLoadgenArgs, type BusMode, type BusResult } from '../scenarios/bus.js';
import { medianRun } from '../scenarios/filter.js';
import { SCALING_DRAIN_S, scalingArgs, scalingLoadgenArgs, type ScalingResult } from '../scenarios/scaling.js';

type Print = (line?: string) => void;

/** How the bench runs the load generator, for the prose: the CLI, then the flags. */
const LOADGEN_RUN = 'node apps/loadgen/dist/cli.js run';

/** Issue 3: throughput with the filter on, 2 workers ÷ 1 worker, on a 2-core machine. */
export const SCALING_GOAL = 1.8;

export function renderFilter(r: BenchResults, p: Print): void {
  const f = r.filter;
  p('## Moderation filter: cost per message');
  p();
  if (f === undefined) {
    p('Not measured (see checks).');
    p();
    return;
  }
  p(
    `loopchat's own \`measureFilterCost\` (\`apps/server/src/moderation/filter-cost.ts\`, run from the build in a process of its own) times each \`check()\` of ${f.messages.toLocaleString('en')} generated chat messages ` +
      'against the shipped term list (`apps/server/data/filter-terms.txt`), after a JIT warm-up of 5,000: mostly clean ~100-character sentences, some with listed terms, some of those obfuscated ' +
      '(leetspeak, spacing, look-alikes, zero-width characters, fullwidth letters, stretched letters), a few with links, accents, emoji or shouting; one sender of 2,000 in turn, 2 ms apart. ' +
      'Each check is timed alone with `process.hrtime.bigint()` (≈ 50 ns of timer overhead included). **msgs/s on one core** = 1 ÷ mean: what a core does filtering and nothing else. ' +
      `\`basic\` masks listed terms, \`strict\` rejects them (and checks repetition). ${r.options.filterRuns > 1 ? `Median of ${r.options.filterRuns} runs (by mean); the range of the means is in brackets.` : 'One run.'}`,
  );
  p();
  p('| level | p50 µs | p99 µs | mean µs | max µs | msgs/s on one core | verdicts (allow / mask / reject) |');
  p('|---|---:|---:|---:|---:|---:|---|');
  for (const level of ['basic', 'strict'] as const) {
    const m = medianRun(f, level);
    if (m === undefined) {
      p(`| ${level} | failed | | | | | |`);
      continue;
    }
    const means = f.runs.filter((x) => x.level === level).map((x) => x.meanus);
    const spread = means.length > 1 ? ` (${Math.min(...means).toFixed(2)}–${Math.max(...means).toFixed(2)})` : '';
    p(
      `| ${level} | **${fixed(m.p50us, 2)}** | **${fixed(m.p99us, 2)}** | ${fixed(m.meanus, 2)}${spread} | ${fixed(m.maxus, 1)} | ${rate(m.messagesPerSecond)} ` +
        `| ${m.verdicts.allow.toLocaleString('en')} / ${m.verdicts.mask.toLocaleString('en')} / ${m.verdicts.reject.toLocaleString('en')} |`,
    );
  }
  p();
}

/** The highest sustained step of one worker count. */
export function bestStep(steps: ScalingStep[] | undefined): ScalingStep | undefined {
  return (steps ?? [])
    .filter((s) => s.sustained)
    .sort((a, b) => b.result.offeredMsgsPerSecond - a.result.offeredMsgsPerSecond)[0];
}

/** Event-loop delay p99 (max); `~` when no 5 s window of load only was seen (see scaling.ts, loadWindows). */
function loop(x: ScalingResult): string {
  return `${x.loopClean === false ? '~' : ''}${fixed(x.loopP99Ms, 1)} (${fixed(x.loopMaxMs, 0)})`;
}

function procCpu(x: ScalingResult): string {
  if (x.serverCpuPerProc.length === 1) return fixed(x.serverCpuPercent, 0);
  const primary = x.serverCpuPerProc.filter((c) => c.role === 'primary').map((c) => fixed(c.percent, 0));
  const workers = x.serverCpuPerProc.filter((c) => c.role === 'worker').map((c) => fixed(c.percent, 0));
  return `${fixed(x.serverCpuPercent, 0)} (${primary.join('')} + ${workers.join(' + ')})`;
}

/** CPU µs per message delivered, from a % of one core. */
function perMsgUs(percent: number, x: ScalingResult): number {
  return ((percent / 100) * 1e6) / Math.max(1, x.msgsPerSecond);
}

/**
 * What the rest of the machine spent beside the server, % of one core: the loadgen and the
 * kernel's network stack where it was not charged to the server (softirq time is charged to
 * whichever process it interrupted), but not other processes.
 */
function besideServer(x: ScalingResult): number {
  return Math.max(0, x.machineBusyPercent - x.serverCpuPercent - x.otherLoadPercent);
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
      `delivered < 95 % of the expected deliveries, latency p99 > ${o.scalingMaxP99Ms} ms, an error frame, a failed or dropped connection — then ${o.scalingRefine} bisection step(s) between the last sustained and the first unsustained rate. ` +
      `Each step: the loadgen connects and joins every member (not measured), runs ${o.scalingWarmupS} s of load before a ${o.scalingDurationS} s measured window ${
        o.scalingWarmupS + o.scalingDurationS >= 10
          ? '(that much lead so the event-loop readings below see a 5 s window of load only)'
          : '(under 10 s of load in all: the event-loop readings may include the time before the step, marked ~)'
      }, ` +
      `then drains (up to ${SCALING_DRAIN_S} s): every message must reach every other member of its room and be acked (checked from the loadgen's seq accounting and \`/stats\`). ` +
      "The loadgen tells the bench over IPC when its schedule starts, so every figure of a step covers the same window: latency (the loadgen's, of the messages scheduled in it), **delivered** (deliveries received in it, from the loadgen's per-second timeline), CPU and loop readings (sampled by the bench at its start and end). " +
      '**Server CPU %** is the whole process tree from /proc (primary + workers, each in brackets), % of one core; **µs/msg** is that CPU per message delivered. ' +
      "**Loop p99** is the event-loop delay p99 loopchat reports in `/stats` (over each process's last completed 5 s window; in cluster mode the worst worker), read every second through the window, the highest reading; **(max)** is the longest single delay in the same readings — a stall is one long sample, so it shows in max, not in p99. " +
      `**Loadgen CPU** is the loadgen's processes (they send and receive); **softirq** the kernel's loopback network stack, charged to no process. The ${cores} cores are shared by all of them.`,
  );
  p();
  const goalLines: string[] = [];
  for (const series of r.scaling) {
    p(`### ${series.label}`);
    p();
    p(
      `Texts of ${series.minBytes}–${series.maxBytes} bytes (ASCII), ${Math.round(series.termShare * 100)} % with one or two words of the term list (a fifth of those in leetspeak, a tenth dotted), so the filter masks them; the rest clean. Level \`${series.filter}\`${series.classifierUs > 0 ? `, \`--filter-classifier-us ${series.classifierUs}\`` : ''}.`,
    );
    p();
    p(
      '| workers | offered msgs/s | delivered msgs/s | deliveries/s | server CPU % | server µs / msg | loop p99 (max) ms | latency p50 / p99 ms | loadgen CPU % | softirq % | other load % | sustained |',
    );
    p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const [workers, steps] of Object.entries(series.steps)) {
      const sorted = [...steps].sort((a, b) => a.result.offeredMsgsPerSecond - b.result.offeredMsgsPerSecond);
      for (const s of sorted) {
        const x = s.result;
        p(
          `| ${workers} | ${rate(x.offeredMsgsPerSecond)} | ${rate(x.msgsPerSecond)} | ${rate(x.deliveredPerSecond)} | ${procCpu(x)} | ${fixed(x.serverCpuUsPerMsg, 1)} ` +
            `| ${loop(x)} | ${fixed(x.latencyP50Ms, 1)} / ${fixed(x.latencyP99Ms, 1)} | ${fixed(x.loadgenCpuPercent, 0)} ` +
            `| ${fixed(x.irqPercent, 0)} | ${fixed(x.otherLoadPercent, 0)} | ${s.sustained ? 'yes' : `**no**: ${escapeCell(s.why)}`} |`,
        );
      }
      const failed = r.failures.find((f) => f.server === `scaling ${series.id}, --workers ${workers}`);
      if (failed !== undefined)
        p(`| ${workers} | ${failed.scenario} | failed | | | | | | | | | **no**: ${escapeCell(failed.error)} |`);
    }
    p();
    renderScalingSummary(r, series, p, goalLines);
  }
  if (goalLines.length > 0) {
    p('### Verdict');
    p();
    for (const line of goalLines) p(line);
    p();
  }
}

function renderScalingSummary(r: BenchResults, series: ScalingSeriesResult, p: Print, goalLines: string[]): void {
  const cores = r.machine.cores;
  p(
    '**Max sustained** per worker count (the highest sustained step; its figures), and what stopped the next step (the figures of the first step that was not sustained):',
  );
  p();
  p(
    '| workers | max sustained msgs/s | deliveries/s | server CPU % | server µs / msg | loop p99 (max) ms | loadgen CPU % | rest of the machine µs / msg | machine busy % | next step |',
  );
  p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const best: Record<string, ScalingStep | undefined> = {};
  for (const [workers, steps] of Object.entries(series.steps)) {
    const b = (best[workers] = bestStep(steps));
    const firstFail = [...steps]
      .filter((s) => !s.sustained)
      .sort((a, c) => a.result.offeredMsgsPerSecond - c.result.offeredMsgsPerSecond)[0];
    const next =
      firstFail === undefined
        ? 'every step offered was sustained'
        : `${rate(firstFail.result.offeredMsgsPerSecond)}: ${escapeCell(firstFail.why)}; ${limitOf(firstFail.result, cores)}`;
    if (b === undefined) {
      p(`| ${workers} | none | | | | | | | | ${next} |`);
      continue;
    }
    const x = b.result;
    p(
      `| ${workers} | **${rate(x.offeredMsgsPerSecond)}** | ${rate(x.deliveredPerSecond)} | ${procCpu(x)} | ${fixed(x.serverCpuUsPerMsg, 1)} | ${loop(x)} ` +
        `| ${fixed(x.loadgenCpuPercent, 0)} | ${fixed(perMsgUs(besideServer(x), x), 1)} | ${fixed(x.machineBusyPercent, 0)} | ${next} |`,
    );
  }
  p();
  const one = best['1']?.result;
  const two = best['2']?.result;
  if (one === undefined || two === undefined) {
    goalLines.push(`- ${series.label}: scaling ratio not measured (a worker count had no sustained step).`);
    return;
  }
  const ratio = two.offeredMsgsPerSecond / one.offeredMsgsPerSecond;
  const saturated = ['1', '2'].every((w) => (series.steps[w] ?? []).some((s) => !s.sustained));
  const met = ratio >= SCALING_GOAL;
  // What the CPU allows: at the measured µs per message, the 2-worker cluster on `cores` cores
  // with the loadgen and the loopback stack beside it (their µs per message, measured too).
  const sideUs = perMsgUs(besideServer(two), two);
  const ceiling2 = (cores * 1e6) / (two.serverCpuUsPerMsg + sideUs);
  const ceiling2Alone = (Math.min(cores, 2) * 1e6) / two.serverCpuUsPerMsg;
  const side1 = perMsgUs(besideServer(one), one);
  const ceiling1 = Math.min(1e6 / one.serverCpuUsPerMsg, (cores * 1e6) / (one.serverCpuUsPerMsg + side1));
  const primary = two.serverCpuPerProc.filter((c) => c.role === 'primary');
  const primaryUs = primary.length > 0 ? ((primary[0]!.percent / 100) * 1e6) / Math.max(1, two.msgsPerSecond) : NaN;
  const workersUs = two.serverCpuUsPerMsg - (Number.isFinite(primaryUs) ? primaryUs : 0);
  // The same offered rate on both: the cost of cluster mode per message, batching alike.
  const sustainedAt = (w: string): Map<number, ScalingResult> =>
    new Map((series.steps[w] ?? []).filter((s) => s.sustained).map((s) => [s.result.offeredMsgsPerSecond, s.result]));
  const at1 = sustainedAt('1');
  const at2 = sustainedAt('2');
  const common = [...at1.keys()].filter((k) => at2.has(k)).sort((a, b) => b - a)[0];
  const sameRate =
    common === undefined
      ? ''
      : `At the same offered rate (${rate(common)} msgs/s, both sustained) the cluster spent ${fixed(at2.get(common)!.serverCpuUsPerMsg, 1)} µs per message against ${fixed(at1.get(common)!.serverCpuUsPerMsg, 1)} µs (${fixed(at2.get(common)!.serverCpuUsPerMsg / at1.get(common)!.serverCpuUsPerMsg, 2)}×). `;
  const line =
    `- **${series.label}: 2 workers ÷ 1 worker = ${fixed(ratio, 2)}×** (${rate(two.offeredMsgsPerSecond)} vs ${rate(one.offeredMsgsPerSecond)} msgs/s sustained${saturated ? '; each within a step of its true limit' : '; NOT a limit: the highest step offered was sustained'}) — ` +
    `goal ≥ ${SCALING_GOAL}× **${met ? 'met' : 'not met'}**. ` +
    `Per message the single process spends ${fixed(one.serverCpuUsPerMsg, 1)} µs of CPU; the 2-worker cluster ${fixed(two.serverCpuUsPerMsg, 1)} µs ` +
    `(${Number.isFinite(primaryUs) ? `primary ${fixed(primaryUs, 1)} µs + ` : ''}workers ${fixed(workersUs, 1)} µs: ${fixed(two.serverCpuUsPerMsg / one.serverCpuUsPerMsg, 2)}× as much — ` +
    "the hop through the primary and back (IPC serialization on both sides, the primary's sequencing and history), and the per-message work repeated on every worker with members in the room: parsing the event, encoding the frame; a single process also batches more per event-loop turn as it saturates, so its cost per message falls further). " +
    sameRate +
    `At those costs one worker tops out near ${rate(ceiling1)} msgs/s on its core; two workers near ${rate(ceiling2Alone)} msgs/s if they had ${Math.min(cores, 2)} cores to themselves ` +
    `(${fixed(ceiling2Alone / ceiling1, 2)}×), and near ${rate(ceiling2)} msgs/s on ${cores} cores shared with the loadgen and the loopback stack (${fixed(sideUs, 1)} µs per message beside the server) — ` +
    `${fixed(ceiling2 / ceiling1, 2)}× at best on this machine.` +
    (saturated
      ? ''
      : ' (These ceilings use the costs at the highest sustained steps; a series that never reached an unsustained step measured them below saturation, where a message costs more.)');
  goalLines.push(line);
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

export function renderBus(r: BenchResults, p: Print): void {
  const o = r.options;
  p('## Bus: delivery latency across workers and across Redis');
  p();
  const lg = busLoadgenArgs(
    {
      rooms: o.busRooms,
      members: o.busMembers,
      msgsPerSecond: o.busRate,
      warmupS: o.busWarmupS,
      durationS: o.busDurationS,
    },
    '127.0.0.1:<port>',
  );
  p(
    `The same modest load through three deployments: ${rate(o.busRate)} msgs/s into ${o.busRooms} rooms of ${o.busMembers} members — in each room one sender and ${o.busMembers - 1} receivers, ` +
      `so ${rate(o.busRate * (o.busMembers - 1))} deliveries/s; \`--filter off\` (the filter costs the same in every mode; this is about the bus). ` +
      `**The load generator drives it**: each window is one run of \`${LOADGEN_RUN} ${lg.join(' ')} --out <json>\` (connect and join, not measured; warm-up; window; a drain of up to ${BUS_DRAIN_S} s in which every message must reach every receiver and be acked, checked). ` +
      "**Single process**: `--workers 1`, LocalBus. **--workers 2**: every message goes sender's worker → primary (seq, history) → every worker with members in the room, over IPC; the connections land on both workers (counts below). " +
      '**2 instances on one Redis**: two single-process servers sharing a private `redis-server` (its own port, no persistence) — the loadgen connects the senders to instance A and, with `--receiver-tcp 127.0.0.1:<port of B>`, the receivers to B, so every delivery goes A → Redis (a Lua script: seq, capped stream, PUBLISH) → B. ' +
      `Latency from each message's scheduled send time to its arrival at a receiver, for the messages scheduled in the ${o.busDurationS} s window after ${o.busWarmupS} s of warm-up (the loadgen's HdrHistogram); **overhead** is the percentile minus the single process's. ` +
      "**Server CPU** over exactly that window (the loadgen tells the bench over IPC when its schedule starts) includes every loopchat process and, for Redis, redis-server (in brackets); **loadgen CPU** is the loadgen's. " +
      `${o.busRuns > 1 ? `Median of ${o.busRuns} windows (loadgen runs) per deployment.` : 'One window per deployment.'}`,
  );
  p();
  p(
    '| deployment | deliveries/s | latency p50 / p99 / p99.9 / max ms | overhead vs single p50 / p99 / p99.9 ms | server CPU % | loadgen CPU % | other load % | connections per process | all delivered |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---|---|');
  const byMode = new Map<BusMode, BusResult[]>();
  for (const x of r.bus) byMode.set(x.mode, [...(byMode.get(x.mode) ?? []), x]);
  const med = (mode: BusMode, pick: (x: BusResult) => number): number => median((byMode.get(mode) ?? []).map(pick));
  for (const mode of o.busModes) {
    const runs = byMode.get(mode);
    const failed = r.failures.find((f) => f.server === `bus ${mode}`);
    if (runs === undefined || runs.length === 0) {
      p(`| ${BUS_LABELS[mode]} | failed | | | | | | | ${failed === undefined ? 'see checks' : escapeCell(failed.error)} |`);
      continue;
    }
    const lat = (pick: (x: BusResult) => number): number => med(mode, pick);
    const over = (pick: (x: BusResult) => number): string =>
      mode === 'local' ? '–' : fixed(lat(pick) - med('local', pick), 2);
    const ok = runs.every((x) => x.totalDelivered === x.totalExpected && x.problems.length === 0);
    p(
      `| ${BUS_LABELS[mode]} | ${rate(lat((x) => x.deliveredPerSecond))} ` +
        `| ${fixed(
          lat((x) => x.latencyP50Ms),
          2,
        )} / **${fixed(
          lat((x) => x.latencyP99Ms),
          2,
        )}** / ${fixed(
          lat((x) => x.latencyP999Ms),
          2,
        )} / ${fixed(
          lat((x) => x.latencyMaxMs),
          1,
        )} ` +
        `| ${over((x) => x.latencyP50Ms)} / **${over((x) => x.latencyP99Ms)}** / ${over((x) => x.latencyP999Ms)} ` +
        `| ${fixed(
          lat((x) => x.serverCpuPercent),
          0,
        )}${
          mode === 'redis'
            ? ` (redis ${fixed(
                lat((x) => x.redisCpuPercent),
                0,
              )})`
            : ''
        } | ${fixed(
          lat((x) => x.loadgenCpuPercent),
          0,
        )} ` +
        `| ${fixed(
          lat((x) => x.otherLoadPercent),
          0,
        )} | ${runs[0]!.connectionsPerProcess.join(' + ')} | ${ok ? `yes (${runs.map((x) => x.totalDelivered.toLocaleString('en')).join(', ')})` : 'NO, see checks'} |`,
    );
  }
  p();
  const redis = r.bus.find((x) => x.redisVersion !== undefined);
  if (redis !== undefined) p(`redis-server ${redis.redisVersion} on loopback.`);
  p();
}

export function clusterCheckLines(r: BenchResults): string[] {
  const lines: string[] = [];
  const f = r.filter;
  if (f !== undefined) {
    for (const x of f.problems) lines.push(`- filter cost: ${x}`);
    for (const x of f.warnings) lines.push(`- filter cost: warning: ${x}`);
  }
  for (const series of r.scaling) {
    for (const [workers, steps] of Object.entries(series.steps)) {
      for (const s of steps) {
        const what = `- scaling (${series.id}) --workers ${workers} at ${rate(s.result.offeredMsgsPerSecond)} msgs/s`;
        const undrained = s.sustained ? '' : ' (step not sustained: messages were still queued when the drain gave up)';
        for (const x of s.result.problems)
          lines.push(`${what}: ${x}${/^(members received|senders got|\/stats deliveries)/.test(x) ? undrained : ''}`);
        for (const x of s.result.warnings) lines.push(`${what}: warning: ${x}`);
      }
      // Server log lines accumulate over a series: quote them once, from its last step.
      const last = steps[steps.length - 1];
      for (const x of last?.result.notes ?? [])
        lines.push(`- scaling (${series.id}) --workers ${workers}, server log: \`${x}\``);
    }
    const first = Object.values(series.steps)
      .flat()
      .map((s) => s.result)[0];
    if (first !== undefined)
      lines.push(
        `- scaling (${series.id}): moderation verdicts in the first step (from /metrics): \`${JSON.stringify(first.verdicts)}\``,
      );
  }
  const noted = new Set<string>();
  for (const x of r.bus) {
    for (const y of x.problems) lines.push(`- bus ${x.mode} run ${x.run}: ${y}`);
    for (const y of x.warnings) lines.push(`- bus ${x.mode} run ${x.run}: warning: ${y}`);
    for (const y of x.notes) {
      const line = `- bus ${x.mode}, server log: \`${y}\``;
      if (!noted.has(line)) lines.push(line);
      noted.add(line);
    }
  }
  return lines;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
