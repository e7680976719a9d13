/** BENCHMARKS.md: the peers part (issue 4), loopchat side by side with Socket.IO and a naive ws server. */
import type { BenchResults } from '../lib/results.js';
import { fixed, rate } from '../lib/summary.js';
import { CLIENT_LIMIT_PERCENT, type PeerSeriesResult, type PeerServerId, type PeerStep } from '../scenarios/peers.js';

import type { Print } from '../parts/part.js';

/** Issue 4: loopchat needs at least this many times less server CPU per delivery than each peer. */
const GOAL_RATIO = 5;
/** The issue's reference figures, server CPU µs per delivery, on this machine type. */
const REFERENCE_US: Partial<Record<PeerServerId, number>> = { socketio: 5.5, 'naive-ws': 7.4 };
const LOOPCHATS: PeerServerId[] = ['loopchat-ws', 'loopchat-tcp'];
const PEERS: PeerServerId[] = ['naive-ws', 'socketio'];

/** The highest-rate sustained step of a series. */
export function maxSustained(s: PeerSeriesResult | undefined): PeerStep | undefined {
  return s?.steps.filter((x) => x.sustained).sort((a, b) => b.offeredMsgsPerSecond - a.offeredMsgsPerSecond)[0];
}

/**
 * The offered rate to compare CPU at: the highest one every server sustained, else the
 * lowest every server ran (then `allSustained` is false).
 */
export function commonRate(series: PeerSeriesResult[]): { rate: number; allSustained: boolean } | undefined {
  const ran = series.filter((s) => s.steps.length > 0);
  if (ran.length === 0) return undefined;
  const rates = [...new Set(ran.flatMap((s) => s.steps.map((x) => x.offeredMsgsPerSecond)))].sort((a, b) => b - a);
  const sustainedByAll = rates.find((r) =>
    ran.every((s) => s.steps.some((x) => x.offeredMsgsPerSecond === r && x.sustained)),
  );
  if (sustainedByAll !== undefined) return { rate: sustainedByAll, allSustained: true };
  const ranByAll = rates.filter((r) => ran.every((s) => s.steps.some((x) => x.offeredMsgsPerSecond === r)));
  const lowest = ranByAll[ranByAll.length - 1];
  return lowest === undefined ? undefined : { rate: lowest, allSustained: false };
}

function sustainedAll(s: PeerSeriesResult, rates: number[]): boolean {
  return s.steps.length === rates.length && s.steps.every((x) => x.sustained);
}

function stepAt(s: PeerSeriesResult | undefined, offered: number): PeerStep | undefined {
  return s?.steps.find((x) => x.offeredMsgsPerSecond === offered);
}

