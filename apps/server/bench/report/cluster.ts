/**
 * BENCHMARKS.md sections of issue 3: the moderation filter's cost per message and the bus's
 * delivery latency overhead (single process vs cluster IPC vs Redis); cluster scaling is in
 * scaling.ts.
 */
import type { BenchResults } from '../lib/results.js';
import { fixed, median, rate } from '../lib/summary.js';
import { BUS_DRAIN_S, BUS_LABELS, busLoadgenArgs, type BusMode, type BusResult } from '../scenarios/bus.js';
import { medianRun } from '../scenarios/filter.js';

import type { Print } from '../parts/part.js';

/** How the bench runs the load generator, for the prose: the CLI, then the flags. */
const LOADGEN_RUN = 'node apps/loadgen/dist/cli.js run';

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
    `loopchat's own \`measureFilterCost\` (\`apps/server/bench/lib/filter-cost.ts\`, run from the build in a process of its own) times each \`check()\` of ${f.messages.toLocaleString('en')} generated chat messages ` +
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
      "**Single process**: `--workers 1`, LocalBus. **--workers 2**: every message goes sender's worker → primary (seq, history) → every worker with members in the room, over IPC; the connections land on both workers (counts below); each side writes to the other at most once per `--cluster-flush-ms` (loopchat's default, given in the table of the primary's ceiling), so at a message a millisecond a message may wait that long on each of its two hops: most of the cluster's p50 overhead is that pacing, which buys its CPU per message (README, \"Cluster\"). " +
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
