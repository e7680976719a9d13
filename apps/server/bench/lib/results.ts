/** Everything one bench run produced: the input of the report and of the raw JSON dump. */
import type { MachineInfo } from '../report/machine.js';
import type { FanoutResult } from '../scenarios/fanout.js';
import type { MemoryResult } from '../scenarios/memory.js';
import type { BusResult } from '../scenarios/bus.js';
import type { ConnectionsResult } from '../scenarios/connections.js';
import type { FilterResult } from '../scenarios/filter.js';
import type { PrimaryResult } from '../scenarios/primary.js';
import type { HistoryResult } from '../scenarios/history.js';
import type { StoreAloneResult } from '../scenarios/store-alone.js';
import type { ScalingResult } from '../scenarios/scaling.js';
import type { SplitResult } from '../scenarios/scaling-split.js';
import type { PeerSeriesResult } from '../scenarios/peers.js';
import type { BusPartOptions } from '../parts/bus.js';
import type { ConnectionsPartOptions } from '../parts/connections.js';
import type { FanoutPartOptions } from '../parts/fanout.js';
import type { FilterOptions } from '../parts/filter.js';
import type { HistoryPartOptions } from '../parts/history.js';
import type { MemoryOptions } from '../parts/memory.js';
import type { PeersPartOptions } from '../parts/peers.js';
import type { PrimaryPartOptions } from '../parts/primary.js';
import type { ScalingPartOptions } from '../parts/scaling.js';
import type { ServerId } from './servers.js';

export const PARTS = ['memory', 'fanout', 'filter', 'scaling', 'primary', 'bus', 'peers', 'connections', 'history'] as const;
export type Part = (typeof PARTS)[number];

/** What every part shares; each part's own options come from its module under parts/. */
export interface CommonOptions {
  /** The parts to run (all of them unless --only). */
  parts: Part[];
  /** New connections per second the loadgen opens (memory, fan-out). */
  connectRate: number;
  quick: boolean;
  quietWaitS: number;
  loopchatArgs: string[];
  out: string;
  raw: string;
  argv: string[];
}

export type BenchOptions = CommonOptions &
  MemoryOptions &
  FanoutPartOptions &
  FilterOptions &
  ScalingPartOptions &
  HistoryPartOptions &
  PrimaryPartOptions &
  BusPartOptions &
  PeersPartOptions &
  ConnectionsPartOptions;

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
  /**
   * The limit of the workload split over two independent processes (scenarios/scaling-split.ts),
   * searched beside the worker counts' when asked for (--scaling-split).
   */
  split?: SplitStep[];
  /** The floor rounds, after the limits were found (none when no rate was sustained by both). */
  floor?: FloorRound[];
}

/** One load step of a limit search: its figures, and whether the rate was sustained (why not). */
export interface Step<T> {
  result: T;
  sustained: boolean;
  why: string;
}

export type SplitStep = Step<SplitResult>;

/**
 * One round at the highest rate 1 and 2 workers both sustained, its steps back to back: one
 * process, the workload split over two independent processes (scenarios/scaling-split.ts: the
 * least a 2-worker cluster's CPU per message can be), the cluster.
 */
export interface FloorRound {
  atMsgsPerSecond: number;
  single: ScalingResult;
  split: SplitResult;
  cluster: ScalingResult;
}

export type ScalingStep = Step<ScalingResult>;

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
  /** The history part's stores alone: one result per (rooms, store), in the order run. */
  storeAlone?: StoreAloneResult[];
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
    storeAlone: [],
    bus: [],
    peers: [],
    failures: [],
  };
}