export function renderPeers(r: BenchResults, p: Print): void {
  const o = r.options;
  const series = r.peers;
  const n = o.peersRooms * o.peersMembers;
  p('## loopchat against Socket.IO and a naive ws server (issue 4)');
  p();
  p(
    `Every server is its own child process, driven by the same engine, the load generator (\`apps/loadgen\`, run as its CLI \`node apps/loadgen/dist/cli.js run\`, ${o.peersProcs} process${o.peersProcs === 1 ? '' : 'es'}), ` +
      `on the same chat scenario: ${o.peersRooms} rooms × ${o.peersMembers} members = ${n.toLocaleString('en')} connections, **every member a sender**, ${o.peersSize}-byte texts, ` +
      `an open-model arrival rate over all senders stepped through ${o.peersRates.map(rate).join(', ')} msgs/s until a step is not sustained. ` +
      `Each step is one loadgen run: connect and join (${o.peersConnectRate.toLocaleString('en')}/s, not measured), ${o.peersWarmupS} s warm-up at the step's rate, a ${o.peersDurationS} s measured step, then a drain (≤ 3 s); ` +
      `before the first step an unjudged ${o.peersServerWarmupS} s run warms each server up. Drivers: \`loopchat\` (TCP JSON lines, or WebSocket \`/ws\`), \`naive-ws\` (\`apps/server/bench/peers/naive-ws.ts\`) and \`socketio\` ` +
      '(`apps/server/bench/peers/socketio.ts`: Socket.IO 4.8, WebSocket transport only, `socket.join(room)` and `io.to(room).emit`). ' +
      'A fifth server is a measuring stick, not a peer: **one write per delivery (node:net floor)** (`apps/server/bench/peers/write-floor-net.ts`, driver `naive-net`) parses each line, encodes the msg frame once and `socket.write`s that Buffer to every other member — the least CPU a server pays per delivery when each delivery is a write of its own.',
  );
  p();
  p(
    "**Deliveries** are what each server actually delivered, as the loadgen counted them (distinct msg frames received, per-room seq accounting). loopchat and the naive ws server do not send a message back to its sender (the `ack` carries the message's seq), " +
      `so a message makes ${o.peersMembers - 1} deliveries; the Socket.IO peer emits to the whole room, sender included, so a message makes ${o.peersMembers}. ` +
      "**Server CPU µs / delivery** = utime + stime of the server's process tree (`/proc/<pid>/stat`, sampled by the loadgen with `--server-pid` once its connections are joined and again after the drain: warm-up + step + drain) ÷ the deliveries of that run. " +
      `**Latency** p50/p99 of the measured step, from each message's *scheduled* send time (no coordinated omission). **Sustained**: delivered ≥ ${fixed(o.peersMinDelivered * 100, 0)} % of sent × deliveries per message, p99 < ${o.peersMaxP99Ms} ms, no error frame, no failed or dropped connection. ` +
      `**loadgen CPU** is the busiest loadgen process, % of one core: above ${CLIENT_LIMIT_PERCENT} % the client, not the server, may be the limit. On ${r.machine.cores} cores the loadgen and the server share the machine; softirq (the loopback network stack) is charged to neither.`,
  );
  p();
  const lc = series.find((s) => s.args.length > 0 && LOOPCHATS.includes(s.server) && !(s.writeDelayMs > 0));
  p(
    `loopchat runs as \`${lc === undefined ? '(not run)' : `node apps/server/dist/main.js ${lc.args.join(' ')}`}\`: no per-connection rate limit (every member sends several msgs/s) and ` +
      (o.peersFilter === 'off'
        ? '**the moderation filter off**, since the peers moderate nothing (the filter costs per message, not per delivery: ≈5 µs ÷ 19 deliveries; see the filter section of a full run).'
        : '**the moderation filter at `basic`** (the flood rule raised out of the way), although the peers moderate nothing: loopchat does more work per message here.'),
  );
  p();
  const delays = [...new Set(series.map((s) => s.writeDelayMs ?? 0).filter((d) => d > 0))];
  if (delays.length > 0) {
    p(
      `The series labelled **write delay** run the same loopchat with \`--write-delay-ms ${delays.join('` / `--write-delay-ms ')}\`: a connection's first queued frame waits up to that long so that the frames queued after it leave in the same write (\`apps/server/src/core/flush-scheduler.ts\`). ` +
        `Without it, a member of a ${o.peersMembers}-member room here receives one message every ~${fixed(1000 / ((o.peersRates[1] ?? o.peersRates[0] ?? 1) / o.peersRooms), 0)} ms or more seldom, so no two share an event-loop turn and every delivery is a write syscall of its own; the delay trades latency (see p50/p99) for fewer syscalls. ` +
        'It is off by default; the ratios below show both.',
    );
    p();
  }
  renderSteps(r, p);
  renderSummary(r, p);
  renderRatios(r, p);
  renderFloor(r, p);
}

function renderSteps(r: BenchResults, p: Print): void {
  p(
    '| server | offered msgs/s | offered deliveries/s | delivered/s | delivered | latency p50 / p99 (ms) | server CPU % | server CPU µs / delivery | loadgen CPU % | softirq % | other load % | sustained |',
  );
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of r.peers) {
    for (const x of s.steps) {
      p(
        `| ${s.label} | ${rate(x.offeredMsgsPerSecond)} | ${rate(x.offeredDeliveriesPerSecond)} | ${rate(x.deliveredPerSecond)} | ${fixed(x.deliveredRatio * 100, 1)} % ` +
          `| ${fixed(x.latencyP50Ms, 1)} / ${fixed(x.latencyP99Ms, 1)} | ${fixed(x.serverCpuPercent, 0)} | **${fixed(x.serverCpuUsPerDelivery, 2)}** ` +
          `| ${fixed(x.loadgenCpuPercent, 0)} | ${fixed(x.irqPercent, 0)} | ${fixed(x.otherLoadPercent, 0)} | ${x.sustained ? 'yes' : `**no**: ${x.why}`} |`,
      );
    }
    const key = s.writeDelayMs > 0 ? `${s.server} --write-delay-ms ${s.writeDelayMs}` : s.server;
    const failed = r.failures.find((f) => f.server === `peers ${key}`);
    if (failed !== undefined)
      p(
        `| ${s.label} | ${failed.scenario.replace(/^peers /, '')} | | failed | | | | | | | | **no**: ${escapeCell(failed.error)} |`,
      );
  }
  p();
}

