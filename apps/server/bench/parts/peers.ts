/** The peers part (issue 4): loopchat against Socket.IO and naive ws, all driven by the loadgen (scenarios/peers.ts). */
import { InvalidArgumentError } from 'commander';
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import type { BenchOptions, BenchResults } from '../lib/results.js';
import { SERVER_KINDS } from '../lib/servers.js';
import { fixed, rate } from '../lib/summary.js';
import { renderPeers } from '../report/peers.js';
import {
  PEER_DRIVERS,
  PEER_SERVERS,
  PeerSeries,
  type PeerSeriesResult,
  type PeerServerId,
  type PeerStep,
  type PeersOptions,
} from '../scenarios/peers.js';
import { intList, oneOf, positiveInt, positiveNumber, rateList } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, flagged, loaded, log, Retries, type BenchPart } from './part.js';

/** loopchat's flags in the peers part, besides `--tcp-port 0 --http-port 0 --rate 0` and `--loopchat-args`. */
function peersLoopchatArgs(o: Pick<BenchOptions, 'peersFilter'>): string[] {
  // basic: every member sends up to ~10 msgs/s, far over the flood rule's 10 per 10 s.
  return o.peersFilter === 'off'
    ? [...BENCH_LOOPCHAT_ARGS]
    : ['--filter', 'basic', '--filter-flood-max', '1000000', '--filter-flood-window-ms', '1000'];
}

function describePeer(x: PeerStep): string {
  return (
    `${rate(x.deliveredPerSecond)} deliveries/s of ${rate(x.offeredDeliveriesPerSecond)} offered (${fixed(x.deliveredRatio * 100, 1)} % delivered), ` +
    `p50 ${fixed(x.latencyP50Ms, 1)} ms p99 ${fixed(x.latencyP99Ms, 1)} ms, server ${fixed(x.serverCpuPercent, 0)} % CPU, ` +
    `${fixed(x.serverCpuUsPerDelivery, 2)} µs/delivery, loadgen ${fixed(x.loadgenCpuPercent, 0)} %, softirq ${fixed(x.irqPercent, 0)} %, other ${fixed(x.otherLoadPercent, 0)} %` +
    flagged(x)
  );
}

const filterLevel = (value: string): 'off' | 'basic' => {
  if (value !== 'off' && value !== 'basic') throw new InvalidArgumentError("expected 'off' or 'basic'.");
  return value;
};

const PEERS_FLAGS = {
  peersServers: flag(
    '--peers-servers <list>',
    `servers of the peers part, all driven by the loadgen (${PEER_SERVERS.join(',')})`,
    oneOf(PEER_SERVERS, 'server'),
    [...PEER_SERVERS],
  ),
  peersRooms: flag('--peers-rooms <n>', 'rooms of the peers part', positiveInt, 100),
  peersMembers: flag('--peers-members <n>', 'members per room, every one a sender (peers)', positiveInt, 20),
  peersSize: flag('--peers-size <bytes>', 'message text size, bytes (peers)', positiveInt, 100),
  /** Offered msgs/s over all senders, stepped until a step is not sustained. */
  peersRates: flag(
    '--peers-rates <list>',
    'offered msgs/s over all senders, stepped until one is not sustained (peers)',
    rateList,
    bySize([2_000, 10_000], [2_000, 5_000, 10_000, 20_000]),
  ),
  peersWarmupS: flag('--peers-warmup <s>', 'warm-up of each peers step, seconds', positiveNumber, bySize(1, 2)),
  peersDurationS: flag('--peers-duration <s>', 'measured length of each peers step, seconds', positiveNumber, bySize(3, 10)),
  peersProcs: flag('--peers-procs <n>', 'loadgen processes (peers)', positiveInt, 1),
  peersMinDelivered: flag(
    '--peers-min-delivered <ratio>',
    'a peers step needs delivered ≥ this share of sent × deliveries per message',
    positiveNumber,
    0.99,
  ),
  /** Extra loopchat series with `--write-delay-ms` (empty: none). */
  peersWriteDelays: flag(
    '--peers-write-delays <list>',
    "loopchat's --write-delay-ms for extra loopchat series of the peers part, ms, comma-separated, or 'none'",
    (value: string) => (value === 'none' ? [] : intList(value)),
    [50],
  ),
  peersMaxP99Ms: flag(
    '--peers-max-p99 <ms>',
    'latency p99 at or above which a peers step is not sustained',
    positiveNumber,
    500,
  ),
  /** loopchat's moderation level in the peers part ('off': the peers moderate nothing). */
  peersFilter: flag(
    '--peers-filter <level>',
    "loopchat's moderation in the peers part: off, or basic with the flood rule out of the way",
    filterLevel,
    'off',
  ),
};

