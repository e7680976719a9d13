/** The connections part (issue 11): N held by a cluster, then a broadcast while they are (scenarios/connections.ts). */
import type { Command, OptionValues } from 'commander';
import { fixed, rate } from '../lib/summary.js';
import { connectionsFigures } from '../report/connections-figures.js';
import { renderConnections } from '../report/connections.js';
import { runConnections, type ConnectionsResult } from '../scenarios/connections.js';
import { positiveInt, positiveNumber } from './cli-values.js';
import { fail, flagged, log, type BenchPart } from './part.js';

export interface ConnectionsPartOptions {
  connectionsHeld: number;
  connectionsWorkers: number;
  connectionsConnectRate: number;
  connectionsProcs: number;
  connectionsRooms: number;
  connectionsSettleMs: number;
  /** Members of the broadcast room, and the loadgen processes holding them. */
  connectionsMembers: number;
  connectionsMemberProcs: number;
  /** The broadcast's fixed rate, deliveries/s. */
  connectionsRate: number;
  connectionsWarmupS: number;
  connectionsDurationS: number;
}

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

  addFlags: (program: Command) =>
    program
      .option('--connections-held <n>', 'connections the cluster holds (connections part)', positiveInt)
      .option('--connections-workers <n>', "loopchat's --workers in the connections part", positiveInt)
      .option(
        '--connections-connect-rate <n>',
        'new connections per second over all loadgen processes (connections)',
        positiveInt,
        2500,
      )
      .option(
        '--connections-procs <n>',
        'loadgen processes holding the connections, each ≤ 19,000 (connections)',
        positiveInt,
      )
      .option('--connections-rooms <n>', 'rooms the held connections join (connections)', positiveInt)
      .option('--connections-settle <ms>', 'quiet time before reading RSS (connections)', positiveInt, 3000)
      .option('--connections-members <n>', 'members of the broadcast room while the connections are held', positiveInt)
      .option(
        '--connections-member-procs <n>',
        'loadgen processes holding the broadcast members (connections)',
        positiveInt,
        2,
      )
      .option('--connections-rate <n>', 'fixed broadcast rate, deliveries per second (connections)', positiveNumber, 100_000)
      .option('--connections-warmup <s>', 'broadcast warm-up, seconds (connections)', positiveNumber)
      .option('--connections-duration <s>', 'broadcast measurement window, seconds (connections)', positiveNumber),

  /** 100,000 over 6 workers (20,000 open files per process here: 102,000 with the broadcast room is ~17,000 each); --quick 10,000 over 2. */
  options(f: OptionValues, q: boolean): ConnectionsPartOptions {
    const held = f.connectionsHeld ?? (q ? 10_000 : 100_000);
    return {
      connectionsHeld: held,
      connectionsWorkers: f.connectionsWorkers ?? (q ? 2 : 6),
      connectionsConnectRate: f.connectionsConnectRate,
      // Each loadgen process holds at most 19,000 sockets.
      connectionsProcs: f.connectionsProcs ?? Math.ceil(held / 19_000),
      // 20 members a room, as the run had (100,000 over 5,000).
      connectionsRooms: f.connectionsRooms ?? Math.max(1, Math.round(held / 20)),
      connectionsSettleMs: f.connectionsSettle,
      connectionsMembers: f.connectionsMembers ?? (q ? 200 : 2000),
      connectionsMemberProcs: f.connectionsMemberProcs,
      connectionsRate: f.connectionsRate,
      connectionsWarmupS: f.connectionsWarmup ?? (q ? 1 : 2),
      connectionsDurationS: f.connectionsDuration ?? (q ? 3 : 10),
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