/** Why the series stopped: its first unsustained step, and who ran out of CPU there. */
function limit(s: PeerSeriesResult, rates: number[]): string {
  const last = s.steps[s.steps.length - 1];
  if (last === undefined) return 'no step ran';
  if (last.sustained)
    return s.steps.length === rates.length
      ? `not reached: the highest step offered (${rate(last.offeredMsgsPerSecond)} msgs/s) was sustained`
      : 'stopped by a failure';
  const client =
    last.loadgenCpuPercent > CLIENT_LIMIT_PERCENT
      ? `; **client-limited?** loadgen at ${fixed(last.loadgenCpuPercent, 0)} %`
      : '';
  return `${rate(last.offeredMsgsPerSecond)} msgs/s not sustained (${last.why}); server ${fixed(last.serverCpuPercent, 0)} % CPU${client}`;
}

function renderSummary(r: BenchResults, p: Print): void {
  const common = commonRate(r.peers);
  p(
    `**Per server**: the highest step sustained, and CPU per delivery at the same offered load for all (${common === undefined ? 'none' : `${rate(common.rate)} msgs/s`}: ` +
      `${common?.allSustained === false ? '**no step was sustained by every server**; the lowest step they all ran' : 'the highest step every server sustained'}).`,
  );
  p();
  p(
    '| server | max sustained msgs/s | delivered/s there | µs / delivery there | µs / delivery at the common step | issue reference µs / delivery | limited by |',
  );
  p('|---|---:|---:|---:|---:|---:|---|');
  for (const s of r.peers) {
    const best = maxSustained(s);
    const at = common === undefined ? undefined : stepAt(s, common.rate);
    const ref = REFERENCE_US[s.server];
    p(
      `| ${s.label} | ${best === undefined ? 'none' : rate(best.offeredMsgsPerSecond)} | ${best === undefined ? '–' : rate(best.deliveredPerSecond)} ` +
        `| ${best === undefined ? '–' : fixed(best.serverCpuUsPerDelivery, 2)} | ${at === undefined ? '–' : fixed(at.serverCpuUsPerDelivery, 2)} ` +
        `| ${ref === undefined ? '–' : fixed(ref, 1)} | ${limit(s, r.options.peersRates)} |`,
    );
  }
  p();
}

/** What the write floor says about the goal: the most any one-write-per-delivery server could show against each peer. */
function renderFloor(r: BenchResults, p: Print): void {
  const common = commonRate(r.peers);
  const floor = r.peers.find((s) => s.server === 'write-floor-net');
  const at = common === undefined ? undefined : stepAt(floor, common.rate);
  if (common === undefined || at === undefined) return;
  const parts: string[] = [];
  for (const pid of PEERS) {
    const peer = stepAt(
      r.peers.find((s) => s.server === pid && !(s.writeDelayMs > 0)),
      common.rate,
    );
    if (peer !== undefined)
      parts.push(
        `${peer.server === 'socketio' ? 'Socket.IO' : 'naive ws'} ÷ floor = **${fixed(peer.serverCpuUsPerDelivery / at.serverCpuUsPerDelivery, 2)}×**`,
      );
  }
  const lc = r.peers.filter((s) => LOOPCHATS.includes(s.server) && !(s.writeDelayMs > 0));
  const lcParts = lc
    .map((s) => stepAt(s, common.rate))
    .filter((x): x is PeerStep => x !== undefined)
    .map(
      (x) =>
        `${x.server === 'loopchat-ws' ? 'WebSocket' : 'TCP'} ${fixed(x.serverCpuUsPerDelivery, 2)} µs (${fixed(x.serverCpuUsPerDelivery / at.serverCpuUsPerDelivery, 2)}× the floor)`,
    );
  p(
    `**The floor.** At the common step the one-write-per-delivery server spent ${fixed(at.serverCpuUsPerDelivery, 2)} µs per delivery${parts.length > 0 ? `: ${parts.join(', ')}` : ''}. ` +
      `The floor does nothing per delivery but the write, so that is about the largest CPU ratio any server that writes each delivery on its own can reach on this scenario and machine (a server can undercut the floor a little only on its per-message work: parsing, acks); the ≥ ${GOAL_RATIO}× goal needs fewer writes than deliveries, which here (a member receives a message every few tens of ms, never two in one event-loop turn) only a write delay buys. ` +
      `loopchat without a delay: ${lcParts.join(', ') || 'not run'}.`,
  );
  p();
}