export type PeersPartOptions = FlagValues<typeof PEERS_FLAGS> & { peersServerWarmupS: number; peersConnectRate: number };

/** One server's series: steps up the rates until one is not sustained. */
async function runSeries(
  o: BenchOptions,
  results: BenchResults,
  opts: PeersOptions,
  server: PeerServerId,
  writeDelayMs: number,
  retries: Retries,
): Promise<void> {
  const id = writeDelayMs === 0 ? server : `${server} --write-delay-ms ${writeDelayMs}`;
  let series: PeerSeries | undefined;
  let phase = 'setup';
  const out: PeerSeriesResult = {
    server,
    label: writeDelayMs === 0 ? SERVER_KINDS[server].label : `${SERVER_KINDS[server].label}, write delay ${writeDelayMs} ms`,
    ...PEER_DRIVERS[server],
    args: [],
    writeDelayMs,
    steps: [],
    notes: [],
  };
  results.peers.push(out);
  try {
    series = await PeerSeries.open(server, opts, o.peersRates[0]!, writeDelayMs);
    const s = series;
    out.args = s.args;
    for (const offered of o.peersRates) {
      phase = `${rate(offered)} msgs/s`;
      const x = await retries.measure(
        `peers ${id} ${phase}`,
        () => s.run(offered),
        (x) => loaded(x) && (!x.sustained || loaded(x, 2)),
      );
      out.steps.push(x);
      log(`peers ${id} ${phase}: ${x.sustained ? 'sustained' : `NOT sustained (${x.why})`}: ${describePeer(x)}`);
      if (!x.sustained) break;
    }
  } catch (err) {
    fail(results, `peers ${id}`, phase === 'setup' ? 'peers setup' : `peers ${phase}`, err, `peers ${id} ${phase}`);
  } finally {
    if (series !== undefined) out.notes = series.notes;
    await series?.close();
  }
}

export const peersPart: BenchPart<PeersPartOptions> = {
  id: 'peers',

  addFlags: (program) => declareFlags(program, PEERS_FLAGS),
  options: (f, q) => ({ ...flagValues(PEERS_FLAGS, f, q), peersServerWarmupS: q ? 1 : 3, peersConnectRate: 4_000 }),

  async run(o, results) {
    if (o.peersRates.length === 0) {
      results.failures.push({ server: 'peers', scenario: 'peers setup', error: 'no --peers-rates' });
      return;
    }
    const opts: PeersOptions = {
      rooms: o.peersRooms,
      members: o.peersMembers,
      messageBytes: o.peersSize,
      warmupS: o.peersWarmupS,
      durationS: o.peersDurationS,
      serverWarmupS: o.peersServerWarmupS,
      procs: o.peersProcs,
      connectRate: o.peersConnectRate,
      drainS: 3,
      minDeliveredRatio: o.peersMinDelivered,
      maxP99Ms: o.peersMaxP99Ms,
      quietWaitS: o.quietWaitS,
      loopchatArgs: [...peersLoopchatArgs(o), ...o.loopchatArgs],
    };
    // The write-delay series come last: loopchat again, trading latency for CPU per delivery.
    const plan: { id: PeerServerId; writeDelayMs: number }[] = [
      ...o.peersServers.map((id) => ({ id, writeDelayMs: 0 })),
      ...o.peersWriteDelays.flatMap((writeDelayMs) =>
        o.peersServers.filter((id) => SERVER_KINDS[id].isLoopchat).map((id) => ({ id, writeDelayMs })),
      ),
    ];
    const retries = new Retries();
    for (const { id, writeDelayMs } of plan) await runSeries(o, results, opts, id, writeDelayMs, retries);
  },

  render: renderPeers,
};
