/**
 * BENCHMARKS.md, "The primary's ceiling": the cluster's real PrimaryBus with synthetic
 * workers and no clients (scenarios/primary.ts), per `--cluster-flush-ms` and worker count.
 */
import type { BenchResults } from '../lib/results.js';
import { fixed, median, rate } from '../lib/summary.js';
import type { PrimaryResult } from '../scenarios/primary.js';
import { PRIMARY_US_GOAL } from './scaling-figures.js';

import type { Print } from '../parts/part.js';

/** One configuration's rounds at loopchat's default flush interval: the median primary µs/msg and their range. */
export interface PrimaryMedian {
  history: string;
  flushMs: number;
  workers: number;
  us: number;
  min: number;
  max: number;
  rounds: number;
}

/** Each configuration's median over its rounds (rows with problems left out), at the default flush interval. */
export function primaryMedians(r: BenchResults, history?: string): PrimaryMedian[] {
  const groups = new Map<string, PrimaryResult[]>();
  for (const x of r.primary ?? []) {
    if (x.flushMs !== x.defaultFlushMs || x.problems.length > 0) continue;
    if (history !== undefined && historyOf(x) !== history) continue;
    const key = `${historyOf(x)} ${x.flushMs} ${x.workers}`;
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  return [...groups.values()].map((xs) => {
    const us = xs.map((x) => x.primaryUsPerMsg);
    return {
      history: historyOf(xs[0]!),
      flushMs: xs[0]!.flushMs,
      workers: xs[0]!.workers,
      us: median(us),
      min: Math.min(...us),
      max: Math.max(...us),
      rounds: xs.length,
    };
  });
}

/** The primary's µs/msg the goal is judged on: the worst configuration's median at loopchat's default flush interval. */
export function primaryVerdict(r: BenchResults, history?: string): PrimaryMedian | undefined {
  return primaryMedians(r, history).sort((a, b) => b.us - a.us)[0];
}

/** How a verdict's figure was taken, for the goal lines. */
export function primaryVerdictWords(v: PrimaryMedian): string {
  return v.rounds === 1
    ? `${v.workers} synthetic workers`
    : `${v.workers} synthetic workers, median of ${v.rounds} rounds, ${fixed(v.min, 2)}–${fixed(v.max, 2)}`;
}

function historyOf(x: { history?: string }): string {
  return x.history ?? 'memory';
}

export function renderPrimary(r: BenchResults, p: Print): void {
  const o = r.options;
  const rows = r.primary ?? [];
  p("## The primary's ceiling: sequencing without clients");
  p();
  p(
    "Every message of a cluster passes through the primary, one event loop on one core, so its CPU per message bounds the whole cluster: **10⁶ ÷ the primary's µs per message** is the most any number of workers can carry. " +
      "Measured here without clients, so nothing else competes for that figure: a process runs the cluster's real `PrimaryBus` (from the build, `apps/server/dist/cluster/primary-bus.js`, loopchat's default limits) with K synthetic workers (`apps/server/bench/workers/synthetic-cluster-worker.ts`) instead of real ones, " +
      'each on its own socketpair (stdio slot 4, as `cluster/primary.ts` gives a worker its data socket). ' +
      `The workers claim ${(o.primaryRooms * o.primaryMembers).toLocaleString('en')} nicks and join ${o.primaryRooms} rooms × ${o.primaryMembers} members, consecutive members on consecutive workers (a room spans min(${o.primaryMembers}, K) workers), ` +
      `then publish ${o.primaryBodyBytes}-byte message bodies (\`encodeMsgBody\`, pre-encoded, written with the cluster's \`RecordWriter\`) as fast as the primary answers, each keeping at most ${o.primaryOutstanding.toLocaleString('en')} publishes unanswered, and read the Msg records back with \`RecordReader\`. ` +
      `After ${o.primaryWarmupS} s of that, a ${o.primaryDurationS} s window: **msgs/s** is what the bus sequenced in it (\`PrimaryBus.messages\`, asked at both ends), CPU from /proc/<pid>/stat (the primary's and each worker's), softirq and other processes' load from /proc/stat. ` +
      `The ${r.machine.cores} cores are shared by the primary and its K workers, so msgs/s is what this machine does, and µs/msg what the primary would do on a core of its own. ` +
      "**Primary CPU** is the whole process (all its threads); **event-loop thread** its main thread alone (/proc/<pid>/task/<pid>/stat), the one that cannot use a second core — the difference is V8's garbage collector and compiler threads, which run beside it. " +
      "With `--history sqlite` the primary writes each turn's commit record and a **history keeper**, a process of its own as in the real cluster (`apps/server/src/history/history-keeper.ts`), folds those records into the SQLite file: its CPU is its own column, not the primary's (it need not share the primary's core), and the whole cluster pays it. " +
      'Checked: every member joined, every publish answered once, the bus sequenced exactly what the workers published, and every message reached every worker with members in its room (Msg records = messages × min(members, K)).',
  );
  p();
  p(
    `**Goal: the primary spends ≤ ${PRIMARY_US_GOAL} µs of CPU per message** (a ceiling ≥ ${rate(1e6 / PRIMARY_US_GOAL)} msgs/s), judged on the worst configuration at loopchat's default \`--cluster-flush-ms\`` +
      ((o.primaryRounds ?? 1) > 1
        ? `, each configuration by its median over ${o.primaryRounds} rounds taken in turn (this host's speed drifts within a minute; a row's own mark is that round's alone).`
        : '.'),
  );
  p();
  p(
    '| `--history` | `--cluster-flush-ms` | synthetic workers | round | msgs/s sequenced | primary CPU % | **primary µs / msg** | ceiling msgs/s (10⁶ ÷ µs) | event-loop thread CPU % | event-loop thread µs / msg | history keeper µs / msg | workers CPU % | workers µs / msg | Msg records / msg | softirq % | other load % | goal |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const x of rows) {
    p(
      `| ${historyOf(x)} | ${x.flushMs}${x.flushMs === x.defaultFlushMs ? ' (default)' : ''} | ${x.workers} | ${x.round ?? 1} | ${rate(x.msgsPerSecond)} | ${fixed(x.primaryCpuPercent, 0)} | **${fixed(x.primaryUsPerMsg, 2)}** | ${rate(1e6 / x.primaryUsPerMsg)} ` +
        `| ${fixed(x.primaryLoopCpuPercent ?? NaN, 0)} | ${fixed(x.primaryLoopUsPerMsg ?? NaN, 2)} | ${x.keeperUsPerMsg === undefined ? '—' : fixed(x.keeperUsPerMsg, 2)} ` +
        `| ${x.workerCpuPercent.map((v) => fixed(v, 0)).join(' + ')} | ${fixed(x.workersUsPerMsg, 2)} | ${fixed(x.recordsPerMsg, 2)} | ${fixed(x.irqPercent, 0)} | ${fixed(x.otherLoadPercent, 0)} ` +
        `| ${x.problems.length > 0 ? 'see checks' : x.primaryUsPerMsg <= PRIMARY_US_GOAL ? 'met' : '**not met**'} |`,
    );
  }
  for (const f of r.failures.filter((f) => f.scenario === 'primary ceiling'))
    p(`| ${escapeCell(f.server)} | failed: ${escapeCell(f.error)} | | | | | | | | | | | | | | | |`);
  p();
  const histories = [...new Set(rows.map(historyOf))];
  for (const history of histories.length > 0 ? histories : ['memory']) {
    const v = primaryVerdict(r, history);
    p(
      v === undefined
        ? `**Verdict (${history})**: not measured at the default flush interval (see checks).`
        : `**Verdict (\`--history ${history}\`)**: the primary spent ${v.rounds > 1 ? '' : 'at most '}${fixed(v.us, 2)} µs per message${v.rounds > 1 ? ' in its worst configuration' : ''} at the default \`--cluster-flush-ms ${v.flushMs}\` (${primaryVerdictWords(v)}), a ceiling of ${rate(1e6 / v.us)} msgs/s — goal ≤ ${PRIMARY_US_GOAL} µs **${v.us <= PRIMARY_US_GOAL ? 'met' : 'not met'}**.`,
    );
    p();
  }
}

export function primaryCheckLines(r: BenchResults): string[] {
  const lines: string[] = [];
  for (const x of r.primary ?? []) {
    const what = `- primary, ${x.workers} synthetic workers, --cluster-flush-ms ${x.flushMs}, --history ${historyOf(x)}`;
    for (const y of x.problems) lines.push(`${what}: ${y}`);
    for (const y of x.warnings) lines.push(`${what}: warning: ${y}`);
  }
  return lines;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
