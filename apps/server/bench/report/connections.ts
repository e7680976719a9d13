/** BENCHMARKS.md: the connections-at-scale section (issue 11, item 5) and its checks. */
import { loadgenCommandLine } from '../lib/loadgen-target.js';
import type { BenchResults } from '../lib/results.js';
import { fixed, rate } from '../lib/summary.js';
import { BROADCAST_SOURCE_IPS, type ConnectionsResult } from '../scenarios/connections.js';
import { MESSAGE_BYTES } from '../scenarios/fanout.js';
import { CONNECTIONS_GOAL, connectionsFigures } from './connections-figures.js';

import type { Print } from '../parts/part.js';

const mib = (kib: number): string => fixed(kib / 1024, 1);
const count = (n: number): string => (Number.isFinite(n) ? n.toLocaleString('en') : '–');
const met = (yes: boolean): string => (yes ? 'met' : '**not met**');

export function renderConnections(r: BenchResults, p: Print): void {
  const o = r.options;
  p(`## ${count(o.connectionsHeld)} concurrent connections (cluster, --workers ${o.connectionsWorkers})`);
  p();
  p(
    `Measured ${r.startedAt} on ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.ramGiB} GiB RAM, ${r.machine.kernel}, Node ${r.machine.node}, loopchat at ${r.machine.commit}; ` +
      `the load generator shares the machine. To run this part alone with these sizes: \`${connectionsCommand(o)}\`.`,
  );
  p();
  const x = r.connections;
  if (x === undefined) {
    p('Not measured: see the checks.');
    p();
    return;
  }
  renderMethod(x, r, p);
  const f = connectionsFigures(x);
  p(
    '| held | ready | failed | connect phase (s) | achieved / asked (conn/s) | connect p50 / p99 (ms) | server CPU µs / conn (ramp) | loadgen busiest proc % (ramp) | other load % |',
  );
  p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  p(
    `| ${count(x.connections)} | ${count(x.ready)} | ${count(x.failed)} | ${fixed(x.connectS, 1)} | ${rate(f.achievedPerSecond)} / ${rate(x.connectRate)} | ` +
      `${fixed(x.connectP50Ms, 1)} / ${fixed(x.connectP99Ms, 1)} | ${fixed(f.serverCpuUsPerConnection, 0)} | ${fixed(f.loadgenBusiestPercent, 0)} | ${fixed(x.otherLoadPercent, 0)} |`,
  );
  p();
  p(
    '| whole tree RSS before → settled → after GC (MiB) | KiB / conn after GC | KiB / conn settled | tree RSS ÷ conn (KiB) | JS heap KiB / conn | external KiB / conn | forced GC answered |',
  );
  p('|---:|---:|---:|---:|---:|---:|---|');
  p(
    `| ${mib(x.rssBeforeKiB)} → ${mib(x.rssSettledKiB)} → ${mib(x.rssAfterKiB)} | **${fixed(f.kibPerConnection, 2)}** | ${fixed(f.kibPerConnectionSettled, 2)} | ` +
      `${fixed(f.totalKibPerConnection, 2)} | ${fixed(f.heapKibPerConnection, 2)} | ${fixed(f.externalKibPerConnection, 2)} | ` +
      `${x.gcAnswered[0]} and ${x.gcAnswered[1]} of ${x.gcProcesses} processes${f.gcEverywhere ? '' : ' (**not every process**: the after-GC figures include uncollected garbage)'} |`,
  );
  p();
  p(
    `Per process with the connections held, after the GC (connections from \`/stats\` \`perWorker\`; ${count(f.workerMin)}–${count(f.workerMax)} per worker):`,
  );
  p();
  p('| process | pid | connections | RSS (MiB) |');
  p('|---|---:|---:|---:|');
  for (const proc of x.processes) p(`| ${proc.role} | ${proc.pid} | ${count(proc.connections)} | ${mib(proc.rssKiB)} |`);
  p();
  renderBroadcast(x, p);
  p(
    `Issue 11's goal: all ${count(CONNECTIONS_GOAL.ready)} ready, none failed, at ≥ ${count(CONNECTIONS_GOAL.perSecond)} connections/s.`,
  );
  p();
  p('| this run | measured | goal | |');
  p('|---|---:|---:|---|');
  p(
    `| ready of held, failed, closed while held | ${count(x.ready)} of ${count(x.connections)}, ${count(x.failed)}, ${count(x.closedEarly)} | all of ${count(CONNECTIONS_GOAL.ready)}, 0, 0 | ${met(f.goalMet.ready)} |`,
  );
  p(
    `| connections/s, first connect to last ready | ${rate(f.achievedPerSecond)} | ≥ ${rate(CONNECTIONS_GOAL.perSecond)} | ${met(f.goalMet.rate)} |`,
  );
  p();
}

