/** A connections-part result and the bench results around it, for the report's tests. */
import { emptyResults, type BenchOptions, type BenchResults } from '../../bench/lib/results.js';
import type { GcReport } from '../../bench/lib/servers.js';
import type { ConnectionsResult } from '../../bench/scenarios/connections.js';
import type { FanoutResult } from '../../bench/scenarios/fanout.js';

const MIB = 1024;

function gc(heapMiB: number, externalMiB: number): GcReport {
  return {
    pid: 1,
    rss: 0,
    heapTotal: 0,
    heapUsed: heapMiB * 1024 * 1024,
    external: externalMiB * 1024 * 1024,
    arrayBuffers: 0,
    newSpace: 0,
    oldSpaceFree: 0,
  };
}

/** 100,000 held over 6 workers: the tree grows from 300 to 800 MiB, 50 s of CPU over a 40 s ramp. */
export function heldResult(over: Partial<ConnectionsResult> = {}): ConnectionsResult {
  return {
    connections: 100_000,
    workers: 6,
    connectRate: 2_500,
    ready: 100_000,
    failed: 0,
    connectS: 40,
    connectP50Ms: 12,
    connectP99Ms: 80,
    rampS: 41,
    rampServerCpuS: 50,
    rampLoadgenCpuS: [0.5, 10, 20.5, 15],
    rssBeforeKiB: 300 * MIB,
    rssSettledKiB: 900 * MIB,
    rssAfterKiB: 800 * MIB,
    gcBefore: gc(100, 2),
    gcAfter: gc(300, 12),
    gcAnswered: [7, 7],
    gcProcesses: 7,
    processes: [
      { pid: 10, role: 'primary', connections: 0, rssKiB: 80 * MIB },
      ...[16_000, 17_600, 16_400, 16_600, 16_800, 16_600].map((connections, i) => ({
        pid: 11 + i,
        role: 'worker' as const,
        connections,
        rssKiB: 120 * MIB,
      })),
    ],
    fdDelta: 100_010,
    statsConnections: 100_000,
    statsMemberships: 100_000,
    closedEarly: 0,
    errors: 0,
    otherLoadPercent: 3,
    busyBeforePercent: 5,
    quietWaitedS: 1,
    serverArgs: ['--tcp-port', '0', '--workers', '6'],
    loadgenArgs: ['--connections', '100000'],
    resultPath: '/tmp/x.json',
    broadcast: {
      members: 2000,
      offeredPerSecond: 100_000,
      msgsPerSecond: 100_000 / 1999,
      deliveredPerSecond: 99_800,
      latencyP50Ms: 4.2,
      latencyP99Ms: 31,
      serverCpuUsPerDelivery: 1.25,
      serverCpuPercent: 125,
      clientCpuPercent: 40,
      irqPercent: 12,
      otherLoadPercent: 2,
      totalDelivered: 1_199_400,
      loadgenArgs: ['--connections', '2000', '--rooms', '1'],
      problems: [],
      warnings: ['loadgen near a core'],
      loopchatDelta: { deliveries: 1_199_400 },
    } as unknown as FanoutResult,
    problems: [],
    warnings: [],
    notes: [],
    ...over,
  };
}

export function benchResults(connections: ConnectionsResult | undefined): BenchResults {
  const options = {
    parts: ['connections'],
    connectionsHeld: 100_000,
    connectionsWorkers: 6,
    connectionsConnectRate: 2_500,
    connectionsProcs: 6,
    connectionsRooms: 5_000,
    connectionsSettleMs: 3_000,
    connectionsMembers: 2_000,
    connectionsMemberProcs: 2,
    connectionsRate: 100_000,
    connectionsWarmupS: 2,
    connectionsDurationS: 10,
  } as unknown as BenchOptions;
  const machine = { cpuModel: 'AMD EPYC', cores: 2, ramGiB: 23.5, kernel: 'Linux 6', node: 'v20.20.2', commit: 'abc1234' };
  const r = emptyResults(options, machine, '2026-12-04T19:00:00.000Z');
  return connections === undefined ? r : { ...r, connections };
}
