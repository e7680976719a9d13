/** Renders BENCHMARKS.md from one run's results. */
import type { BenchResults } from '../lib/results.js';
import type { ServerId } from '../lib/servers.js';
import { fixed, median, range, rate } from '../lib/summary.js';
import { QUIET_PERCENT } from '../lib/quiet.js';
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import { clusterCheckLines } from './cluster.js';
import { primaryCheckLines, primaryVerdict, primaryVerdictWords } from './primary.js';
import { bestStep, CPU_RATIO_GOAL, cpuVerdict, PRIMARY_US_GOAL, SCALING_GOALS, scalingFigures } from './scaling-figures.js';
import { medianRun } from '../scenarios/filter.js';
import { peersCheckLines } from './peers.js';
import { connectionsCheckLines } from './connections.js';
import type { Print } from '../parts/part.js';
import { REPORT_ORDER, benchPart } from '../parts/registry.js';

/** Figures quoted in the foundation issue, measured on this machine type. */
const REFERENCE: { server: string; kib: string; us: string }[] = [
  { server: 'bare node:net (floor)', kib: '4.6', us: '–' },
  { server: 'naive node:net broadcast', kib: '5.7', us: '5.9' },
  { server: 'naive ws broadcast', kib: '7.3', us: '7.4' },
  { server: 'Socket.IO', kib: '16.4', us: '5.5' },
  { server: 'coalescing broker (DESIGN.md)', kib: '–', us: '0.43' },
];

const GOALS = { tcpKiB: 5, wsKiB: 7, usPerDelivery: 1.0 };
/** Issue 13's tighter memory goals (the same measurement: KiB per idle connection after GC, median of the runs). */
const SLIM_GOALS = { tcpKiB: 4.0, wsKiB: 5.5 };

export function renderMarkdown(r: BenchResults): string {
  const o = r.options;
  const out: string[] = [];
  const p = (line = ''): void => {
    out.push(line);
  };

  p('# loopchat benchmarks');
  p();
  p(
    'Written by `npm run bench` (sources in `apps/server/bench/`); every run rewrites this file, so do not edit it by hand.',
  );
  p();
  p(`- Command: \`npm run bench${o.argv.length > 0 ? ` -- ${o.argv.join(' ')}` : ''}\``);
  p(`- Date: ${r.startedAt} (took ${Math.round(r.elapsedS)} s)`);
  p(
    `- Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.ramGiB} GiB RAM, ${r.machine.kernel}, loopback only`,
  );
  p(`- Node ${r.machine.node}; loopchat at ${r.machine.commit}`);
  p(
    '- Every server under test is its own child process (CPU and RSS read from /proc/<pid>), started fresh for each memory measurement and for each fan-out series; ' +
      `the clients are the load generator (\`apps/loadgen\`, run as its CLI, the same engine users run), other child processes on the same ${r.machine.cores} cores; each section gives its command line.`,
  );
  p(
    `- The machine may be shared: before each measurement the bench waits (up to ${o.quietWaitS} s) until other processes use ≤ ${QUIET_PERCENT} % of a core, ` +
      "and **other load %** is the CPU that processes outside the bench used during the measurement (% of one core; from /proc/stat minus the bench's own processes). Figures with a high other load are suspect and flagged under Checks.",
  );
  const extra = o.loopchatArgs.length > 0 ? ` ${o.loopchatArgs.join(' ')}` : '';
  p(
    `- For memory and fan-out, loopchat runs with its defaults plus \`--tcp-port 0 --http-port 0 --rate 0 ${BENCH_LOOPCHAT_ARGS.join(' ')}${extra}\`: no rate limit (the fan-out sender sends hundreds of messages a second on one connection) ` +
      'and no moderation filter (its flood heuristic would reject that sender; it costs per message, not per delivery; and the tables it builds at startup leave ~17 MB of freed heap resident that the first connections would reuse, so they would look cheaper than they are).',
  );
  if (o.parts.some((part) => part === 'filter' || part === 'scaling' || part === 'bus'))
    p(
      '- The filter, scaling and bus parts (issue 3) choose their own loopchat flags (`--workers`, `--filter`, the flood rule), given in their sections; `--loopchat-args` does not apply to them.',
    );
  if (o.parts.includes('peers'))
    p('- The peers part (issue 4) gives its loopchat flags in its section (`--loopchat-args` is added to them).');
  if (o.parts.includes('connections'))
    p('- The connections part (issue 11) gives its loopchat flags in its section (`--loopchat-args` is added to them).');
  const yardstick = r.filter === undefined ? undefined : medianRun(r.filter, 'basic');
  if (yardstick !== undefined)
    p(
      `- **CPU yardstick**: the \`basic\` filter's mean cost below, ${fixed(yardstick.meanus, 2)} µs per check, is pure single-core JavaScript that no bench change touches. ` +
        'Hosts of the same machine type differ (the Machine line names the CPU; this check took 4.2 µs on the Intel Xeon host of the 2026-11-25 03:23 run and 10.9 µs on an AMD EPYC host later that day): compare it before comparing absolute figures across runs; ratios within one run hold.',
    );
  if (o.quick) p('- **Quick (smoke) run**: small sizes; the figures are not comparable with a full run.');
  p();

  for (const id of REPORT_ORDER) if (o.parts.includes(id)) benchPart(id).render(r, p);
  if ((['memory', 'fanout', 'scaling', 'primary'] as const).some((part) => o.parts.includes(part))) renderReference(r, p);
  renderChecks(r, p);
  return `${out.join('\n')}\n`;
}

