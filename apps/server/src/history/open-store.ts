/** The history store the configuration asks for (`--history`, `--data-dir`, retention flags). */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { HistoryStore } from './history-store.js';
import { KeeperProcess } from './keeper-process.js';
import { MemoryStore } from './memory-store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

export type StoreConfig = Pick<Config, 'history' | 'dataDir' | 'historySize' | 'historyMaxAgeSeconds' | 'historySync'>;

/**
 * Opens the store; throws HistoryStoreError (one line naming the file) when it cannot. Its
 * problems in the background go to `log`. `keeper` (the cluster primary): a SQLite store's
 * folding, retention and backups run in a history keeper process (history-keeper.ts).
 */
export function openHistoryStore(
  config: StoreConfig,
  log: Pick<Logger, 'warn' | 'error'>,
  { keeper = false }: { keeper?: boolean } = {},
): HistoryStore {
  if (config.history === 'memory') return new MemoryStore(config.historySize);
  const options: SqliteStoreOptions = {
    dataDir: config.dataDir,
    historySize: config.historySize,
    maxAgeMs: config.historyMaxAgeSeconds * 1000,
    synchronous: config.historySync,
  };
  if (!keeper) return new SqliteStore(options, { kind: 'owner', warn: (message) => log.warn(message) });
  const store = new SqliteStore(options, { kind: 'sequencer' });
  store.attachKeeper(new KeeperProcess(options, store, log));
  return store;
}
