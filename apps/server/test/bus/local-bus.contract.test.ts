/** The bus contract (contract.ts) against LocalBus: one process, both peers the same bus. */
import { describe } from 'vitest';
import { LocalBus } from '../../src/bus/local-bus.js';
import { CONTRACT_LIMITS, RecordingSink, busContract, type Peer } from './contract.js';

describe('LocalBus honours the bus contract', () => {
  busContract({
    oneProcess: true,
    maxRooms: CONTRACT_LIMITS.maxRooms,
    rename: true,
    roomCommands: true,
    start() {
      const bus = new LocalBus(CONTRACT_LIMITS);
      const peer: Peer = { bus, sink: new RecordingSink() };
      bus.attach(peer.sink);
      return Promise.resolve({ peers: [peer, peer], close: () => bus.close() });
    },
  });
});
