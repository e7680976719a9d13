/** Renders BENCHMARKS.md from one run's results. */
import type { BenchResults } from '../lib/results.js';
import { SERVER_KINDS, type ServerId } from '../lib/servers.js';
import { fixed, median, medianOf, range, rate } from '../lib/summary.js';
import type { FanoutResult } from '../scenarios/fanout.js';
import { MESSAGE_TEXT } from '../scenarios/fanout.js';
import { QUIET_PERCENT } from '../lib/quiet.js';
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import { clusterCheckLines, renderBus, renderFilter, renderScaling } from './cluster.js';
import { peersCheckLines, renderPeers } from './peers.js';

/** Figures quoted in the foundation issue, measured on this machine type. */
const REFERENCE: { server: string; kib: string; us: string }[] = [
  { server: 'bare node:net (floor)', kib: '4.6', us: '–' },
  { server: 'naive node:net broadcast', kib: '5.7', us: '5.9' },
  { server: 'naive ws broadcast', kib: '7.3', us: '7.4' },
  { server: 'Socket.IO', kib: '16.4', us: '5.5' },
  { server: 'coalescing broker (DESIGN.md)', kib: '–', us: '0.43' },
];

const GOALS = { tcpKiB: 5, wsKiB: 7, usPerDelivery: 1.0 };

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
      `the bench clients are other child processes on the same ${r.machine.cores} cores.`,
  );
  p(
    `- The machine may be shared: before each measurement the bench waits (up to ${o.quietWaitS} s) until other processes use ≤ ${QUIET_PERCENT} % of a core, ` +
      "and **other load %** is the CPU that processes outside the bench used during the measurement (% of one core; from /proc/stat minus the bench's own processes). Figures with a high other load are suspect and flagged under Checks.",
  );
  const extra = o.loopchatArgs.length > 0 ? ` ${o.loopchatArgs.join(' ')}` : '';
  p(
    `- For memory and fan-out, loopchat runs with its defaults plus \`--tcp-port 0 --http-port 0 --rate 0 ${BENCH_LOOPCHAT_ARGS.join(' ')}${extra}\`: no rate limit (the bench sender sends hundreds of messages a second on one connection) ` +
      'and no moderation filter (its flood heuristic would reject that sender; it costs per message, not per delivery; and the tables it builds at startup leave ~17 MB of freed heap resident that the first connections would reuse, so they would look cheaper than they are).',
  );
  if (o.parts.some((part) => part === 'filter' || part === 'scaling' || part === 'bus'))
    p(
      '- The filter, scaling and bus parts (issue 3) choose their own loopchat flags (`--workers`, `--filter`, the flood rule), given in their sections; `--loopchat-args` does not apply to them.',
    );
  if (o.parts.includes('peers'))
    p(
      "- The peers part (issue 4) drives every server with the load generator (`apps/loadgen`), not with the bench's own clients; its loopchat flags are given in its section (`--loopchat-args` is added to them).",
    );
  if (o.quick) p('- **Quick (smoke) run**: small sizes; the figures are not comparable with a full run.');
  p();

  if (o.parts.includes('memory')) renderMemory(r, p);
  if (o.parts.includes('fanout')) {
    renderFanout(r, p);
    renderSaturation(r, p);
  }
  if (o.parts.includes('filter')) renderFilter(r, p);
  if (o.parts.includes('scaling')) renderScaling(r, p);
  if (o.parts.includes('bus')) renderBus(r, p);
  if (o.parts.includes('peers')) renderPeers(r, p);
  if (o.parts.includes('memory') || o.parts.includes('fanout')) renderReference(r, p);
  renderChecks(r, p);
  return `${out.join('\n')}\n`;
}

type Print = (line?: string) => void;