function renderReference(r: BenchResults, p: Print): void {
  p('## Reference figures and goals');
  p();
  const rows: string[] = [];
  const verdict = (value: number, goal: number): string =>
    !Number.isFinite(value) ? 'not measured' : value <= goal ? 'met' : '**not met**';
  if (r.options.parts.includes('memory') || r.options.parts.includes('fanout')) renderFoundation(r, p, rows, verdict);
  if (r.options.parts.includes('scaling') || r.options.parts.includes('primary')) {
    p(
      `Goals of the cluster data plane: throughput with 2 workers ÷ 1 worker ≥ ${SCALING_GOALS.main}× (basic filter, 100–200 B), ≥ ${SCALING_GOALS.heavy}× (1–2 KB), ≥ ${SCALING_GOALS.classifier}× (1 ms classifier); ` +
        `the whole cluster's CPU per message ≤ ${CPU_RATIO_GOAL}× one process's; the primary ≤ ${PRIMARY_US_GOAL} µs of CPU per message. Met or not, from this run:`,
    );
    p();
  }
  if (r.options.parts.includes('scaling')) {
    for (const series of r.scaling) {
      const f = scalingFigures(series, r.machine.cores);
      if (typeof f === 'string') {
        rows.push(`| cluster scaling, ${series.label}: throughput 2 workers ÷ 1 | not measured (${f}) | | |`);
        continue;
      }
      const split = bestStep(series.split)?.result;
      const reach =
        split === undefined
          ? ''
          : `; two independent processes reach ${fixed(split.offeredMsgsPerSecond / f.one.offeredMsgsPerSecond, 2)}×`;
      rows.push(
        `| cluster scaling, ${series.label}: throughput 2 workers ÷ 1 (this machine allows ${fixed(f.ceiling, 2)}×${reach}) | ${fixed(f.ratio, 2)}× | ≥ ${f.goal}× | ${f.ratio >= f.goal ? 'met' : '**not met**'} |`,
      );
      const cpu = cpuVerdict(f);
      const floor = cpu.floor;
      const floorWords =
        floor === undefined
          ? ` (the search's step at ${f.cpuRatioAt === undefined ? 'the max steps' : `${rate(f.cpuRatioAt)} msgs/s`})`
          : ` (${floor.rounds === 1 ? 'one floor round' : `median of ${floor.rounds} floor rounds`} at ${rate(floor.atMsgsPerSecond)} msgs/s; floor on this machine ${fixed(floor.floor, 2)}×; the search's step at ${f.cpuRatioAt === floor.atMsgsPerSecond ? 'that rate' : 'the max steps'} ${fixed(f.cpuRatio, 2)}×)`;
      rows.push(
        `| cluster scaling, ${series.label}: CPU per message, 2 workers ÷ 1${floorWords} | ${fixed(cpu.ratio, 2)}× | ≤ ${CPU_RATIO_GOAL}× | ${verdict(cpu.ratio, CPU_RATIO_GOAL)} |`,
      );
    }
  }
  if (r.options.parts.includes('primary')) {
    for (const history of r.options.primaryHistory ?? ['memory']) {
      const v = primaryVerdict(r, history);
      rows.push(
        `| primary CPU per message, synthetic workers, --history ${history}${v === undefined ? '' : `, --cluster-flush-ms ${v.flushMs}, worst of the worker counts (${primaryVerdictWords(v)})`} | ${v === undefined ? 'not measured' : `${fixed(v.us, 2)} µs`} | ≤ ${PRIMARY_US_GOAL} µs | ${verdict(v?.us ?? NaN, PRIMARY_US_GOAL)} |`,
      );
    }
  }
  p('| this run | measured | goal | |');
  p('|---|---:|---:|---|');
  for (const row of rows) p(row);
  p();
}

