/** BENCHMARKS.md: the idle-connections memory section. */
import { loadgenCommandLine } from '../lib/loadgen-target.js';
import type { BenchResults } from '../lib/results.js';
import { SERVER_KINDS } from '../lib/servers.js';
import { fixed, median, medianOf, range } from '../lib/summary.js';
import type { MemoryResult } from '../scenarios/memory.js';

import type { Print } from '../parts/part.js';

export function renderMemory(r: BenchResults, p: Print): void {
  const o = r.options;
  const example = o.memoryServers.map((id) => r.memory[id]?.[0]).find((x) => x !== undefined);
  p('## Idle connections: memory');
  p();
  p(
    `${o.connections.toLocaleString('en')} connections held open per server by the load generator (\`apps/loadgen\`, run as its CLI, one run per measurement), ` +
      `which opens ${o.connectRate.toLocaleString('en')} connections a second (\`--connect-rate\`; at most 1,000 handshakes in flight per loadgen process) from source addresses 127.0.0.2–9 and then sends nothing (\`--senders 0 --rate 0\`)` +
      (example === undefined ? '. ' : `, e.g. for ${example.label}: \`${loadgenCommandLine(example.loadgenArgs)}\`. `) +
      `Chat servers count a connection once it has sent \`hello\` (unique nick) and \`join\` (one of ${o.rooms} rooms) and received the join \`ack\`; ` +
      'the bare server (`--driver none`) once TCP connects. The loadgen reports over IPC when every connection is ready; the bench then reads the server, and tells the loadgen to stop, which closes them. ' +
      'The baseline RSS is read 1 s after the server started, right after a full GC (every server is started with `--expose-gc` and a preloaded SIGUSR2 → `gc()` hook, `apps/server/bench/lib/gc-hook.ts`). ' +
      `**KiB/conn after GC** = (VmRSS with all connections open, after ${o.settleMs / 1000} s of quiet and a full GC − baseline) ÷ connections: the memory a connection keeps. ` +
      `**settled** = the same without the final GC: what \`ps\` shows ${o.settleMs / 1000} s after the last connection was ready, garbage included. ` +
      "**JS heap** and **external** are the growth of V8's live heap and of its external (Buffer) memory, both read after the GC by the same hook: exact, where RSS can hide a cost by reusing memory the process freed earlier but kept resident (a figure below the bare node:net floor means exactly that). " +
      "**of it new space** is the growth of the resident pages of V8's young generation, read by the same hook (`v8.getHeapSpaceStatistics()`): part of KiB/conn after GC, but pages that hold nothing after the GC. V8 sizes its young generation to the allocation rate it sees (a connect ramp makes it grow, up to `--max-semi-space-size`: 16 MiB per semi-space here) and shrinks it again when the process has been idle for a while (its memory reducer: measured here, a loopchat server left idle for 45 s with 10,000 connections, no GC forced, had shrunk its new space below its size at startup): a cost of the ramp and of the process, bounded whatever the number of connections. " +
      "**old-space free** is the growth of the free space inside old-space pages after the GC (resident pages minus live objects): objects promoted during the ramp that died since leave holes, and a full GC compacts only some pages. The live heap is the same from run to run; this is not (0.04–0.94 KiB/conn over three runs of loopchat TCP, more under load), and it is the main reason the after-GC figure of a server varies by up to ~1 KiB/conn; V8 fills those holes with later allocations. " +
      `**Connect phase** = the loadgen's first connect to its last connection ready: at least ${fixed(o.connections / o.connectRate, 1)} s (connections ÷ rate) by construction, longer only when a server falls behind the ramp. ` +
      "**p50/p99** are per connection, connect start to ready (the loadgen's `connectMs`); the ramp is open-model, so they are the server's handshake cost plus whatever queue builds when it cannot keep up with the rate. " +
      "**Server CPU µs/connect** = the server's utime+stime (/proc) from just before the loadgen starts until it reports every connection ready, ÷ connections. " +
      `${o.memoryRuns === 1 ? 'One run per server, so no median.' : `Median of ${o.memoryRuns} runs (servers interleaved, each run a fresh server process); the range is in brackets.`}`,
  );
  p();
  p(
    '| server | KiB / conn after GC | of it new space | of it old-space free | KiB / conn settled | JS heap KiB / conn | external KiB / conn | RSS before → after GC (MiB) | connect phase (s) | connect p50 / p99 (ms) | server CPU µs / connect | other load % | all connected |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const id of o.memoryServers) {
    const runs = r.memory[id];
    if (runs === undefined || runs.length === 0) {
      p(`| ${SERVER_KINDS[id].label} | failed | | | | | | | | | | | see checks |`);
      continue;
    }
    p(memoryRow(SERVER_KINDS[id].label, runs));
  }
  p();
}

function memoryRow(label: string, runs: MemoryResult[]): string {
  const kib = runs.map((x) => x.kibPerConnection);
  const settled = runs.map((x) => x.kibPerConnectionSettled);
  const m = (pick: (x: MemoryResult) => number, digits: number): string => fixed(medianOf(runs, pick), digits);
  const ok = runs.every((x) => x.connected === x.connections && x.problems.length === 0);
  const cells = [
    label,
    `**${fixed(median(kib), 2)}**${range(kib, 2)}`,
    v8Part(runs, (x) => x.newSpaceKiBPerConnection),
    v8Part(runs, (x) => x.oldSpaceFreeKiBPerConnection),
    `${fixed(median(settled), 2)}${range(settled, 2)}`,
    m((x) => x.heapKiBPerConnection, 2),
    m((x) => x.externalKiBPerConnection, 2),
    `${m((x) => x.rssBeforeKiB / 1024, 1)} → ${m((x) => x.rssAfterKiB / 1024, 1)}`,
    m((x) => x.connectSeconds, 2),
    `${m((x) => x.connectP50Ms, 1)} / ${m((x) => x.connectP99Ms, 1)}`,
    m((x) => x.serverCpuUsPerConnect, 0),
    m((x) => x.otherLoadPercent, 0),
    ok ? `yes (${runs[0]!.connected.toLocaleString('en')})` : 'NO, see checks',
  ];
  return `| ${cells.join(' | ')} |`;
}

/** A V8 share of the after-GC figure, median; runs recorded before the hook reported it have none. */
function v8Part(runs: MemoryResult[], pick: (x: MemoryResult) => number | undefined): string {
  const values = runs.map(pick);
  return values.every((v) => v !== undefined) ? fixed(median(values as number[]), 2) : '–';
}