function renderMemory(r: BenchResults, p: Print): void {
  const o = r.options;
  p('## Idle connections: memory');
  p();
  p(
    `${o.connections.toLocaleString('en')} connections held open per server, opened ${o.concurrency} at a time from source addresses 127.0.0.2–9. ` +
      `Chat servers count a connection once it has sent \`hello\` (unique nick) and \`join\` (one of ${o.rooms} rooms) and received the join \`ack\`; ` +
      'the bare server once it is connected. The baseline RSS is read 1 s after the server started, right after a full GC (every server is started with `--expose-gc` and a preloaded SIGUSR2 → `gc()` hook, `apps/server/bench/lib/gc-hook.ts`). ' +
      `**KiB/conn after GC** = (VmRSS with all connections open, after ${o.settleMs / 1000} s of quiet and a full GC − baseline) ÷ connections: the memory a connection keeps. ` +
      `**settled** = the same without the final GC: what \`ps\` shows ${o.settleMs / 1000} s after the last connect, garbage included. ` +
      "**JS heap** and **external** are the growth of V8's live heap and of its external (Buffer) memory, both read after the GC by the same hook: exact, where RSS can hide a cost by reusing memory the process freed earlier but kept resident (a figure below the bare node:net floor means exactly that). " +
      '**Connect** = first connect to last ack; p50/p99 are per connection, connect to ack, so they include queueing behind the other connections in flight. ' +
      `${o.memoryRuns === 1 ? 'One run per server, so no median.' : `Median of ${o.memoryRuns} runs (servers interleaved, each run a fresh server process); the range is in brackets.`}`,
  );
  p();
  p(
    '| server | KiB / conn after GC | KiB / conn settled | JS heap KiB / conn | external KiB / conn | RSS before → after GC (MiB) | connect total (s) | connect p50 / p99 (ms) | server CPU µs / connect | other load % | all connected |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const id of o.memoryServers) {
    const runs = r.memory[id];
    if (runs === undefined || runs.length === 0) {
      p(`| ${SERVER_KINDS[id].label} | failed | | | | | | | | | see checks |`);
      continue;
    }
    const kib = runs.map((x) => x.kibPerConnection);
    const settled = runs.map((x) => x.kibPerConnectionSettled);
    const ok = runs.every((x) => x.connected === x.connections && x.problems.length === 0);
    p(
      `| ${SERVER_KINDS[id].label} | **${fixed(median(kib), 2)}**${range(kib, 2)} | ${fixed(median(settled), 2)}${range(settled, 2)} ` +
        `| ${fixed(
          medianOf(runs, (x) => x.heapKiBPerConnection),
          2,
        )} | ${fixed(
          medianOf(runs, (x) => x.externalKiBPerConnection),
          2,
        )} ` +
        `| ${fixed(medianOf(runs, (x) => x.rssBeforeKiB) / 1024, 1)} → ${fixed(medianOf(runs, (x) => x.rssAfterKiB) / 1024, 1)} ` +
        `| ${fixed(
          medianOf(runs, (x) => x.connectSeconds),
          2,
        )} ` +
        `| ${fixed(
          medianOf(runs, (x) => x.connectP50Ms),
          1,
        )} / ${fixed(
          medianOf(runs, (x) => x.connectP99Ms),
          1,
        )} ` +
        `| ${fixed(
          medianOf(runs, (x) => x.serverCpuUsPerConnect),
          0,
        )} ` +
        `| ${fixed(
          medianOf(runs, (x) => x.otherLoadPercent),
          0,
        )} ` +
        `| ${ok ? `yes (${runs[0]!.connected.toLocaleString('en')})` : 'NO, see checks'} |`,
    );
  }
  p();
}