/** The foundation issue's reference figures, and its memory and fan-out goals as this run measured them. */
function renderFoundation(
  r: BenchResults,
  p: Print,
  rows: string[],
  verdict: (value: number, goal: number) => string,
): void {
  p('From the foundation issue:');
  p();
  p('| server | KiB / idle conn | server CPU µs / delivery |');
  p('|---|---:|---:|');
  for (const ref of REFERENCE) p(`| ${ref.server} | ${ref.kib} | ${ref.us} |`);
  p();
  p(
    'About the baselines measured here (`apps/server/bench/peers/`): they speak just enough of the protocol for the bench (hello, join, msg; welcome, ack, msg) and are written the way a tutorial would, closures per connection and one `JSON.stringify` + write per member per message. ' +
      "They announce no presence, where loopchat tells a room about every join. The naive node:net server leaves Nagle's algorithm on (Node's default); `ws` and loopchat set TCP_NODELAY.",
  );
  p();
  p(
    `Goals for loopchat: ≤ ${GOALS.tcpKiB} KiB per idle TCP connection, ≤ ${GOALS.wsKiB} KiB per idle WebSocket connection, ≤ ${GOALS.usPerDelivery.toFixed(1)} µs of server CPU per delivery; ` +
      `issue 13 asks for ≤ ${SLIM_GOALS.tcpKiB.toFixed(1)} and ≤ ${SLIM_GOALS.wsKiB.toFixed(1)} KiB (the range of the runs in brackets: a run's figure moves by up to ~1.2 KiB/conn with the free space V8 leaves in old-space pages, see the memory section).`,
  );
  p();
  const kib = (id: ServerId): number => median((r.memory[id] ?? []).map((x) => x.kibPerConnection));
  const us = (id: ServerId): number => median((r.fanout[id] ?? []).map((x) => x.serverCpuUsPerDelivery));
  if (r.options.parts.includes('memory')) {
    rows.push(
      `| loopchat TCP, KiB / idle conn | ${fixed(kib('loopchat-tcp'), 2)} | ≤ ${GOALS.tcpKiB} | ${verdict(kib('loopchat-tcp'), GOALS.tcpKiB)} |`,
    );
    rows.push(
      `| loopchat WebSocket, KiB / idle conn | ${fixed(kib('loopchat-ws'), 2)} | ≤ ${GOALS.wsKiB} | ${verdict(kib('loopchat-ws'), GOALS.wsKiB)} |`,
    );
    const runs = (id: ServerId): number[] => (r.memory[id] ?? []).map((x) => x.kibPerConnection);
    for (const [id, what, goal] of [
      ['loopchat-tcp', 'TCP', SLIM_GOALS.tcpKiB],
      ['loopchat-ws', 'WebSocket', SLIM_GOALS.wsKiB],
    ] as const) {
      rows.push(
        `| loopchat ${what}, KiB / idle conn (issue 13) | ${fixed(kib(id), 2)}${range(runs(id), 2)} | ≤ ${goal.toFixed(1)} | ${verdict(kib(id), goal)} |`,
      );
    }
  }
  if (r.options.parts.includes('fanout')) {
    rows.push(
      `| loopchat TCP, µs / delivery at ${rate(r.options.rate)}/s | ${fixed(us('loopchat-tcp'), 2)} | ≤ ${GOALS.usPerDelivery.toFixed(1)} | ${verdict(us('loopchat-tcp'), GOALS.usPerDelivery)} |`,
    );
    rows.push(
      `| loopchat WebSocket, µs / delivery at ${rate(r.options.rate)}/s | ${fixed(us('loopchat-ws'), 2)} | ≤ ${GOALS.usPerDelivery.toFixed(1)} | ${verdict(us('loopchat-ws'), GOALS.usPerDelivery)} |`,
    );
  }
}

