/** BENCHMARKS.md: the fan-out sections (fixed rate, saturation) and what makes a step sustained. */
import { loadgenCommandLine } from '../lib/loadgen-target.js';
import type { BenchResults } from '../lib/results.js';
import { SERVER_KINDS } from '../lib/servers.js';
import { fixed, median, medianOf, range, rate } from '../lib/summary.js';
import { MESSAGE_BYTES, type FanoutResult } from '../scenarios/fanout.js';

import type { Print } from '../parts/part.js';

export function renderFanout(r: BenchResults, p: Print): void {
  const o = r.options;
  const receivers = o.members - 1;
  const example = o.fanoutServers.map((id) => r.fanout[id]?.[0]).find((x) => x !== undefined);
  p('## Fan-out at a fixed rate');
  p();
  p(
    `One room of ${o.members.toLocaleString('en')} members, one of them the sender, all connections of the load generator (\`apps/loadgen\`, run as its CLI) spread over ${o.clientProcs} loadgen processes (\`--procs\`), ` +
      `the sender sending ${MESSAGE_BYTES}-byte texts at a fixed arrival rate: ${rate(o.rate)} deliveries/s = ${fixed(o.rate / receivers, 2)} msgs/s × ${receivers.toLocaleString('en')} receivers (every server here skips the sender). ` +
      `Each window is one loadgen run` +
      (example === undefined ? '' : `, e.g. for ${example.label}: \`${loadgenCommandLine(example.loadgenArgs)}\``) +
      `: connect and join (not measured), ${o.warmupS} s warm-up, a ${o.durationS} s window, then a drain until every delivery has arrived (at most 5 s). ` +
      '**Delivered/s**: deliveries the loadgen received during the window (its per-second timeline, by receive time). ' +
      "**Server CPU µs/delivery**: the server's utime+stime (/proc/<pid>/stat, its whole process tree) read by the bench at the start and at the end of the window, which the loadgen announces over IPC as it fixes its schedule, ÷ those deliveries. " +
      "The loadgen's own `--server-pid` figure is not used: it spans warm-up, window and drain, and the drain's idle tail would dilute the CPU %. " +
      "**Latency** is the loadgen's, measured from each message's *scheduled* send time (carried in its `id`), not from when it was actually written, so a stall cannot hide itself (no coordinated omission); it includes up to ~1 ms of scheduler slack. " +
      "**Client CPU** is the loadgen processes' CPU over the same window (/proc), % of one core, summed (the processes holding the sockets in brackets; the coordinating parent counts in the sum only): when one nears 100 % the clients, not the server, limit what is measured. " +
      "**softirq %** is the machine's irq + softirq time (mostly the loopback network stack), which /proc charges to no process, so it is in neither the server's nor the clients' CPU. " +
      'The receive path never parses JSON (apps/loadgen/README.md, "The receive path"). ' +
      `${o.runs > 1 ? `Median of ${o.runs} windows on the same server process, each a fresh loadgen run (fresh connections, a fresh room); the range is in brackets.` : 'One run.'}`,
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
    const m = (pick: (x: FanoutResult) => number, digits: number): string => fixed(medianOf(runs, pick), digits);
    const cells = [
      SERVER_KINDS[id].label,
      rate(o.rate),
      rate(medianOf(runs, (x) => x.deliveredPerSecond)),
      `**${fixed(median(us), 2)}**${range(us, 2)}`,
      m((x) => x.serverCpuPercent, 0),
      `${m((x) => x.latencyP50Ms, 1)} / ${m((x) => x.latencyP99Ms, 1)}`,
      clientCpu(runs),
      m((x) => x.irqPercent, 0),
      m((x) => x.otherLoadPercent, 0),
      completeness(runs),
    ];
    p(`| ${cells.join(' | ')} |`);
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
    `Connect phase of each loadgen run (loadgen start to ${r.options.members.toLocaleString('en')} members connected at ${r.options.connectRate.toLocaleString('en')}/s and joined; not measured above), first run: ${rows.join('; ')}. ` +
      'loopchat announces each join to the room while it has at most 500 members (`presence`), so filling the room costs up to ~125k presence deliveries; the naive servers announce nothing.',
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

export function renderSaturation(r: BenchResults, p: Print): void {
  const o = r.options;
  if (o.saturationRates.length === 0) return;
  p('## Fan-out saturation');
  p();
  p(
    `The same server process at rising offered rates (${o.saturationRates.map(rate).join(', ')} deliveries/s), each step one loadgen run as above (fresh connections and room, 1 s warm-up + ${o.saturationDurationS} s window + drain), ` +
      'stopping at the first step that is not sustained: delivered during the window < 95 % of offered, latency p99 > 1 s, any error frame, a member that could not join, or any connection dropped by the server. ' +
      'The first row of each server is its fixed-rate run above with the median CPU per delivery. **Max sustained** is the highest delivered rate of a sustained step. ' +
      'On 2 cores the loadgen competes with the server: read the client CPU column before blaming the server.',
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
  renderMaxSustained(r, p);
}

function renderMaxSustained(r: BenchResults, p: Print): void {
  const o = r.options;
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
  if (x.clientCpuPercentPerProc.some((v) => v >= 90)) return `a loadgen process (${parts})`;
  return `no CPU saturated (${parts})`;
}

/** 'yes', or why a fan-out window was not sustained. */
export function sustainedVerdict(x: FanoutResult): string {
  const why: string[] = [];
  if (x.deliveredPerSecond < 0.95 * x.offeredPerSecond)
    why.push(`delivered ${((x.deliveredPerSecond / x.offeredPerSecond) * 100).toFixed(1)} % of offered`);
  if (!(x.latencyP99Ms <= 1000)) why.push(`p99 ${fixed(x.latencyP99Ms, 0)} ms`);
  if (x.errors > 0) why.push(`${x.errors} errors`);
  if (x.failedConnections > 0) why.push(`${x.failedConnections} connections failed`);
  if (x.disconnects > 0) why.push(`${x.disconnects} disconnects`);
  return why.length === 0 ? 'yes' : why.join(', ');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