function renderRatios(r: BenchResults, p: Print): void {
  const byId = new Map(r.peers.filter((s) => !(s.writeDelayMs > 0)).map((s) => [s.server, s]));
  const common = commonRate(r.peers);
  // WebSocket first (the like-for-like pair), each without and then with its write delays.
  const loopchats = LOOPCHATS.flatMap((id) =>
    r.peers.filter((s) => s.server === id).sort((a, b) => (a.writeDelayMs ?? 0) - (b.writeDelayMs ?? 0)),
  );
  p(
    `**Ratios.** Throughput: delivered/s at each one's highest sustained step, loopchat ÷ peer ("≥" where loopchat sustained every step offered, so its own limit was not reached; "≤" where the peer did). ` +
      `CPU: server CPU µs per delivery at the common step, peer ÷ loopchat, against the issue's goal of **≥ ${GOAL_RATIO}×** (loopchat WebSocket ↔ the WebSocket peers is the like-for-like pair; TCP shows loopchat's cheaper transport). ` +
      'The last column compares each server at its own highest sustained step instead, so at different offered loads (what a delivery costs depends on the rate; for most servers here it falls as the rate rises).',
  );
  p();
  p(
    "| loopchat | peer | deliveries/s, loopchat ÷ peer | CPU µs / delivery at the common step, peer ÷ loopchat | goal ≥ 5× CPU | latency p50 / p99 at the common step, loopchat vs peer (ms) | CPU µs / delivery at each one's max, peer ÷ loopchat |",
  );
  p('|---|---|---:|---:|---|---:|---:|');
  for (const l of loopchats) {
    for (const pid of PEERS) {
      const peer = byId.get(pid);
      if (peer === undefined) continue;
      const lb = maxSustained(l);
      const pb = maxSustained(peer);
      // A server that sustained every step offered never showed its limit.
      const lTop = sustainedAll(l, r.options.peersRates);
      const pTop = sustainedAll(peer, r.options.peersRates);
      let thr = '–';
      if (lb !== undefined && pb !== undefined)
        thr =
          lTop && pTop
            ? 'both sustained every step'
            : `${lTop ? '≥ ' : pTop ? '≤ ' : ''}${fixed(lb.deliveredPerSecond / pb.deliveredPerSecond, 2)}×`;
      else if (lb !== undefined) thr = 'peer sustained no step';
      const la = common === undefined ? undefined : stepAt(l, common.rate);
      const pa = common === undefined ? undefined : stepAt(peer, common.rate);
      const cpu = la !== undefined && pa !== undefined ? pa.serverCpuUsPerDelivery / la.serverCpuUsPerDelivery : NaN;
      const verdict = !Number.isFinite(cpu) ? 'not measured' : cpu >= GOAL_RATIO ? 'met' : '**not met**';
      const atMax = lb !== undefined && pb !== undefined ? pb.serverCpuUsPerDelivery / lb.serverCpuUsPerDelivery : NaN;
      const latency =
        la !== undefined && pa !== undefined
          ? `${fixed(la.latencyP50Ms, 1)} / ${fixed(la.latencyP99Ms, 1)} vs ${fixed(pa.latencyP50Ms, 1)} / ${fixed(pa.latencyP99Ms, 1)}`
          : '–';
      p(
        `| ${l.label} | ${peer.label} | ${thr} | ${Number.isFinite(cpu) ? `${fixed(cpu, 2)}×` : '–'} | ${verdict} | ${latency} | ${Number.isFinite(atMax) ? `${fixed(atMax, 2)}×` : '–'} |`,
      );
    }
  }
  p();
}

/** Lines for the report's Checks section. */
export function peersCheckLines(r: BenchResults): string[] {
  const lines: string[] = [];
  for (const s of r.peers) {
    for (const x of s.steps) {
      const at = `peers ${s.server}${s.writeDelayMs > 0 ? ` (write delay ${s.writeDelayMs} ms)` : ''} ${rate(x.offeredMsgsPerSecond)} msgs/s`;
      for (const problem of x.problems) lines.push(`- ${at}: ${problem}`);
      for (const warning of x.warnings) lines.push(`- ${at}: warning: ${warning}`);
      if (x.lost > 0 && x.sustained)
        lines.push(
          `- ${at}: ${x.lost} deliveries lost (within the ${fixed(r.options.peersMinDelivered * 100, 0)} % allowed)`,
        );
    }
    for (const note of s.notes) lines.push(`- peers ${s.server}, server log: \`${note}\``);
  }
  return lines;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