function renderFanout(r: BenchResults, p: Print): void {
  const o = r.options;
  p('## Fan-out at a fixed rate');
  p();
  p(
    `One room of ${o.members.toLocaleString('en')} members (bench client connections split over ${o.clientProcs} client processes) and one sender connection in the room ` +
      `sending ${Buffer.byteLength(MESSAGE_TEXT)}-byte texts at a fixed arrival rate: ${rate(o.rate)} deliveries/s = ${fixed(o.rate / o.members, 1)} msgs/s × ${o.members.toLocaleString('en')} members. ` +
      `${o.warmupS} s warm-up, then a ${o.durationS} s window. **Delivered/s**: msg frames the members received during the window. ` +
      '**Server CPU µs/delivery**: server utime+stime from /proc/<pid>/stat over the window ÷ those deliveries. ' +
      "**Latency** is measured from each message's *scheduled* send time (carried in its `id`), not from when it was actually written, so a stall cannot hide itself (no coordinated omission); it includes up to ~1 ms of sender timer slack. " +
      "**Client CPU** is the member processes' CPU, % of one core, summed (per process in brackets): when a client process nears 100 % the clients, not the server, limit what is measured. " +
      "**softirq %** is the machine's irq + softirq time (mostly the loopback network stack), which /proc charges to no process, so it is in neither the server's nor the clients' CPU. " +
      `The receive path never parses JSON: it scans for newlines (TCP) or takes each ws message, reads the byte after \`{"type":"\`, and parses only the integer after \`"id":\`. ` +
      `${o.runs > 1 ? `Median of ${o.runs} consecutive windows on the same server process and connections (each after its own warm-up); the range is in brackets.` : 'One run.'}`,
  );
  p();
  p(
    '| server | offered deliveries/s | delivered/s | server CPU µs / delivery | server CPU % | latency p50 / p99 (ms) | client CPU % | softirq % | other load % | all delivered |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const id of o.fanoutServers) {
    const runs = r.fanout[id];
    if (runs === undefined || runs.length === 0) {
      p(`| ${SERVER_KINDS[id].label} | ${rate(o.rate)} | failed | | | | | | | see checks |`);
      continue;
    }
    const us = runs.map((x) => x.serverCpuUsPerDelivery);
    p(
      `| ${SERVER_KINDS[id].label} | ${rate(o.rate)} | ${rate(medianOf(runs, (x) => x.deliveredPerSecond))} ` +
        `| **${fixed(median(us), 2)}**${range(us, 2)} | ${fixed(
          medianOf(runs, (x) => x.serverCpuPercent),
          0,
        )} ` +
        `| ${fixed(
          medianOf(runs, (x) => x.latencyP50Ms),
          1,
        )} / ${fixed(
          medianOf(runs, (x) => x.latencyP99Ms),
          1,
        )} ` +
        `| ${clientCpu(runs)} | ${fixed(
          medianOf(runs, (x) => x.irqPercent),
          0,
        )} | ${fixed(
          medianOf(runs, (x) => x.otherLoadPercent),
          0,
        )} | ${completeness(runs)} |`,
    );
  }
  p();
  renderSetup(r, p);
}

function renderSetup(r: BenchResults, p: Print): void {
  const rows: string[] = [];
  for (const id of r.options.fanoutServers) {
    const x = r.fanout[id]?.[0] ?? r.saturation[id]?.[0]?.result;
    if (x !== undefined)
      rows.push(`${SERVER_KINDS[id].label} ${fixed(x.setupS, 1)} s (server CPU ${fixed(x.setupServerCpuS, 1)} s)`);
  }
  if (rows.length === 0) return;
  p(
    `Setup (server start, ${r.options.members.toLocaleString('en')} members connecting 200 at a time and joining the room, not measured above): ${rows.join('; ')}. ` +
      'loopchat announces every join to the room (`presence`), so filling one room costs O(members²) deliveries.',
  );
  p();
}

function clientCpu(runs: FanoutResult[]): string {
  const perProc = runs[0]!.clientCpuPercentPerProc.map((_, i) =>
    median(runs.map((x) => x.clientCpuPercentPerProc[i] ?? NaN)),
  );
  return `${fixed(
    medianOf(runs, (x) => x.clientCpuPercent),
    0,
  )} (${perProc.map((v) => fixed(v, 0)).join(' + ')})`;
}

function completeness(runs: FanoutResult[]): string {
  const bad = runs.filter((x) => x.totalDelivered !== x.totalExpected || x.problems.length > 0);
  if (bad.length === 0) return `yes (${runs.map((x) => x.totalDelivered.toLocaleString('en')).join(', ')})`;
  return `NO in ${bad.length}/${runs.length} runs, see checks`;
}