/** The bench command that runs this part alone with `o`'s sizes. */
export function connectionsCommand(o: BenchResults['options']): string {
  const flags: [string, number][] = [
    ['held', o.connectionsHeld],
    ['workers', o.connectionsWorkers],
    ['connect-rate', o.connectionsConnectRate],
    ['procs', o.connectionsProcs],
    ['rooms', o.connectionsRooms],
    ['settle', o.connectionsSettleMs],
    ['members', o.connectionsMembers],
    ['member-procs', o.connectionsMemberProcs],
    ['rate', o.connectionsRate],
    ['warmup', o.connectionsWarmupS],
    ['duration', o.connectionsDurationS],
  ];
  return `npm run bench -- --only connections ${flags.map(([k, v]) => `--connections-${k} ${v}`).join(' ')}`;
}

function renderMethod(x: ConnectionsResult, r: BenchResults, p: Print): void {
  const o = r.options;
  p(
    `The server: \`node --expose-gc --import ./apps/server/dist-bench/lib/gc-hook.js apps/server/dist/main.js ${x.serverArgs.join(' ')}\` (the bench's GC hook: SIGUSR2 → full GC; the cluster forks its workers with the primary's node flags, so each has it). ` +
      `The connections: \`${loadgenCommandLine(x.loadgenArgs)}\` — one loadgen run, ${o.connectionsProcs} process${o.connectionsProcs === 1 ? '' : 'es'} holding sockets (each ≤ 19,000; each worker stops accepting 100 short of its open-file limit and leaves the rest to its siblings), ` +
      `every connection saying hello and joining one of ${count(o.connectionsRooms)} rooms, then idle (loopchat's 30 s heartbeat still pings each), held until the bench has measured and tells the loadgen to stop. ` +
      "**Connect phase**: the loadgen's first connect to its last connection ready; **achieved** = ready ÷ that; **p50/p99** per connection, connect start to join acked (open-model ramp: a queue shows here). " +
      "**Server CPU µs/conn**: utime+stime of the server's whole process tree (primary + workers, /proc) from just before the loadgen starts to its IPC report that every connection is ready, ÷ connections. " +
      `**RSS**: VmRSS summed over the whole process tree; the baseline 1 s after start, after a full GC of every process; with the connections held, after ${o.connectionsSettleMs / 1000} s of quiet (**settled**) and after another full GC (**after GC**). ` +
      '**KiB/conn** = (after − baseline) ÷ ready; **tree RSS ÷ conn** counts the baseline too (what the whole server costs per connection at this size). Shared pages count once per process.',
  );
  p();
}

function renderBroadcast(x: ConnectionsResult, p: Print): void {
  const b = x.broadcast;
  p(
    `**Broadcast while all ${count(x.ready)} are held**: one fan-out window of the fan-out part against this server — its own loadgen run of ${count(b?.members ?? NaN)} members in one room from ${BROADCAST_SOURCE_IPS} ` +
      `(the held run pins its ports on 127.0.0.2–9), one sender, ${MESSAGE_BYTES}-byte texts at a fixed rate` +
      (b === undefined
        ? '.'
        : ` of ${rate(b.offeredPerSecond)} deliveries/s (${fixed(b.msgsPerSecond, 2)} msgs/s): \`${loadgenCommandLine(b.loadgenArgs)}\`.`) +
      " Measured as in the fan-out section: deliveries and server CPU (whole tree) over the loadgen's window, latency from each message's scheduled send time. The held loadgen's CPU counts as the bench's own, not as other load.",
  );
  p();
  if (b === undefined) {
    p('The broadcast failed: see the checks.');
    p();
    return;
  }
  p(
    '| members | offered deliveries/s | delivered/s | latency p50 / p99 (ms) | server CPU µs / delivery | server CPU % | client CPU % | softirq % | other load % | all delivered |',
  );
  p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  p(
    `| ${count(b.members)} | ${rate(b.offeredPerSecond)} | ${rate(b.deliveredPerSecond)} | ${fixed(b.latencyP50Ms, 1)} / ${fixed(b.latencyP99Ms, 1)} | ` +
      `**${fixed(b.serverCpuUsPerDelivery, 2)}** | ${fixed(b.serverCpuPercent, 0)} | ${fixed(b.clientCpuPercent, 0)} | ${fixed(b.irqPercent, 0)} | ${fixed(b.otherLoadPercent, 0)} | ` +
      `${b.problems.length === 0 ? `yes (${count(b.totalDelivered)})` : 'NO, see checks'} |`,
  );
  p();
}

/** Lines for the Checks section. */
export function connectionsCheckLines(r: BenchResults): string[] {
  const x = r.connections;
  if (x === undefined) return [];
  const lines: string[] = [];
  for (const problem of x.problems) lines.push(`- connections: ${problem}`);
  for (const warning of x.warnings) lines.push(`- connections: warning: ${warning}`);
  for (const note of x.notes) lines.push(`- connections, server log: \`${note}\``);
  const b = x.broadcast;
  if (b !== undefined) {
    for (const problem of b.problems) lines.push(`- connections, broadcast: ${problem}`);
    for (const warning of b.warnings) lines.push(`- connections, broadcast: warning: ${warning}`);
    if (b.loopchatDelta !== undefined)
      lines.push(`- connections, broadcast, GET /stats counters that moved: \`${JSON.stringify(b.loopchatDelta)}\``);
  }
  return lines;
}
