/**
 * Every bench part, in the order a full run runs them (PARTS in lib/results.ts names the same
 * ids; BenchOptions is the common options and each part's share).
 */
import type { Part } from '../lib/results.js';
import { busPart } from './bus.js';
import { connectionsPart } from './connections.js';
import { fanoutPart } from './fanout.js';
import { filterPart } from './filter.js';
import { historyPart } from './history.js';
import { memoryPart } from './memory.js';
import type { BenchPart } from './part.js';
import { peersPart } from './peers.js';
import { primaryPart } from './primary.js';
import { scalingPart } from './scaling.js';

export const BENCH_PARTS: readonly BenchPart[] = [
  memoryPart,
  fanoutPart,
  filterPart,
  scalingPart,
  primaryPart,
  busPart,
  peersPart,
  connectionsPart,
  historyPart,
];

/** BENCHMARKS.md's sections: history, though it runs last, follows primary. */
export const REPORT_ORDER: readonly Part[] = [
  'memory',
  'fanout',
  'filter',
  'scaling',
  'primary',
  'history',
  'bus',
  'peers',
  'connections',
];

export function benchPart(id: Part): BenchPart {
  const part = BENCH_PARTS.find((p) => p.id === id);
  if (part === undefined) throw new Error(`no bench part '${id}'`);
  return part;
}
