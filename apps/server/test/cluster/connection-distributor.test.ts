/**
 * The primary's least-connections placement with fake workers: real listening sockets and
 * real client connections, workers replaced by objects that record what they are sent.
 */
import type { Worker } from 'node:cluster';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionDistributor } from '../../src/cluster/connection-distributor.js';

interface FakeWorker {
  id: number;
  received: Socket[];
  failNext: boolean;
  isConnected(): boolean;
  send(message: unknown, socket: Socket, callback: (err: Error | null) => void): boolean;
}

function fakeWorker(id: number): FakeWorker {
  const worker: FakeWorker = {
    id,
    received: [],
    failNext: false,
    isConnected: () => true,
    send(_message, socket, callback) {
      if (worker.failNext) {
        worker.failNext = false;
        setImmediate(() => callback(new Error('channel closed')));
        return false;
      }
      worker.received.push(socket);
      setImmediate(() => callback(null));
      return true;
    },
  };
  return worker;
}

const asWorker = (w: FakeWorker) => w as unknown as Worker;
const sockets: Socket[] = [];
let distributor: ConnectionDistributor | undefined;

afterEach(() => {
  distributor?.close();
  for (const s of sockets.splice(0)) s.destroy();
});

async function dial(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const s = connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    sockets.push(s);
    await once(s, 'connect');
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe('ConnectionDistributor', () => {
  it('gives each connection to the worker with the fewest open', async () => {
    distributor = new ConnectionDistributor(pino({ level: 'silent' }));
    const port = await distributor.listen('tcp', '127.0.0.1', 0, 64);
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    distributor.addWorker(asWorker(a));
    distributor.addWorker(asWorker(b));
    await dial(port, 6);
    await until(() => a.received.length + b.received.length === 6);
    expect([a.received.length, b.received.length]).toEqual([3, 3]);
    // Two of a's close: the next two go to a.
    distributor.closed(1, 2);
    await dial(port, 2);
    await until(() => a.received.length === 5);
    expect(b.received.length).toBe(3);
    expect(distributor.openCounts()).toEqual(
      new Map([
        [1, 3],
        [2, 3],
      ]),
    );
  });

  it('keeps connections that arrive before any worker is ready, and hands them over when one is', async () => {
    distributor = new ConnectionDistributor(pino({ level: 'silent' }));
    const port = await distributor.listen('http', '127.0.0.1', 0, 64);
    await dial(port, 3);
    const a = fakeWorker(7);
    await new Promise((r) => setTimeout(r, 20));
    distributor.addWorker(asWorker(a));
    await until(() => a.received.length === 3);
  });

  it('moves a connection to another worker when handing it over fails', async () => {
    distributor = new ConnectionDistributor(pino({ level: 'silent' }));
    const port = await distributor.listen('tcp', '127.0.0.1', 0, 64);
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    a.failNext = true;
    distributor.addWorker(asWorker(a));
    distributor.addWorker(asWorker(b));
    await dial(port, 1);
    await until(() => b.received.length === 1);
    expect(a.received).toHaveLength(0);
    // The failed worker is out: everything goes to b from now on.
    await dial(port, 2);
    await until(() => b.received.length === 3);
  });

  it('refuses a port already in use with the listen error', async () => {
    distributor = new ConnectionDistributor(pino({ level: 'silent' }));
    const port = await distributor.listen('tcp', '127.0.0.1', 0, 64);
    const other = new ConnectionDistributor(pino({ level: 'silent' }));
    await expect(other.listen('tcp', '127.0.0.1', port, 64)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    other.close();
  });
});
