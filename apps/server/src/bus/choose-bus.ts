/**
 * The one place that decides which bus a process runs (issue 13): from the configuration
 * and the process's role, so main.ts (which logs it), cluster/worker.ts and server.ts
 * cannot disagree.
 *
 *   role      REDIS_CLUSTER_NODES   REDIS_URL   neither
 *   single    redis-cluster         redis       local
 *   worker    redis-cluster         redis       ipc      (the primary, over the data socket)
 *   primary   redis-cluster         redis       ipc      (it serves the workers; holds no Bus)
 *
 * With Redis, each worker is a host of its own on Redis; the primary's PrimaryBus then
 * serves nobody.
 */
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { DATA_FD } from '../cluster/ipc-protocol.js';
import { openHistoryStore } from '../history/open-store.js';
import type { Bus } from './bus.js';
import { IpcBus } from './ipc-bus.js';
import { LocalBus } from './local-bus.js';
import { RedisBus } from './redis-bus.js';

/** What a process is: the whole server alone, a cluster's primary, or one of its workers. */
export type ProcessRole = 'single' | 'primary' | 'worker';

export type BusKind = 'local' | 'ipc' | 'redis' | 'redis-cluster';

type BusConfig = Pick<Config, 'redisUrl' | 'redisClusterNodes'>;

/** Which bus `role` runs under `config` (for logs, and for createBus). */
export function chooseBus(config: Readonly<BusConfig>, role: ProcessRole): BusKind {
  if (config.redisClusterNodes.length > 0) return 'redis-cluster';
  if (config.redisUrl !== '') return 'redis';
  return role === 'single' ? 'local' : 'ipc';
}

export interface CreateBusOptions {
  /** A worker's: the epoch of the primary's history store (it opened the store before the fork). */
  historyEpoch?: string;
  /**
   * A worker's IpcBus lost the primary (its data socket closed or carried garbage): the
   * worker can do nothing right without it.
   */
  onDataPlaneLost?: (reason: string) => void;
}

/**
 * Builds and connects the bus chooseBus() names for a single process (with the history store
 * the configuration asks for) or a cluster worker
 * (the primary runs PrimaryBus, cluster/primary-bus.ts, not a Bus). A RedisBus is
 * connected, or has waited a while for Redis (redis-bus.ts connect()).
 */
export async function createBus(
  config: Readonly<Config>,
  role: Exclude<ProcessRole, 'primary'>,
  log: Logger,
  options: CreateBusOptions = {},
): Promise<Bus> {
  const kind = chooseBus(config, role);
  if (kind === 'local') return new LocalBus(config, openHistoryStore(config, log.child({ component: 'history' })));
  if (kind === 'ipc') {
    const bus = new IpcBus(
      new Socket({ fd: DATA_FD, readable: true, writable: true }),
      config.clusterFlushMs,
      options.historyEpoch ?? '',
    );
    bus.onBroken = options.onDataPlaneLost;
    return bus;
  }
  const bus = new RedisBus({
    url: config.redisUrl,
    clusterNodes: config.redisClusterNodes,
    historySize: config.historySize,
    presenceMaxMembers: config.presenceMaxMembers,
    roomOps: config.roomOps,
    log: log.child({ component: 'redis' }),
  });
  await bus.connect();
  return bus;
}