function renderSaturation(r: BenchResults, p: Print): void {
  const o = r.options;
  if (o.saturationRates.length === 0) return;
  p('## Fan-out saturation');
  p();
  p(
    `The same server process and connections at rising offered rates (${o.saturationRates.map(rate).join(', ')} deliveries/s; one run each, 1 s warm-up + ${o.saturationDurationS} s window; ` +
      'each phase starts only once every message of the previous one has been delivered), ' +
      'stopping at the first step that is not sustained: delivered < 95 % of offered, latency p99 > 1 s, any error frame, or any connection dropped by the server. ' +
      'The first row of each server is its fixed-rate run above with the median CPU per delivery. **Max sustained** is the highest delivered rate of a sustained step. ' +
      'On 2 cores the clients compete with the server: read the client CPU column before blaming the server.',
  );
  p();
  p(
    '| server | offered/s | delivered/s | server CPU µs / delivery | server CPU % | latency p50 / p99 (ms) | client CPU % | softirq % | other load % | sustained |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const id of o.fanoutServers) {
    const base = r.fanout[id];
    const rows: { x: FanoutResult; ok: string }[] = [];
    if (base !== undefined && base.length > 0) {
      const mid = [...base].sort((a, b) => a.serverCpuUsPerDelivery - b.serverCpuUsPerDelivery)[
        Math.floor(base.length / 2)
      ]!;
      const verdict = sustainedVerdict(mid);
      rows.push({ x: mid, ok: verdict === 'yes' ? 'yes' : `**no**: ${verdict}` });
    }
    for (const step of r.saturation[id] ?? [])
      rows.push({ x: step.result, ok: step.sustained ? 'yes' : `**no**: ${step.why}` });
    for (const { x, ok } of rows) {
      p(
        `| ${SERVER_KINDS[id].label} | ${rate(x.offeredPerSecond)} | ${rate(x.deliveredPerSecond)} | ${fixed(x.serverCpuUsPerDelivery, 2)} ` +
          `| ${fixed(x.serverCpuPercent, 0)} | ${fixed(x.latencyP50Ms, 1)} / ${fixed(x.latencyP99Ms, 1)} ` +
          `| ${fixed(x.clientCpuPercent, 0)} (${x.clientCpuPercentPerProc.map((v) => fixed(v, 0)).join(' + ')}) | ${fixed(x.irqPercent, 0)} | ${fixed(x.otherLoadPercent, 0)} | ${ok} |`,
      );
    }
    const failedStep = r.failures.find((f) => f.server === id && f.scenario.startsWith('saturation'));
    if (failedStep !== undefined)
      p(
        `| ${SERVER_KINDS[id].label} | ${failedStep.scenario.replace('saturation ', '')} | failed | | | | | | | **no**: ${escapeCell(failedStep.error)} |`,
      );
  }
  p();
  p('**Max sustained** (deliveries/s, and server CPU µs per delivery at that step):');
  p();
  p('| server | max sustained deliveries/s | µs / delivery there | limited by |');
  p('|---|---:|---:|---|');
  for (const id of o.fanoutServers) {
    const candidates: FanoutResult[] = [];
    for (const x of r.fanout[id] ?? []) if (sustainedVerdict(x) === 'yes') candidates.push(x);
    const steps = r.saturation[id] ?? [];
    for (const s of steps) if (s.sustained) candidates.push(s.result);
    const best = candidates.sort((a, b) => b.deliveredPerSecond - a.deliveredPerSecond)[0];
    const last = steps[steps.length - 1];
    let limit = 'not reached';
    if (last !== undefined && !last.sustained) {
      limit = `${rate(last.result.offeredPerSecond)} not sustained (${last.why}): ${bottleneck(last.result, r.machine.cores)}`;
    } else if (last !== undefined && steps.length === o.saturationRates.length) {
      limit = `highest step offered (${rate(last.result.offeredPerSecond)}) was sustained`;
    }
    p(
      `| ${SERVER_KINDS[id].label} | ${best === undefined ? '–' : rate(best.deliveredPerSecond)} | ${best === undefined ? '–' : fixed(best.serverCpuUsPerDelivery, 2)} | ${limit} |`,
    );
  }
  p();
}

