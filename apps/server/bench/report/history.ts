/**
 * BENCHMARKS.md, "History store": memory against SQLite in one process under closed-loop
 * load (scenarios/history.ts): throughput, ack latency and the store's commit latency.
 */
import type { BenchResults } from '../lib/results.js';
import { fixed, rate } from '../lib/summary.js';

import type { Print } from '../parts/part.js';

/** Issue 14: with the store, single-process throughput ≥ 0.9× memory mode. */
export const HISTORY_RATIO_GOAL = 0.9;

export function renderHistory(r: BenchResults, p: Print): void {
  const rows = r.history ?? [];
  const o = r.options.history;
  p('## History store: memory against SQLite, one process');
  p();
  p(
    `The same build with \`--history memory\` and \`--history sqlite\` (a fresh data dir each; \`sqlite-full\` is \`--history-sync full\`: an fsync per commit), ` +
      `driven to saturation by ${o.rooms} rooms × ${o.members} TCP JSON members, every member keeping ${o.outstanding} 120-character messages in flight (a new one per ack), ` +
      `${o.warmupS} s of warm-up, then a ${o.durationS} s window. **msgs/s**: acks in the window; **ack p50/p99**: send → ack at the sender (with SQLite an ack waits for the commit of its turn); ` +
      "**commit p50/p99**: the store's own commit durations (`/stats` `history`, the last 4,096 commits); **msgs/commit**: group commit, one transaction per event-loop turn; **server µs/msg**: server CPU (/proc) per acked message. " +
      'The driver runs in the bench process and shares the machine with the server: read the ratio to memory mode.',
  );
  p();
  p(
    '| mode | msgs/s | × memory | ack p50 ms | ack p99 ms | commit p50 ms | commit p99 ms | msgs / commit | server µs / msg |',
  );
  p('|---|---|---|---|---|---|---|---|---|');
  const memory = rows.find((x) => x.mode === 'memory')?.msgsPerSecond;
  for (const x of rows) {
    const ratio = memory === undefined ? '' : fixed(x.msgsPerSecond / memory, 2);
    p(
      `| ${x.mode} | ${rate(x.msgsPerSecond)} | ${ratio} | ${fixed(x.ackP50Ms, 2)} | ${fixed(x.ackP99Ms, 2)} | ${x.commitP50Ms === null ? '—' : fixed(x.commitP50Ms, 3)} | ${x.commitP99Ms === null ? '—' : fixed(x.commitP99Ms, 3)} | ${x.msgsPerCommit === null ? '—' : fixed(x.msgsPerCommit, 1)} | ${fixed(x.serverUsPerMsg, 1)} |`,
    );
  }
  p();
  p(`Goal (issue 14): SQLite (\`--history-sync normal\`, the default) ≥ ${HISTORY_RATIO_GOAL}× memory mode's msgs/s.`);
  p();
  renderStoreAlone(r, p);
}

/** The stores alone (scenarios/store-alone.ts): what each adds per message, without the server. */
function renderStoreAlone(r: BenchResults, p: Print): void {
  const rows = r.storeAlone ?? [];
  const o = r.options.storeAlone;
  if (rows.length === 0 || o === undefined) return;
  p('### The stores alone');
  p();
  p(
    `Each store opened as the server opens it (the built \`history/open-store.js\`), in a process of its own, driven as the chat state drives it: ` +
      `${o.messages.toLocaleString('en-US')} messages of ~150 bytes over R rooms (interleaved), ${o.perCommit} appends then a commit (one event-loop turn's group commit), ` +
      `and the background step (folding, retention) run to completion once per simulated second at ${o.rate.toLocaleString('en-US')} msgs/s. ` +
      "**µs/msg**: the process's CPU (user + system) per message, encoding the line included; **+ over memory**: what durable history adds to each message.",
  );
  p();
  p('| rooms | store | µs / msg | user | system | + over memory | % of a core |');
  p('|---|---|---|---|---|---|---|');
  for (const x of rows) {
    const memory = rows.find((m) => m.kind === 'memory' && m.rooms === x.rooms);
    const extra = x.kind === 'memory' || memory === undefined ? '—' : fixed(x.usPerMsg - memory.usPerMsg, 2);
    p(
      `| ${x.rooms} | ${x.kind} | ${fixed(x.usPerMsg, 2)} | ${fixed(x.userUsPerMsg, 2)} | ${fixed(x.sysUsPerMsg, 2)} | ${extra} | ${fixed(x.cpuShare * 100, 0)} |`,
    );
  }
  p();
}
