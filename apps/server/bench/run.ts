#!/usr/bin/env node
/**
 * `npm run bench`: idle-connection memory and fan-out benchmarks of loopchat against a
 * bare node:net server and naive ws / node:net broadcast servers; writes BENCHMARKS.md
 * (and the raw results as JSON under /tmp). See DESIGN.md, "Performance notes".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import './lib/children.js';
import { nowUs } from './lib/clock.js';
import { BENCH_LOOPCHAT_ARGS } from './lib/loopchat-args.js';
import { REPO_ROOT, TMP_DIR } from './lib/paths.js';
import { QUIET_PERCENT } from './lib/quiet.js';
import {
  PARTS,
  emptyResults,
  type BenchOptions,
  type BenchResults,
  type Part,
  type SaturationStep,
  type ScalingExtra,
  type ScalingSeriesResult,
  type ScalingStep,
} from './lib/results.js';
import { SERVER_KINDS, type ServerId } from './lib/servers.js';
import { fixed, rate } from './lib/summary.js';
import { machineInfo } from './report/machine.js';
import { renderMarkdown, sustainedVerdict } from './report/markdown.js';
import { FanoutSeries, type FanoutOptions, type FanoutResult } from './scenarios/fanout.js';
import { runMemory } from './scenarios/memory.js';
import { BUS_MODES, BusSetup, type BusMode, type BusResult } from './scenarios/bus.js';
import { medianRun, runFilter } from './scenarios/filter.js';
import { ScalingSeries, scalingVerdict, type ScalingOptions, type ScalingResult } from './scenarios/scaling.js';
import { PRIMARY_HISTORIES, runPrimary, type PrimaryHistory, type PrimaryResult } from './scenarios/primary.js';
import { HISTORY_MODES, runHistory, type HistoryMode } from './scenarios/history.js';
import { runConnections, type ConnectionsResult } from './scenarios/connections.js';
import { connectionsFigures } from './report/connections-figures.js';
import {
  PEER_DRIVERS,
  PEER_SERVERS,
  PeerSeries,
  type PeerSeriesResult,
  type PeerServerId,
  type PeerStep,
  type PeersOptions,
} from './scenarios/peers.js';

/** Phases re-measured because other processes loaded the machine, at most, per bench run. */
const MAX_RETRIES = 6;
const SATURATION_WARMUP_S = 1;
const MEMORY_SERVERS: ServerId[] = ['bare-net', 'loopchat-tcp', 'loopchat-ws', 'naive-ws', 'naive-net'];
const FANOUT_SERVERS: ServerId[] = ['loopchat-tcp', 'loopchat-ws', 'naive-ws', 'naive-net'];

const positiveInt = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return Number(value);
};
const wholeNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
};
const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
};
const rateList = (value: string): number[] => {
  if (value === 'none' || value === '') return [];
  return value.split(',').map((v) => positiveNumber(v.trim()));
};
const partList = (value: string): Part[] => {
  const parts = value.split(',').map((v) => v.trim()) as Part[];
  for (const part of parts)
    if (!PARTS.includes(part)) throw new InvalidArgumentError(`unknown part '${part}' (one of ${PARTS.join(', ')}).`);
  return parts;
};
const historyModes = (value: string): HistoryMode[] => {
  const modes = value.split(',').map((v) => v.trim()) as HistoryMode[];
  for (const m of modes)
    if (!HISTORY_MODES.includes(m)) throw new InvalidArgumentError(`unknown history mode '${m}' (one of ${HISTORY_MODES.join(', ')}).`);
  return modes;
};
const primaryHistories = (value: string): PrimaryHistory[] => {
  const kinds = value.split(',').map((v) => v.trim()) as PrimaryHistory[];
  for (const k of kinds)
    if (!PRIMARY_HISTORIES.includes(k)) throw new InvalidArgumentError(`unknown history '${k}' (memory or sqlite).`);
  return kinds;
};
const intList = (value: string): number[] => value.split(',').map((v) => positiveInt(v.trim()));
const wholeList = (value: string): number[] => value.split(',').map((v) => wholeNumber(v.trim()));
const busModes = (value: string): BusMode[] => {
  const modes = value.split(',').map((v) => v.trim()) as BusMode[];
  for (const m of modes)
    if (!BUS_MODES.includes(m)) throw new InvalidArgumentError(`unknown bus mode '${m}' (one of ${BUS_MODES.join(', ')}).`);
  return modes;
};
const extras = (value: string): ScalingExtra[] => {
  if (value === 'none' || value === '') return [];
  const list = value.split(',').map((v) => v.trim());
  for (const x of list) {
    // The loadgen's sender k sends line k of --texts every time: strict's repetition rule
    // would reject each sender's third message, so the series would measure refusals.
    if (x === 'strict')
      throw new InvalidArgumentError(
        "'strict' cannot run: the loadgen sends one text per sender, which strict rejects as repetition.",
      );
    if (x !== 'heavy' && x !== 'classifier')
      throw new InvalidArgumentError(`unknown extra series '${x}' (heavy, classifier or none).`);
  }
  return list as ScalingExtra[];
};
const filterLevel = (value: string): 'off' | 'basic' => {
  if (value !== 'off' && value !== 'basic') throw new InvalidArgumentError("expected 'off' or 'basic'.");
  return value;
};
const serverList =
  (allowed: ServerId[]) =>
  (value: string): ServerId[] => {
    const ids = value.split(',').map((v) => v.trim()) as ServerId[];
    for (const id of ids)
      if (!allowed.includes(id)) throw new InvalidArgumentError(`unknown server '${id}' (one of ${allowed.join(', ')}).`);
    return ids;
  };