/** Which CPU ran out at a step that was not sustained, from the figures of its window. */
function bottleneck(x: FanoutResult, cores: number): string {
  const parts = `server ${fixed(x.serverCpuPercent, 0)} %, clients ${fixed(x.clientCpuPercent, 0)} %, softirq ${fixed(x.irqPercent, 0)} %, others ${fixed(x.otherLoadPercent, 0)} %`;
  if (x.machineBusyPercent >= cores * 100 * 0.9) return `all ${cores} cores busy (${parts})`;
  if (x.serverCpuPercent >= 90) return `the server's core (${parts})`;
  if (x.clientCpuPercentPerProc.some((v) => v >= 90)) return `a client process (${parts})`;
  return `no CPU saturated (${parts})`;
}

export function sustainedVerdict(x: FanoutResult): string {
  const why: string[] = [];
  if (x.deliveredPerSecond < 0.95 * x.offeredPerSecond)
    why.push(`delivered ${((x.deliveredPerSecond / x.offeredPerSecond) * 100).toFixed(1)} % of offered`);
  if (!(x.latencyP99Ms <= 1000)) why.push(`p99 ${fixed(x.latencyP99Ms, 0)} ms`);
  if (x.errors > 0) why.push(`${x.errors} errors`);
  if (x.disconnects > 0) why.push(`${x.disconnects} disconnects`);
  return why.length === 0 ? 'yes' : why.join(', ');
}

function renderReference(r: BenchResults, p: Print): void {
  p('## Reference figures and goals (from the foundation issue)');
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
    `Goals for loopchat: ≤ ${GOALS.tcpKiB} KiB per idle TCP connection, ≤ ${GOALS.wsKiB} KiB per idle WebSocket connection, ≤ ${GOALS.usPerDelivery.toFixed(1)} µs of server CPU per delivery.`,
  );
  p();
  const rows: string[] = [];
  const kib = (id: ServerId): number => median((r.memory[id] ?? []).map((x) => x.kibPerConnection));
  const us = (id: ServerId): number => median((r.fanout[id] ?? []).map((x) => x.serverCpuUsPerDelivery));
  const verdict = (value: number, goal: number): string =>
    !Number.isFinite(value) ? 'not measured' : value <= goal ? 'met' : '**not met**';
  if (r.options.parts.includes('memory')) {
    rows.push(
      `| loopchat TCP, KiB / idle conn | ${fixed(kib('loopchat-tcp'), 2)} | ≤ ${GOALS.tcpKiB} | ${verdict(kib('loopchat-tcp'), GOALS.tcpKiB)} |`,
    );
    rows.push(
      `| loopchat WebSocket, KiB / idle conn | ${fixed(kib('loopchat-ws'), 2)} | ≤ ${GOALS.wsKiB} | ${verdict(kib('loopchat-ws'), GOALS.wsKiB)} |`,
    );
  }
  if (r.options.parts.includes('fanout')) {
    rows.push(
      `| loopchat TCP, µs / delivery at ${rate(r.options.rate)}/s | ${fixed(us('loopchat-tcp'), 2)} | ≤ ${GOALS.usPerDelivery.toFixed(1)} | ${verdict(us('loopchat-tcp'), GOALS.usPerDelivery)} |`,
    );
    rows.push(
      `| loopchat WebSocket, µs / delivery at ${rate(r.options.rate)}/s | ${fixed(us('loopchat-ws'), 2)} | ≤ ${GOALS.usPerDelivery.toFixed(1)} | ${verdict(us('loopchat-ws'), GOALS.usPerDelivery)} |`,
    );
  }
  p('| this run | measured | goal | |');
  p('|---|---:|---:|---|');
  for (const row of rows) p(row);
  p();
}

function renderChecks(r: BenchResults, p: Print): void {
  p('## Checks');
  p();
  p(
    'Each measurement verifies itself: all connections ready (and, on loopchat, `GET /stats` agrees on connections and room memberships, and reports the pid whose /proc was read); ' +
      'the server holds at least one more fd per connection; every message sent reached every member (counted after a drain); the sender got an ack per message; ' +
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
  lines.push(...peersCheckLines(r));
  for (const f of r.failures) lines.push(`- ${f.scenario}, ${f.server}: **failed**: ${f.error}`);
  if (lines.length === 0) p('All checks passed.');
  else for (const line of lines.slice(0, 200)) p(escapeLine(line));
  p();
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function escapeLine(text: string): string {
  return text.replace(/\n/g, ' ');
}
