/** Everything one bench run produced: the input of the report and of the raw JSON dump. */
import type { MachineInfo } from '../report/machine.js';
import type { FanoutResult } from '../scenarios/fanout.js';
import type { MemoryResult } from '../scenarios/memory.js';
import type { ServerId } from './servers.js';

export interface BenchOptions {
  only: 'memory' | 'fanout' | 'all';
  connections: number;
  rooms: number;
  concurrency: number;
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
  quick: boolean;
  quietWaitS: number;
  loopchatArgs: string[];
  out: string;
  raw: string;
  argv: string[];
}

/** A scenario that threw instead of producing figures (a crashed server, a failed connect). */
export interface Failure {
  server: ServerId;
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
  failures: Failure[];
}