function renderChecks(r: BenchResults, p: Print): void {
  p('## Checks');
  p();
  p(
    'Each measurement verifies itself: all connections ready (and, on loopchat, `GET /stats` agrees on connections and room memberships, and reports the pid whose /proc was read); ' +
      "the server holds at least one more fd per connection; every message sent reached every member (counted after a drain; in memory, fan-out, scaling and bus by the loadgen's own accounting: delivered = sent × receivers, nothing lost or duplicated); the sender got an ack per message; " +
      'no `error` frame and no server-side disconnect; and, on loopchat, no drops or disconnects in `/stats`. Anything that failed is listed here.',
  );
  p();
  const lines: string[] = [];
  for (const [id, runs] of Object.entries(r.memory)) {
    runs.forEach((x, i) => {
      for (const problem of x.problems) lines.push(`- memory, ${id} run ${i + 1}: ${problem}`);
      for (const warning of x.warnings) lines.push(`- memory, ${id} run ${i + 1}: warning: ${warning}`);
      for (const note of x.notes) lines.push(`- memory, ${id} run ${i + 1}, server log: \`${note}\``);
    });
  }
  for (const [id, runs] of Object.entries(r.fanout)) {
    runs.forEach((x, i) => {
      for (const problem of x.problems)
        lines.push(`- fan-out ${rate(x.offeredPerSecond)}/s, ${id} run ${i + 1}: ${problem}`);
      for (const warning of x.warnings)
        lines.push(`- fan-out ${rate(x.offeredPerSecond)}/s, ${id} run ${i + 1}: warning: ${warning}`);
      for (const note of x.notes)
        lines.push(`- fan-out ${rate(x.offeredPerSecond)}/s, ${id} run ${i + 1}, server log: \`${note}\``);
    });
  }
  for (const [id, steps] of Object.entries(r.saturation)) {
    for (const s of steps) {
      const undrained = s.sustained ? '' : ' (step not sustained: messages were still queued when the drain gave up)';
      for (const problem of s.result.problems) {
        const late = /^(members received|sender got)/.test(problem) ? undrained : '';
        lines.push(`- saturation ${rate(s.result.offeredPerSecond)}/s, ${id}: ${problem}${late}`);
      }
      for (const warning of s.result.warnings)
        lines.push(`- saturation ${rate(s.result.offeredPerSecond)}/s, ${id}: warning: ${warning}`);
      for (const note of s.result.notes)
        lines.push(`- saturation ${rate(s.result.offeredPerSecond)}/s, ${id}, server log: \`${note}\``);
    }
  }
  for (const id of r.options.fanoutServers) {
    const x = r.fanout[id]?.[0] ?? r.saturation[id]?.[0]?.result;
    const delta = x?.loopchatDelta;
    if (delta !== undefined)
      lines.push(
        `- fan-out ${rate(x!.offeredPerSecond)}/s, ${id}, GET /stats counters that moved in the first window: \`${JSON.stringify(delta)}\``,
      );
  }
  const floor = median((r.memory['bare-net'] ?? []).map((x) => x.kibPerConnection));
  for (const [id, runs] of Object.entries(r.memory)) {
    const kib = median(runs.map((x) => x.kibPerConnection));
    if (id !== 'bare-net' && Number.isFinite(floor) && kib < floor) {
      lines.push(
        `- memory, ${id}: ${fixed(kib, 2)} KiB/conn is below the bare node:net floor (${fixed(floor, 2)}): RSS reused memory freed earlier; read its JS heap column`,
      );
    }
  }
  lines.push(...clusterCheckLines(r));
  lines.push(...primaryCheckLines(r));
  lines.push(...peersCheckLines(r));
  lines.push(...connectionsCheckLines(r));
  for (const f of r.failures) lines.push(`- ${f.scenario}, ${f.server}: **failed**: ${f.error}`);
  if (lines.length === 0) p('All checks passed.');
  else for (const line of lines.slice(0, 200)) p(escapeLine(line));
  p();
}

function escapeLine(text: string): string {
  return text.replace(/\n/g, ' ');
}
