/**
 * The history part's second half: each store alone (workers/store-alone-worker.ts), in a
 * process of its own driven as the chat state drives it, so its cost per message is read
 * without the rest of the server (and without the noise a shared machine adds to a
 * server-level figure). The difference between the SQLite and memory rows is what durable
 * history adds to every message.
 */
import { runWorker } from '../lib/children.js';

export type StoreKind = 'memory' | 'sqlite';
export const STORE_KINDS: StoreKind[] = ['memory', 'sqlite'];

export interface StoreAloneOptions {
  rooms: number;
  /** Appends per commit: one event-loop turn's messages. */
  perCommit: number;
  messages: number;
  /** Simulated msgs/s: the clock of message timestamps and of the background step. */
  rate: number;
}

export interface StoreAloneResult extends StoreAloneOptions {
  kind: StoreKind;
  usPerMsg: number;
  userUsPerMsg: number;
  sysUsPerMsg: number;
  /** CPU ÷ wall of the worker: below ~0.9 it waited for the disk or for a core. */
  cpuShare: number;
}

interface Line {
  cpuUs: number;
  userUs: number;
  sysUs: number;
  wallUs: number;
}

export async function runStoreAlone(kind: StoreKind, o: StoreAloneOptions): Promise<StoreAloneResult> {
  const args = [kind, o.rooms, o.perCommit, o.messages, o.rate].map(String);
  const worker = await runWorker('store-alone-worker.js', args);
  if (worker.failure !== undefined) throw new Error(worker.failure);
  const line = worker.lines[0] as Line;
  return {
    kind,
    ...o,
    usPerMsg: line.cpuUs / o.messages,
    userUsPerMsg: line.userUs / o.messages,
    sysUsPerMsg: line.sysUs / o.messages,
    cpuShare: line.cpuUs / line.wallUs,
  };
}
