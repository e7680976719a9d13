/** The connections part (issue 11): N held by a cluster, then a broadcast while they are (scenarios/connections.ts). */
import { fixed, rate } from '../lib/summary.js';
import { connectionsFigures } from '../report/connections-figures.js';
import { renderConnections } from '../report/connections.js';
import { runConnections, type ConnectionsResult } from '../scenarios/connections.js';
import { positiveInt, positiveNumber } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, flagged, log, type BenchPart } from './part.js';

/** 100,000 over 6 workers (20,000 open files per process here: 102,000 with the broadcast room is ~17,000 each); --quick 10,000 over 2. */
const CONNECTIONS_FLAGS = {
  connectionsHeld: flag(
    '--connections-held <n>',
    'connections the cluster holds (connections part)',
    positiveInt,
    bySize(10_000, 100_000),
  ),
  connectionsWorkers: flag(
    '--connections-workers <n>',
    "loopchat's --workers in the connections part",
    positiveInt,
    bySize(2, 6),
  ),
  connectionsConnectRate: flag(
    '--connections-connect-rate <n>',
    'new connections per second over all loadgen processes (connections)',
    positiveInt,
    2500,
  ),
  /** Without the flag: each loadgen process holds at most 19,000 sockets. */
  connectionsProcs: flag(
    '--connections-procs <n>',
    'loadgen processes holding the connections, each ≤ 19,000 (connections)',
    positiveInt,
  ),
  /** Without the flag: 20 members a room, as the run had (100,000 over 5,000). */
  connectionsRooms: flag('--connections-rooms <n>', 'rooms the held connections join (connections)', positiveInt),
  connectionsSettleMs: flag('--connections-settle <ms>', 'quiet time before reading RSS (connections)', positiveInt, 3000),
  /** Members of the broadcast room, and the loadgen processes holding them. */
  connectionsMembers: flag(
    '--connections-members <n>',
    'members of the broadcast room while the connections are held',
    positiveInt,
    bySize(200, 2000),
  ),
  connectionsMemberProcs: flag(
    '--connections-member-procs <n>',
    'loadgen processes holding the broadcast members (connections)',
    positiveInt,
    2,
  ),
  /** The broadcast's fixed rate, deliveries/s. */
  connectionsRate: flag(
    '--connections-rate <n>',
    'fixed broadcast rate, deliveries per second (connections)',
    positiveNumber,
    100_000,
  ),
  connectionsWarmupS: flag(
    '--connections-warmup <s>',
    'broadcast warm-up, seconds (connections)',
    positiveNumber,
    bySize(1, 2),
  ),
  connectionsDurationS: flag(
    '--connections-duration <s>',
    'broadcast measurement window, seconds (connections)',
    positiveNumber,
    bySize(3, 10),
  ),
};

export type ConnectionsPartOptions = FlagValues<typeof CONNECTIONS_FLAGS> & {
  connectionsProcs: number;
  connectionsRooms: number;
};

function describeConnections(x: ConnectionsResult): string {
  const f = connectionsFigures(x);
  const b = x.broadcast;
  return (
    `${x.ready}/${x.connections} ready (${x.failed} failed) over ${x.workers} workers (${f.workerMin}–${f.workerMax} each) in ${fixed(x.connectS, 1)} s = ${rate(f.achievedPerSecond)}/s, ` +
    `connect p50 ${fixed(x.connectP50Ms, 1)} p99 ${fixed(x.connectP99Ms, 1)} ms, server ${fixed(f.serverCpuUsPerConnection, 0)} µs/conn; ` +
    `tree RSS ${fixed(x.rssBeforeKiB / 1024, 1)} → ${fixed(x.rssAfterKiB / 1024, 1)} MiB = ${fixed(f.kibPerConnection, 2)} KiB/conn after GC ` +
    `(${fixed(f.kibPerConnectionSettled, 2)} settled, GC answered by ${x.gcAnswered.join('/')} of ${x.gcProcesses}); ` +
    (b === undefined
      ? 'broadcast failed'
      : `broadcast ${b.members} members: ${rate(b.deliveredPerSecond)}/s of ${rate(b.offeredPerSecond)}, p50 ${fixed(b.latencyP50Ms, 1)} p99 ${fixed(b.latencyP99Ms, 1)} ms, ` +
        `${fixed(b.serverCpuUsPerDelivery, 2)} µs/delivery, other ${fixed(b.otherLoadPercent, 0)} %`) +
    flagged({
      problems: [...x.problems, ...(b?.problems ?? [])],
      warnings: [...x.warnings, ...(b?.warnings ?? [])],
    })
  );
}

export const connectionsPart: BenchPart<ConnectionsPartOptions> = {
  id: 'connections',

  addFlags: (program) => declareFlags(program, CONNECTIONS_FLAGS),
  options(f, q) {
    const o = flagValues(CONNECTIONS_FLAGS, f, q);
    return {
      ...o,
      connectionsProcs: o.connectionsProcs ?? Math.ceil(o.connectionsHeld / 19_000),
      connectionsRooms: o.connectionsRooms ?? Math.max(1, Math.round(o.connectionsHeld / 20)),
    };
  },

  async run(o, results) {
    const what = `connections, ${o.connectionsHeld} over --workers ${o.connectionsWorkers}`;
    try {
      const x = await runConnections({
        connections: o.connectionsHeld,
        workers: o.connectionsWorkers,
        connectRate: o.connectionsConnectRate,
        procs: o.connectionsProcs,
        rooms: o.connectionsRooms,
        settleMs: o.connectionsSettleMs,
        members: o.connectionsMembers,
        memberProcs: o.connectionsMemberProcs,
        deliveriesPerSecond: o.connectionsRate,
        warmupS: o.connectionsWarmupS,
        durationS: o.connectionsDurationS,
        quietWaitS: o.quietWaitS,
        loopchatArgs: o.loopchatArgs,
      });
      results.connections = x;
      log(`${what}: ${describeConnections(x)}`);
    } catch (err) {
      fail(results, what, 'connections', err);
    }
  },

  render: renderConnections,
};