function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('bench')
    .description(
      "loopchat benchmarks: idle-connection memory and room fan-out against bare and naive servers; moderation filter cost, cluster scaling, the cluster primary's ceiling and bus latency",
    )
    .option('--only <parts>', `run only these parts, comma-separated (${PARTS.join(',')})`, partList)
    .option('--connections <n>', 'idle connections per server (memory)', positiveInt)
    .option('--rooms <n>', 'rooms the idle connections join (memory)', positiveInt, 100)
    // 1,000/s: a ramp every server here keeps up with; one it falls behind (2,000/s had loopchat's
    // connect p99 at 4.6 s on a slow day) measures a backlog, and its memory, not idle connections.
    .option('--connect-rate <n>', 'new connections per second the loadgen opens (memory, fan-out)', positiveInt, 1000)
    .option('--settle <ms>', 'quiet time before reading RSS (memory)', positiveInt, 2000)
    .option('--memory-runs <n>', 'memory runs per server (median reported)', positiveInt)
    .option(
      '--memory-servers <list>',
      `servers for the memory bench (${MEMORY_SERVERS.join(',')})`,
      serverList(MEMORY_SERVERS),
    )
    .option('--members <n>', 'members of the fan-out room', positiveInt)
    .option('--rate <n>', 'fixed fan-out rate, deliveries per second', positiveNumber, 100_000)
    .option('--warmup <s>', 'fan-out warm-up, seconds', positiveNumber)
    .option('--duration <s>', 'fan-out measurement window, seconds', positiveNumber)
    .option('--runs <n>', 'fixed-rate fan-out runs per server (median reported)', positiveInt)
    .option('--saturation <list>', "saturation steps, deliveries/s, comma-separated, or 'none'", rateList)
    .option('--saturation-duration <s>', 'measurement window of each saturation step, seconds', positiveNumber)
    .option('--client-procs <n>', 'loadgen processes (--procs) holding the fan-out members', positiveInt, 2)
    .option(
      '--fanout-servers <list>',
      `servers for the fan-out bench (${FANOUT_SERVERS.join(',')})`,
      serverList(FANOUT_SERVERS),
    )
    .option('--filter-messages <n>', 'messages timed per filter level and run (filter)', positiveInt)
    .option('--filter-runs <n>', 'runs per filter level (median reported)', positiveInt)
    .option('--scaling-workers <list>', 'worker counts to compare (scaling)', intList, [1, 2])
    .option('--scaling-rooms <n>', 'rooms of the scaling bench', positiveInt, 500)
    .option('--scaling-members <n>', 'members per room, every one a sender (scaling)', positiveInt, 4)
    .option('--scaling-client-procs <n>', 'loadgen processes (--procs) holding the scaling connections', positiveInt, 2)
    .option('--scaling-rates <list>', 'offered msgs/s, comma-separated, stepped until one is not sustained', rateList)
    .option('--scaling-refine <n>', 'bisection steps between the last sustained and the first unsustained rate', wholeNumber)
    .option(
      '--scaling-warmup <s>',
      "load before each scaling step's window, seconds (5 lets the event-loop readings see a 5 s window of load only)",
      positiveNumber,
    )
    .option('--scaling-duration <s>', 'measurement window of each scaling step, seconds', positiveNumber)
    .option('--scaling-max-p99 <ms>', 'latency p99 above which a scaling step is not sustained', positiveNumber, 500)
    .option(
      '--scaling-extra <list>',
      "extra scaling series: 'heavy' (1–2 KB texts), 'classifier' (--filter-classifier-us 1000), or 'none'",
      extras,
    )
    .option('--history-modes <list>', `history part modes (${HISTORY_MODES.join(',')})`, historyModes, HISTORY_MODES)
    .option('--history-rooms <n>', 'rooms of the history part', positiveInt, 100)
    .option('--history-members <n>', 'members per room of the history part, every one a sender', positiveInt, 2)
    .option('--history-outstanding <n>', 'messages each history sender keeps in flight', positiveInt, 8)
    .option('--history-warmup <s>', 'load before the history part’s window, seconds', positiveNumber)
    .option('--history-duration <s>', 'measurement window of the history part, seconds', positiveNumber)
    .option('--primary-workers <list>', 'synthetic worker counts of the primary part', intList, [2, 4])
    .option('--primary-flush-ms <list>', "the primary's --cluster-flush-ms values to measure (primary part)", wholeList, [0])
    .option('--primary-history <list>', 'where the primary keeps history: memory, sqlite (primary part)', primaryHistories, [
      'memory',
      'sqlite',
    ])
    .option('--primary-rooms <n>', 'rooms of the primary part', positiveInt, 500)
    .option('--primary-members <n>', 'members per room, spread over the synthetic workers (primary part)', positiveInt, 4)
    .option(
      '--primary-outstanding <n>',
      'unanswered publishes each synthetic worker keeps at most (primary part)',
      positiveInt,
      1000,
    )
    .option('--primary-body <bytes>', 'message body size, bytes (primary part)', positiveInt, 150)
    .option('--primary-warmup <s>', 'load before the primary part’s window, seconds', positiveNumber)
    .option('--primary-duration <s>', 'measurement window of the primary part, seconds', positiveNumber)
    .option('--bus-modes <list>', `bus deployments (${BUS_MODES.join(',')})`, busModes, BUS_MODES)
    .option('--bus-rooms <n>', 'rooms of the bus bench', positiveInt, 100)
    .option('--bus-members <n>', 'members per room of the bus bench: one sender, the rest receive', positiveInt, 10)
    .option('--bus-rate <n>', 'msgs/s of the bus bench (over all rooms)', positiveNumber, 1000)
    .option('--bus-warmup <s>', 'bus bench warm-up, seconds', positiveNumber)
    .option('--bus-duration <s>', 'bus bench window, seconds', positiveNumber)
    .option('--bus-runs <n>', 'windows per bus deployment (median reported)', positiveInt)
    .option(
      '--peers-servers <list>',
      `servers of the peers part, all driven by the loadgen (${PEER_SERVERS.join(',')})`,
      serverList([...PEER_SERVERS]),
    )
    .option('--peers-rooms <n>', 'rooms of the peers part', positiveInt, 100)
    .option('--peers-members <n>', 'members per room, every one a sender (peers)', positiveInt, 20)
    .option('--peers-size <bytes>', 'message text size, bytes (peers)', positiveInt, 100)
    .option('--peers-rates <list>', 'offered msgs/s over all senders, stepped until one is not sustained (peers)', rateList)
    .option('--peers-warmup <s>', 'warm-up of each peers step, seconds', positiveNumber)
    .option('--peers-duration <s>', 'measured length of each peers step, seconds', positiveNumber)
    .option('--peers-procs <n>', 'loadgen processes (peers)', positiveInt, 1)
    .option(
      '--peers-min-delivered <ratio>',
      'a peers step needs delivered ≥ this share of sent × deliveries per message',
      positiveNumber,
      0.99,
    )
    .option(
      '--peers-write-delays <list>',
      "loopchat's --write-delay-ms for extra loopchat series of the peers part, ms, comma-separated, or 'none'",
      (value: string) => (value === 'none' ? [] : intList(value)),
    )
    .option('--peers-max-p99 <ms>', 'latency p99 at or above which a peers step is not sustained', positiveNumber, 500)
    .option(
      '--peers-filter <level>',
      "loopchat's moderation in the peers part: off, or basic with the flood rule out of the way",
      filterLevel,
      'off',
    )
    .option('--connections-held <n>', 'connections the cluster holds (connections part)', positiveInt)
    .option('--connections-workers <n>', "loopchat's --workers in the connections part", positiveInt)
    .option(
      '--connections-connect-rate <n>',
      'new connections per second over all loadgen processes (connections)',
      positiveInt,
      2500,
    )
    .option('--connections-procs <n>', 'loadgen processes holding the connections, each ≤ 19,000 (connections)', positiveInt)
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
    .option('--connections-duration <s>', 'broadcast measurement window, seconds (connections)', positiveNumber)
    .option('--quick', 'smoke run: 1000 connections, 200 members, 3 s windows, one run of each, two saturation steps', false)
    .option(
      '--quiet-wait <s>',
      'before each measurement, wait up to this long for other processes to leave the CPU idle',
      positiveNumber,
      10,
    )
    .option('--loopchat-args <flags>', "extra loopchat flags for every loopchat run, e.g. '--workers 2'", '')
    .option('--out <path>', 'where to write the report (default: BENCHMARKS.md at the repo root)')
    .option('--raw <path>', 'where to write the raw results (JSON)', join(TMP_DIR, 'results.json'))
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const f = program.opts<
    {
      only?: Part[];
      filterMessages?: number;
      filterRuns?: number;
      scalingWorkers: number[];
      scalingRooms: number;
      scalingMembers: number;
      scalingClientProcs: number;
      scalingRates?: number[];
      scalingRefine?: number;
      scalingWarmup?: number;
      scalingDuration?: number;
      scalingMaxP99: number;
      scalingExtra?: ScalingExtra[];
      historyModes: HistoryMode[];
      historyRooms: number;
      historyMembers: number;
      historyOutstanding: number;
      historyWarmup?: number;
      historyDuration?: number;
      primaryWorkers: number[];
      primaryFlushMs: number[];
      primaryHistory: PrimaryHistory[];
      primaryRooms: number;
      primaryMembers: number;
      primaryOutstanding: number;
      primaryBody: number;
      primaryWarmup?: number;
      primaryDuration?: number;
      busModes: BusMode[];
      busRooms: number;
      busMembers: number;
      busRate: number;
      busWarmup?: number;
      busDuration?: number;
      busRuns?: number;
      peersServers?: PeerServerId[];
      peersRooms: number;
      peersMembers: number;
      peersSize: number;
      peersRates?: number[];
      peersWarmup?: number;
      peersDuration?: number;
      peersProcs: number;
      peersMinDelivered: number;
      peersMaxP99: number;
      peersFilter: 'off' | 'basic';
      peersWriteDelays?: number[];
      connections?: number;
      rooms: number;
      connectRate: number;
      settle: number;
      memoryRuns?: number;
      memoryServers?: ServerId[];
      members?: number;
      rate: number;
      warmup?: number;
      duration?: number;
      runs?: number;
      saturation?: number[];
      saturationDuration?: number;
      clientProcs: number;
      fanoutServers?: ServerId[];
      quick: boolean;
      out?: string;
      raw: string;
      quietWait: number;
      loopchatArgs: string;
    } & ConnectionsFlags
  >();
  const q = f.quick;
  const durationS = f.duration ?? (q ? 3 : 10);
  // npm runs scripts from the repo root; a path given by hand is relative to where the user was.
  const out =
    f.out === undefined
      ? join(REPO_ROOT, 'BENCHMARKS.md')
      : isAbsolute(f.out)
        ? f.out
        : resolve(process.env.INIT_CWD ?? process.cwd(), f.out);
  return {
    parts: f.only ?? [...PARTS],
    connections: f.connections ?? (q ? 1000 : 10_000),
    rooms: f.rooms,
    connectRate: f.connectRate,
    settleMs: f.settle,
    memoryRuns: f.memoryRuns ?? (q ? 1 : 3),
    memoryServers: f.memoryServers ?? MEMORY_SERVERS,
    members: f.members ?? (q ? 200 : 2000),
    rate: f.rate,
    warmupS: f.warmup ?? (q ? 1 : 2),
    durationS,
    runs: f.runs ?? (q ? 1 : 3),
    saturationRates: f.saturation ?? (q ? [200_000, 400_000] : [200_000, 400_000, 800_000, 1_600_000, 3_200_000, 6_400_000]),
    saturationDurationS: f.saturationDuration ?? (q ? durationS : Math.max(1, durationS / 2)),
    clientProcs: f.clientProcs,
    fanoutServers: f.fanoutServers ?? FANOUT_SERVERS,
    filterMessages: f.filterMessages ?? (q ? 20_000 : 100_000),
    filterRuns: f.filterRuns ?? (q ? 1 : 3),
    scalingWorkers: f.scalingWorkers,
    scalingRooms: f.scalingRooms,
    scalingMembers: f.scalingMembers,
    scalingClientProcs: f.scalingClientProcs,
    scalingRates: f.scalingRates ?? (q ? [4_000, 16_000] : [16_000, 32_000, 64_000]),
    scalingRefine: f.scalingRefine ?? (q ? 0 : 3),
    scalingWarmupS: f.scalingWarmup ?? (q ? 2 : 5),
    scalingDurationS: f.scalingDuration ?? (q ? 3 : 5),
    scalingMaxP99Ms: f.scalingMaxP99,
    scalingExtra: f.scalingExtra ?? (q ? [] : ['heavy', 'classifier']),
    historyModes: f.historyModes,
    history: {
      rooms: f.historyRooms,
      members: f.historyMembers,
      outstanding: f.historyOutstanding,
      warmupS: f.historyWarmup ?? (q ? 1 : 2),
      durationS: f.historyDuration ?? (q ? 3 : 5),
    },
    primaryWorkers: f.primaryWorkers,
    primaryFlushMs: f.primaryFlushMs,
    primaryHistory: f.primaryHistory,
    primaryRooms: f.primaryRooms,
    primaryMembers: f.primaryMembers,
    primaryOutstanding: f.primaryOutstanding,
    primaryBodyBytes: f.primaryBody,
    primaryWarmupS: f.primaryWarmup ?? (q ? 1 : 2),
    primaryDurationS: f.primaryDuration ?? (q ? 3 : 5),
    busModes: f.busModes,
    busRooms: f.busRooms,
    busMembers: f.busMembers,
    busRate: f.busRate,
    busWarmupS: f.busWarmup ?? (q ? 1 : 2),
    busDurationS: f.busDuration ?? (q ? 3 : 8),
    busRuns: f.busRuns ?? 1,
    peersServers: f.peersServers ?? [...PEER_SERVERS],
    peersRooms: f.peersRooms,
    peersMembers: f.peersMembers,
    peersSize: f.peersSize,
    peersRates: f.peersRates ?? (q ? [2_000, 10_000] : [2_000, 5_000, 10_000, 20_000]),
    peersWarmupS: f.peersWarmup ?? (q ? 1 : 2),
    peersDurationS: f.peersDuration ?? (q ? 3 : 10),
    peersServerWarmupS: q ? 1 : 3,
    peersProcs: f.peersProcs,
    peersConnectRate: 4_000,
    peersMinDelivered: f.peersMinDelivered,
    peersMaxP99Ms: f.peersMaxP99,
    peersFilter: f.peersFilter,
    peersWriteDelays: f.peersWriteDelays ?? [50],
    ...connectionsOptions(f, q),
    quick: q,
    quietWaitS: f.quietWait,
    loopchatArgs: f.loopchatArgs.split(/\s+/).filter((a) => a !== ''),
    out,
    raw: f.raw,
    argv,
  };
}

