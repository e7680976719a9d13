/**
 * The bus contract (contract.ts) against the cluster bus: a real PrimaryBus serving two
 * IpcBus "workers" over UNIX sockets in this process, as the primary serves forked workers
 * over their socketpairs; every request and event crosses as records (cluster/records.ts).
 */
import type { Socket } from 'node:net';
import pino from 'pino';
import { describe } from 'vitest';
import { IpcBus } from '../../src/bus/ipc-bus.js';
import { PrimaryBus } from '../../src/cluster/primary-bus.js';
import { unixSocketPair } from '../helpers/unix-socket-pair.js';
import { CONTRACT_LIMITS, RecordingSink, busContract, type BusWorld, type Peer } from './contract.js';

interface ClusterWorld extends BusWorld {
  readonly primary: PrimaryBus;
  readonly links: readonly [Socket, Socket];
}

async function startCluster(): Promise<ClusterWorld> {
  const primary = new PrimaryBus(CONTRACT_LIMITS, pino({ level: 'silent' }));
  const peers: Peer[] = [];
  const sockets: Socket[] = [];
  for (const owner of ['w0', 'w1']) {
    const [primarySide, workerSide] = await unixSocketPair();
    primarySide.on('error', () => {}); // a dropped worker leaves a broken pipe, as in primary.ts
    primary.addWorker(owner, primarySide);
    // The epoch travels to a forked worker in LOOPCHAT_HISTORY_EPOCH (primary.ts).
    const bus = new IpcBus(workerSide, 0, primary.state.store.epoch);
    const sink = new RecordingSink();
    bus.attach(sink);
    peers.push({ bus, sink });
    sockets.push(primarySide, workerSide);
  }
  return {
    primary,
    links: [sockets[1]!, sockets[3]!],
    peers: [peers[0]!, peers[1]!],
    async close() {
      await Promise.all(peers.map((p) => p.bus.close()));
      for (const s of sockets) s.destroy();
    },
  };
}

describe('the cluster bus (PrimaryBus + IpcBus workers) honours the bus contract', () => {
  busContract({
    maxRooms: CONTRACT_LIMITS.maxRooms,
    rename: true,
    roomCommands: true,
    start: startCluster,
    dropPeer(world, index) {
      // What the primary does when a worker dies: its data socket closes, and on exit the
      // primary drops everything the worker held (primary.ts #onExit).
      const { primary, links } = world as ClusterWorld;
      links[index].destroy();
      primary.removeWorker(`w${index}`);
      return Promise.resolve();
    },
  });
});
