/** The history store the configuration asks for (`--history`, `--data-dir`, retention flags). */
import type { Config } from '../config.js';
import type { HistoryStore } from './history-store.js';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';

export type StoreConfig = Pick<Config, 'history' | 'dataDir' | 'historySize' | 'historyMaxAgeSeconds' | 'historySync'>;

/** Opens the store; throws HistoryStoreError (one line naming the file) when it cannot. */
export function openHistoryStore(config: StoreConfig): HistoryStore {
  if (config.history === 'memory') return new MemoryStore(config.historySize);
  return new SqliteStore({
    dataDir: config.dataDir,
    historySize: config.historySize,
    maxAgeMs: config.historyMaxAgeSeconds * 1000,
    synchronous: config.historySync,
  });
}
