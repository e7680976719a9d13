/** Everything one bench run produced: the input of the report and of the raw JSON dump. */
import type { MachineInfo } from '../report/machine.js';
import type { FanoutResult } from '../scenarios/fanout.js';
import type { MemoryResult } from '../scenarios/memory.js';
import type { BusMode, BusResult } from '../scenarios/bus.js';
import type { ConnectionsResult } from '../scenarios/connections.js';
import type { FilterResult } from '../scenarios/filter.js';
import type { PrimaryHistory, PrimaryResult } from '../scenarios/primary.js';
import type { HistoryMode, HistoryOptions, HistoryResult } from '../scenarios/history.js';
import type { ScalingResult } from '../scenarios/scaling.js';
import type { PeerSeriesResult, PeerServerId } from '../scenarios/peers.js';
import type { ServerId } from './servers.js';

export const PARTS = ['memory', 'fanout', 'filter', 'scaling', 'primary', 'bus', 'peers', 'connections', 'history'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  /** The parts to run (all of them unless --only). */
  parts: Part[];
  connections: number;
  rooms: number;
  /** New connections per second the loadgen opens (memory, fan-out). */
  connectRate: number;
  settleMs: number;
  memoryRuns: number;
  memoryServers: ServerId[];
  members: number;
  rate: number;
  warmupS: number;
  durationS: number;
  runs: number;
  saturationRates: number[];
  saturationDurationS: number;
  clientProcs: number;
  fanoutServers: ServerId[];
  filterMessages: number;
  filterRuns: number;
  scalingWorkers: number[];
  scalingRooms: number;
  scalingMembers: number;
  scalingClientProcs: number;
  scalingRates: number[];
  /** Bisection steps between the last sustained and the first unsustained rate. */
  scalingRefine: number;
  scalingWarmupS: number;
  scalingDurationS: number;
  scalingMaxP99Ms: number;
  /** Extra series: a level or a text size besides the main one (basic, 100–200 B). */
  scalingExtra: ScalingExtra[];
  /** The history part (scenarios/history.ts): modes and the closed-loop load. */
  historyModes: HistoryMode[];
  history: HistoryOptions;
  /** The primary part: synthetic worker counts and `--cluster-flush-ms` values to measure. */
  primaryWorkers: number[];
  primaryFlushMs: number[];
  /** Absent in results from before the store existed (memory only). */
  primaryHistory?: PrimaryHistory[];
  primaryRooms: number;
  primaryMembers: number;
  /** Unanswered Pubs each synthetic worker keeps at most. */
  primaryOutstanding: number;
  primaryBodyBytes: number;
  primaryWarmupS: number;
  primaryDurationS: number;
  busModes: BusMode[];
  busRooms: number;
  busMembers: number;
  busRate: number;
  busWarmupS: number;
  busDurationS: number;
  busRuns: number;
  /** The peers part (issue 4): loopchat against Socket.IO and naive ws, all driven by the loadgen. */
  peersServers: PeerServerId[];
  peersRooms: number;
  peersMembers: number;
  peersSize: number;
  /** Offered msgs/s over all senders, stepped until a step is not sustained. */
  peersRates: number[];
  peersWarmupS: number;
  peersDurationS: number;
  peersServerWarmupS: number;
  peersProcs: number;
  peersConnectRate: number;
  peersMinDelivered: number;
  peersMaxP99Ms: number;
  /** loopchat's moderation level in the peers part ('off': the peers moderate nothing). */
  peersFilter: 'off' | 'basic';
  /** Extra loopchat series with `--write-delay-ms` (empty: none). */
  peersWriteDelays: number[];
  /** The connections part (issue 11): N held by a cluster, then a broadcast while they are. */
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
  quick: boolean;
  quietWaitS: number;
  loopchatArgs: string[];
  out: string;
  raw: string;
  argv: string[];
}

export type ScalingExtra = 'heavy' | 'classifier';

/** A scaling series: one filter level and text size, stepped at each worker count. */
export interface ScalingSeriesResult {
  /** 'main' (basic, 100–200 B texts) or an extra. */
  id: 'main' | ScalingExtra;
  label: string;
  filter: 'basic' | 'strict';
  /** µs of the simulated classifier per message (--filter-classifier-us), 0 for none. */
  classifierUs: number;
  minBytes: number;
  maxBytes: number;
  termShare: number;
  /** Steps per worker count, in the order they ran. */
  steps: Record<string, ScalingStep[]>;
}

export interface ScalingStep {
  result: ScalingResult;
  sustained: boolean;
  why: string;
}

/** A scenario that threw instead of producing figures (a crashed server, a failed connect). */
export interface Failure {
  /** A server id, or the part (filter, scaling, bus) for the newer scenarios. */
  server: ServerId | string;
  scenario: string;
  error: string;
}

export interface SaturationStep {
  result: FanoutResult;
  sustained: boolean;
  why: string;
}

export interface BenchResults {
  options: BenchOptions;
  machine: MachineInfo;
  startedAt: string;
  elapsedS: number;
  memory: Partial<Record<ServerId, MemoryResult[]>>;
  fanout: Partial<Record<ServerId, FanoutResult[]>>;
  saturation: Partial<Record<ServerId, SaturationStep[]>>;
  filter?: FilterResult;
  scaling: ScalingSeriesResult[];
  /** The history part: one result per mode, in the order run. */
  history?: HistoryResult[];
  /** The primary part: one result per (flush ms, synthetic workers), in the order run. */
  primary: PrimaryResult[];
  bus: BusResult[];
  peers: PeerSeriesResult[];
  connections?: ConnectionsResult;
  failures: Failure[];
}

/** A run's results before any part has run. */
export function emptyResults(options: BenchOptions, machine: MachineInfo, startedAt: string): BenchResults {
  return {
    options,
    machine,
    startedAt,
    elapsedS: 0,
    memory: {},
    fanout: {},
    saturation: {},
    scaling: [],
    primary: [],
    history: [],
    bus: [],
    peers: [],
    failures: [],
  };
}
