/** The bus contract (contract.ts) against LocalBus: one process, both peers the same bus. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { LocalBus } from '../../src/bus/local-bus.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { MemoryStore } from '../../src/history/memory-store.js';
import { SqliteStore } from '../../src/history/sqlite-store.js';
import { CONTRACT_LIMITS, RecordingSink, busContract, type BusContractTarget, type Peer } from './contract.js';

/** LocalBus on the store `open` gives; `cleanup` runs after the bus closed. */
function localTarget(open: () => { store: HistoryStore; cleanup?: () => void }): BusContractTarget {
  return {
    oneProcess: true,
    maxRooms: CONTRACT_LIMITS.maxRooms,
    rename: true,
    roomCommands: true,
    start() {
      const { store, cleanup } = open();
      const bus = new LocalBus(CONTRACT_LIMITS, store);
      const peer: Peer = { bus, sink: new RecordingSink() };
      bus.attach(peer.sink);
      return Promise.resolve({
        peers: [peer, peer],
        async close() {
          await bus.close();
          cleanup?.();
        },
      });
    },
  };
}

describe('LocalBus on the memory store honours the bus contract', () => {
  busContract(localTarget(() => ({ store: new MemoryStore(CONTRACT_LIMITS.historySize) })));
});

describe('LocalBus on the SQLite store honours the bus contract', () => {
  busContract(
    localTarget(() => {
      const dataDir = mkdtempSync(join(tmpdir(), 'loopchat-contract-'));
      const store = new SqliteStore({
        dataDir,
        historySize: CONTRACT_LIMITS.historySize,
        maxAgeMs: 0,
        synchronous: 'normal',
      });
      return { store, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
    }),
  );
});