/** The connections part's flags as commander parses them. */
interface ConnectionsFlags {
  connectionsHeld?: number;
  connectionsWorkers?: number;
  connectionsConnectRate: number;
  connectionsProcs?: number;
  connectionsRooms?: number;
  connectionsSettle: number;
  connectionsMembers?: number;
  connectionsMemberProcs: number;
  connectionsRate: number;
  connectionsWarmup?: number;
  connectionsDuration?: number;
}

/**
 * The connections part's sizes: 100,000 over 6 workers (20,000 open files per process here:
 * 102,000 with the broadcast room is ~17,000 each); --quick 10,000 over 2.
 */
function connectionsOptions(
  f: ConnectionsFlags,
  q: boolean,
): Pick<BenchOptions, Exclude<Extract<keyof BenchOptions, `connections${string}`>, 'connections'>> {
  const held = f.connectionsHeld ?? (q ? 10_000 : 100_000);
  return {
    connectionsHeld: held,
    connectionsWorkers: f.connectionsWorkers ?? (q ? 2 : 6),
    connectionsConnectRate: f.connectionsConnectRate,
    // Each loadgen process holds at most 19,000 sockets.
    connectionsProcs: f.connectionsProcs ?? Math.ceil(held / 19_000),
    // 20 members a room, as the issue's run had (100,000 over 5,000).
    connectionsRooms: f.connectionsRooms ?? Math.max(1, Math.round(held / 20)),
    connectionsSettleMs: f.connectionsSettle,
    connectionsMembers: f.connectionsMembers ?? (q ? 200 : 2000),
    connectionsMemberProcs: f.connectionsMemberProcs,
    connectionsRate: f.connectionsRate,
    connectionsWarmupS: f.connectionsWarmup ?? (q ? 1 : 2),
    connectionsDurationS: f.connectionsDuration ?? (q ? 3 : 10),
  };
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function describeFanout(x: FanoutResult): string {
  return (
    `delivered ${rate(x.deliveredPerSecond)}/s of ${rate(x.offeredPerSecond)}, ${fixed(x.serverCpuUsPerDelivery, 2)} µs/delivery ` +
    `(server ${fixed(x.serverCpuPercent, 0)} % CPU), p50 ${fixed(x.latencyP50Ms, 1)} ms p99 ${fixed(x.latencyP99Ms, 1)} ms, ` +
    `clients ${x.clientCpuPercentPerProc.map((v) => fixed(v, 0)).join('+')} % CPU, ${x.totalDelivered}/${x.totalExpected} delivered` +
    `, other load ${fixed(x.otherLoadPercent, 0)} %` +
    (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : '') +
    (x.warnings.length > 0 ? ` — WARNINGS: ${x.warnings.join('; ')}` : '')
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = nowUs();
  const results = emptyResults(options, machineInfo(), new Date().toISOString());
  const has = (part: Part): boolean => options.parts.includes(part);
  log(`loopchat bench: ${options.parts.join(', ')}; report → ${options.out}; server logs → ${TMP_DIR}`);

  if (has('memory')) {
    // Runs interleave the servers, so slow drift on the machine spreads over all of them.
    for (let run = 1; run <= options.memoryRuns; run++) {
      for (const id of options.memoryServers) {
        try {
          const x = await runMemory(SERVER_KINDS[id], {
            connections: options.connections,
            rooms: options.rooms,
            connectRate: options.connectRate,
            settleMs: options.settleMs,
            quietWaitS: options.quietWaitS,
            loopchatArgs: [...BENCH_LOOPCHAT_ARGS, ...options.loopchatArgs],
          });
          (results.memory[id] ??= []).push(x);
          log(
            `memory ${id} run ${run}: ${fixed(x.kibPerConnection, 2)} KiB/conn after GC, ${fixed(x.kibPerConnectionSettled, 2)} settled ` +
              `(${x.rssBeforeKiB} → ${x.rssSettledKiB} → ${x.rssAfterKiB} KiB), other load ${fixed(x.otherLoadPercent, 0)} %, ${x.connected}/${x.connections} connected in ` +
              `${fixed(x.connectSeconds, 2)} s, p99 ${fixed(x.connectP99Ms, 1)} ms` +
              (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : ''),
          );
        } catch (err) {
          results.failures.push({ server: id, scenario: 'memory', error: (err as Error).message });
          log(`memory ${id}: FAILED: ${(err as Error).stack ?? String(err)}`);
        }
      }
    }
  }

  if (has('fanout')) {
    const fanoutOptions: FanoutOptions = {
      members: options.members,
      warmupS: options.warmupS,
      clientProcs: options.clientProcs,
      connectRate: options.connectRate,
      drainTimeoutMs: 5_000,
      quietWaitS: options.quietWaitS,
      loopchatArgs: [...BENCH_LOOPCHAT_ARGS, ...options.loopchatArgs],
    };
    // A phase spoiled by other processes on the machine is run again, within a budget.
    let retries = MAX_RETRIES;
    const measure = async (
      series: FanoutSeries,
      what: string,
      offered: number,
      durationS: number,
      warmupS?: number,
    ): Promise<FanoutResult> => {
      for (;;) {
        const x = await series.run(offered, durationS, warmupS);
        const spoiled =
          x.otherLoadPercent > QUIET_PERCENT &&
          (sustainedVerdict(x) !== 'yes' || x.problems.length > 0 || x.otherLoadPercent > 2 * QUIET_PERCENT);
        if (!spoiled || retries === 0) return x;
        retries--;
        log(
          `${what}: other processes used ${fixed(x.otherLoadPercent, 0)} % of a core; measuring again (${retries} retries left): ${describeFanout(x)}`,
        );
      }
    };
    for (const id of options.fanoutServers) {
      let series: FanoutSeries | undefined;
      let phase = 'setup';
      try {
        series = await FanoutSeries.open(SERVER_KINDS[id], fanoutOptions);
        for (let run = 1; run <= options.runs; run++) {
          phase = `fan-out run ${run}`;
          const x = await measure(series, `fan-out ${id} run ${run}`, options.rate, options.durationS);
          (results.fanout[id] ??= []).push(x);
          log(`fan-out ${id} run ${run}: ${describeFanout(x)}`);
        }
        const steps: SaturationStep[] = (results.saturation[id] = []);
        for (const offered of options.saturationRates) {
          phase = `saturation ${rate(offered)}/s`;
          // The server is warm by now: a short warm-up per step is enough.
          const x = await measure(
            series,
            `saturation ${id} ${rate(offered)}/s`,
            offered,
            options.saturationDurationS,
            SATURATION_WARMUP_S,
          );
          const why = sustainedVerdict(x);
          steps.push({ result: x, sustained: why === 'yes', why });
          log(
            `saturation ${id} ${rate(offered)}/s: ${why === 'yes' ? 'sustained' : `NOT sustained (${why})`}: ${describeFanout(x)}`,
          );
          if (why !== 'yes') break;
        }
      } catch (err) {
        results.failures.push({
          server: id,
          scenario: phase === 'setup' ? 'fan-out setup' : phase,
          error: (err as Error).message,
        });
        log(`${phase} ${id}: FAILED: ${(err as Error).stack ?? String(err)}`);
      } finally {
        await series?.close();
      }
    }
  }

  if (has('filter')) await runFilterPart(options, results);
  if (has('scaling')) await runScalingPart(options, results);
  if (has('primary')) await runPrimaryPart(options, results);
  if (has('bus')) await runBusPart(options, results);
  if (has('peers')) await runPeersPart(options, results);
  if (has('connections')) await runConnectionsPart(options, results);
  if (has('history')) await runHistoryPart(options, results);

  results.elapsedS = (nowUs() - started) / 1e6;
  mkdirSync(dirname(options.raw), { recursive: true });
  writeFileSync(options.raw, JSON.stringify(results, null, 2));
  writeFileSync(options.out, renderMarkdown(results));
  log(
    `done in ${Math.round(results.elapsedS)} s: ${options.out} (raw: ${options.raw}); ${results.failures.length} failure(s)`,
  );
  if (results.failures.length > 0) process.exitCode = 1;
}

// ── filter, scaling, bus ─────────────────────────────────────────────────────────

async function runFilterPart(o: BenchOptions, results: BenchResults): Promise<void> {
  try {
    const x = await runFilter({
      levels: ['basic', 'strict'],
      messages: o.filterMessages,
      runs: o.filterRuns,
      quietWaitS: o.quietWaitS,
    });
    results.filter = x;
    for (const level of ['basic', 'strict'] as const) {
      const m = medianRun(x, level);
      if (m !== undefined)
        log(
          `filter ${level}: p50 ${fixed(m.p50us, 2)} µs, p99 ${fixed(m.p99us, 2)} µs, mean ${fixed(m.meanus, 2)} µs, ` +
            `${rate(m.messagesPerSecond)} msgs/s on one core, verdicts ${JSON.stringify(m.verdicts)}`,
        );
    }
    if (x.problems.length + x.warnings.length > 0) log(`filter: ${[...x.problems, ...x.warnings].join('; ')}`);
  } catch (err) {
    results.failures.push({ server: 'filter', scenario: 'filter cost', error: (err as Error).message });
    log(`filter: FAILED: ${(err as Error).stack ?? String(err)}`);
  }
}

/** The scaling series: the main one and the extras asked for. */
export const SCALING_SERIES: Record<'main' | ScalingExtra, Omit<ScalingSeriesResult, 'steps'> & { rateScale: number }> = {
  main: {
    id: 'main',
    label: 'basic filter, 100–200 B texts',
    filter: 'basic',
    classifierUs: 0,
    minBytes: 100,
    maxBytes: 200,
    termShare: 0.25,
    rateScale: 1,
  },
  heavy: {
    id: 'heavy',
    label: 'basic filter, 1–2 KB texts (heavier per message)',
    filter: 'basic',
    classifierUs: 0,
    minBytes: 1000,
    maxBytes: 2000,
    termShare: 0.25,
    rateScale: 0.25,
  },
  classifier: {
    id: 'classifier',
    label: 'basic filter + 1 ms simulated classifier, 100–200 B texts (CPU-heavy moderation)',
    filter: 'basic',
    classifierUs: 1000,
    minBytes: 100,
    maxBytes: 200,
    termShare: 0.25,
    rateScale: 1 / 32,
  },
};

function describeScaling(x: ScalingResult): string {
  return (
    `${rate(x.msgsPerSecond)} msgs/s (${rate(x.deliveredPerSecond)} deliveries/s) of ${rate(x.offeredMsgsPerSecond)} offered, ` +
    `server ${fixed(x.serverCpuPercent, 0)} % CPU (${x.serverCpuPerProc.map((p) => `${p.role} ${fixed(p.percent, 0)}`).join(', ')}), ` +
    `${fixed(x.serverCpuUsPerMsg, 1)} µs/msg, loop p99 ${fixed(x.loopP99Ms, 1)} ms, latency p50 ${fixed(x.latencyP50Ms, 1)} p99 ${fixed(x.latencyP99Ms, 1)} ms, ` +
    `loadgen ${x.loadgenCpuPercentPerProc.map((v) => fixed(v, 0)).join('+')} % CPU, softirq ${fixed(x.irqPercent, 0)} %, other ${fixed(x.otherLoadPercent, 0)} %, ` +
    `${x.totalDelivered}/${x.totalExpected} delivered, conns/worker ${x.connectionsPerWorker.join('+')}` +
    (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : '') +
    (x.warnings.length > 0 ? ` — WARNINGS: ${x.warnings.join('; ')}` : '')
  );
}

async function runScalingPart(o: BenchOptions, results: BenchResults): Promise<void> {
  let retries = MAX_RETRIES;
  for (const id of ['main', ...o.scalingExtra] as const) {
    const def = SCALING_SERIES[id];
    const { rateScale, ...meta } = def;
    const out: ScalingSeriesResult = { ...meta, steps: {} };
    results.scaling.push(out);
    const opts: ScalingOptions = {
      rooms: o.scalingRooms,
      members: o.scalingMembers,
      procs: o.scalingClientProcs,
      warmupS: o.scalingWarmupS,
      filter: def.filter,
      classifierUs: def.classifierUs,
      minBytes: def.minBytes,
      maxBytes: def.maxBytes,
      termShare: def.termShare,
      maxP99Ms: o.scalingMaxP99Ms,
      quietWaitS: o.quietWaitS,
    };
    const rates = o.scalingRates.map((r) => Math.max(100, Math.round((r * rateScale) / 100) * 100));
    for (const workers of o.scalingWorkers) {
      const steps: ScalingStep[] = (out.steps[String(workers)] = []);
      let series: ScalingSeries | undefined;
      let phase = 'setup';
      try {
        series = await ScalingSeries.open(workers, def.label, opts);
        const s = series;
        const step = async (offered: number): Promise<boolean> => {
          phase = `${rate(offered)} msgs/s`;
          for (;;) {
            const x = await s.run(offered, o.scalingDurationS);
            const why = scalingVerdict(x, o.scalingMaxP99Ms);
            const spoiled = x.otherLoadPercent > QUIET_PERCENT && (why !== 'yes' || x.otherLoadPercent > 2 * QUIET_PERCENT);
            if (spoiled && retries > 0) {
              retries--;
              log(
                `scaling ${id} ${workers}w ${rate(offered)}/s: other processes used ${fixed(x.otherLoadPercent, 0)} % of a core; measuring again (${retries} retries left)`,
              );
              continue;
            }
            steps.push({ result: x, sustained: why === 'yes', why });
            log(
              `scaling ${id} ${workers}w ${rate(offered)} msgs/s: ${why === 'yes' ? 'sustained' : `NOT sustained (${why})`}: ${describeScaling(x)}`,
            );
            return why === 'yes';
          }
        };
        let lo = NaN;
        let hi = NaN;
        for (const offered of rates) {
          if (await step(offered)) lo = offered;
          else {
            hi = offered;
            break;
          }
        }
        for (let i = 0; i < o.scalingRefine && Number.isFinite(hi); i++) {
          const mid = Math.round((Number.isFinite(lo) ? Math.sqrt(lo * hi) : hi / 2) / 100) * 100;
          if (mid <= (Number.isFinite(lo) ? lo : 0) || mid >= hi) break;
          if (await step(mid)) lo = mid;
          else hi = mid;
        }
      } catch (err) {
        results.failures.push({
          server: `scaling ${id}, --workers ${workers}`,
          scenario: phase === 'setup' ? 'scaling setup' : `scaling ${phase}`,
          error: (err as Error).message,
        });
        log(`scaling ${id} ${workers}w ${phase}: FAILED: ${(err as Error).stack ?? String(err)}`);
      } finally {
        await series?.close();
      }
    }
  }
}

function describePrimary(x: PrimaryResult): string {
  return (
    `${rate(x.msgsPerSecond)} msgs/s sequenced, primary ${fixed(x.primaryCpuPercent, 0)} % CPU = ${fixed(x.primaryUsPerMsg, 2)} µs/msg (event-loop thread ${fixed(x.primaryLoopUsPerMsg, 2)}), ` +
    `workers ${x.workerCpuPercent.map((v) => fixed(v, 0)).join('+')} % = ${fixed(x.workersUsPerMsg, 2)} µs/msg, softirq ${fixed(x.irqPercent, 0)} %, ` +
    `other ${fixed(x.otherLoadPercent, 0)} %, ${fixed(x.recordsPerMsg, 2)} Msg records/msg` +
    (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : '') +
    (x.warnings.length > 0 ? ` — WARNINGS: ${x.warnings.join('; ')}` : '')
  );
}

async function runHistoryPart(o: BenchOptions, results: BenchResults): Promise<void> {
  for (const mode of o.historyModes) {
    try {
      const x = await runHistory(mode, o.history);
      results.history!.push(x);
      log(
        `history ${mode}: ${rate(x.msgsPerSecond)} msgs/s, ack p50 ${fixed(x.ackP50Ms, 2)} ms p99 ${fixed(x.ackP99Ms, 2)} ms, ` +
          `commit p50 ${fixed(x.commitP50Ms ?? NaN, 3)} ms p99 ${fixed(x.commitP99Ms ?? NaN, 3)} ms, ${fixed(x.msgsPerCommit ?? NaN, 1)} msgs/commit, server ${fixed(x.serverUsPerMsg, 1)} µs/msg`,
      );
    } catch (err) {
      results.failures.push({ server: 'loopchat-tcp', scenario: `history ${mode}`, error: (err as Error).message });
      log(`history ${mode}: FAILED ${(err as Error).message}`);
    }
  }
}

async function runPrimaryPart(o: BenchOptions, results: BenchResults): Promise<void> {
  let retries = MAX_RETRIES;
  for (const history of o.primaryHistory ?? ['memory']) {
    for (const flushMs of o.primaryFlushMs) {
      for (const workers of o.primaryWorkers) {
        const what = `primary, ${workers} synthetic workers, --cluster-flush-ms ${flushMs}, --history ${history}`;
        try {
          const run = (): Promise<PrimaryResult> =>
            runPrimary({
              workers,
              flushMs,
              history,
              rooms: o.primaryRooms,
              members: o.primaryMembers,
              outstanding: o.primaryOutstanding,
              bodyBytes: o.primaryBodyBytes,
              warmupS: o.primaryWarmupS,
              durationS: o.primaryDurationS,
              quietWaitS: o.quietWaitS,
            });
          let x = await run();
          while (x.otherLoadPercent > QUIET_PERCENT && retries > 0) {
            retries--;
            log(
              `${what}: other processes used ${fixed(x.otherLoadPercent, 0)} % of a core; measuring again (${retries} retries left)`,
            );
            x = await run();
          }
          results.primary.push(x);
          log(`${what}: ${describePrimary(x)}`);
        } catch (err) {
          results.failures.push({ server: what, scenario: 'primary ceiling', error: (err as Error).message });
          log(`${what}: FAILED: ${(err as Error).stack ?? String(err)}`);
        }
      }
    }
  }
}

function describeBus(x: BusResult): string {
  return (
    `p50 ${fixed(x.latencyP50Ms, 2)} ms, p99 ${fixed(x.latencyP99Ms, 2)} ms, p99.9 ${fixed(x.latencyP999Ms, 2)} ms, max ${fixed(x.latencyMaxMs, 1)} ms; ` +
    `${rate(x.deliveredPerSecond)} deliveries/s, server ${fixed(x.serverCpuPercent, 0)} % CPU${x.mode === 'redis' ? ` (redis ${fixed(x.redisCpuPercent, 0)} %)` : ''}, ` +
    `loadgen ${fixed(x.loadgenCpuPercent, 0)} %, other ${fixed(x.otherLoadPercent, 0)} %, ${x.totalDelivered}/${x.totalExpected} delivered, ` +
    `connections ${x.connectionsPerProcess.join('+')}` +
    (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : '') +
    (x.warnings.length > 0 ? ` — WARNINGS: ${x.warnings.join('; ')}` : '')
  );
}

async function runBusPart(o: BenchOptions, results: BenchResults): Promise<void> {
  let retries = MAX_RETRIES;
  for (const mode of o.busModes) {
    let setup: BusSetup | undefined;
    try {
      setup = await BusSetup.open(mode, {
        rooms: o.busRooms,
        members: o.busMembers,
        msgsPerSecond: o.busRate,
        warmupS: o.busWarmupS,
        durationS: o.busDurationS,
        quietWaitS: o.quietWaitS,
      });
      for (let run = 1; run <= o.busRuns; run++) {
        let x = await setup.run();
        while (x.otherLoadPercent > QUIET_PERCENT && retries > 0) {
          retries--;
          log(
            `bus ${mode}: other processes used ${fixed(x.otherLoadPercent, 0)} % of a core; measuring again (${retries} retries left)`,
          );
          x = await setup.run();
        }
        results.bus.push(x);
        log(`bus ${mode} run ${run}: ${describeBus(x)}`);
      }
    } catch (err) {
      results.failures.push({ server: `bus ${mode}`, scenario: 'bus latency', error: (err as Error).message });
      log(`bus ${mode}: FAILED: ${(err as Error).stack ?? String(err)}`);
    } finally {
      await setup?.close();
    }
  }
}

// ── peers (issue 4) ──────────────────────────────────────────────────────────────

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
    (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : '') +
    (x.warnings.length > 0 ? ` — WARNINGS: ${x.warnings.join('; ')}` : '')
  );
}

async function runPeersPart(o: BenchOptions, results: BenchResults): Promise<void> {
  let retries = MAX_RETRIES;
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
  const first = o.peersRates[0];
  if (first === undefined) {
    results.failures.push({ server: 'peers', scenario: 'peers setup', error: 'no --peers-rates' });
    return;
  }
  // The write-delay series come last: loopchat again, trading latency for CPU per delivery.
  const plan: { id: PeerServerId; writeDelayMs: number }[] = [
    ...o.peersServers.map((id) => ({ id, writeDelayMs: 0 })),
    ...o.peersWriteDelays.flatMap((writeDelayMs) =>
      o.peersServers.filter((id) => SERVER_KINDS[id].isLoopchat).map((id) => ({ id, writeDelayMs })),
    ),
  ];
  for (const { id: server, writeDelayMs } of plan) {
    const id = writeDelayMs === 0 ? server : `${server} --write-delay-ms ${writeDelayMs}`;
    let series: PeerSeries | undefined;
    let phase = 'setup';
    const out: PeerSeriesResult = {
      server,
      label:
        writeDelayMs === 0 ? SERVER_KINDS[server].label : `${SERVER_KINDS[server].label}, write delay ${writeDelayMs} ms`,
      ...PEER_DRIVERS[server],
      args: [],
      writeDelayMs,
      steps: [],
      notes: [],
    };
    results.peers.push(out);
    try {
      series = await PeerSeries.open(server, opts, first, writeDelayMs);
      out.args = series.args;
      for (const offered of o.peersRates) {
        phase = `${rate(offered)} msgs/s`;
        let x = await series.run(offered);
        while (
          x.otherLoadPercent > QUIET_PERCENT &&
          (!x.sustained || x.otherLoadPercent > 2 * QUIET_PERCENT) &&
          retries > 0
        ) {
          retries--;
          log(
            `peers ${id} ${phase}: other processes used ${fixed(x.otherLoadPercent, 0)} % of a core; measuring again (${retries} retries left)`,
          );
          x = await series.run(offered);
        }
        out.steps.push(x);
        log(`peers ${id} ${phase}: ${x.sustained ? 'sustained' : `NOT sustained (${x.why})`}: ${describePeer(x)}`);
        if (!x.sustained) break;
      }
    } catch (err) {
      results.failures.push({
        server: `peers ${id}`,
        scenario: phase === 'setup' ? 'peers setup' : `peers ${phase}`,
        error: (err as Error).message,
      });
      log(`peers ${id} ${phase}: FAILED: ${(err as Error).stack ?? String(err)}`);
    } finally {
      if (series !== undefined) out.notes = series.notes;
      await series?.close();
    }
  }
}

// ── connections (issue 11) ───────────────────────────────────────────────────────

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
    ([...x.problems, ...(b?.problems ?? [])].length > 0
      ? ` — PROBLEMS: ${[...x.problems, ...(b?.problems ?? [])].join('; ')}`
      : '') +
    ([...x.warnings, ...(b?.warnings ?? [])].length > 0
      ? ` — WARNINGS: ${[...x.warnings, ...(b?.warnings ?? [])].join('; ')}`
      : '')
  );
}

async function runConnectionsPart(o: BenchOptions, results: BenchResults): Promise<void> {
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
    results.failures.push({ server: what, scenario: 'connections', error: (err as Error).message });
    log(`${what}: FAILED: ${(err as Error).stack ?? String(err)}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
