/**
 * A cluster worker: a full server (TCP, HTTP, WebSocket, moderation) whose bus is the
 * primary. It listens on the ports the primary chose (node:cluster shares the listening
 * sockets) and tells the primary when it is ready.
 */
import type { Logger } from 'pino';
import { IpcBus, type IpcChannel } from '../bus/ipc-bus.js';
import type { Config } from '../config.js';
import { startServer, type LoopchatServer } from '../server.js';
import type { ToPrimary } from './ipc-protocol.js';

export async function startWorker(config: Readonly<Config>, log: Logger): Promise<LoopchatServer> {
  const slot = process.env['LOOPCHAT_WORKER_SLOT'] ?? '0';
  const ports = JSON.parse(process.env['LOOPCHAT_PORTS'] ?? '{}') as { tcpPort?: number; httpPort?: number };
  // With Redis, each worker is a host of its own on the Redis bus; otherwise the primary is the bus.
  // The IPC channel to the primary always carries cluster-wide /stats and /metrics gathering;
  // it is also the bus unless Redis is (then each worker is a host of its own on Redis).
  const ipc = new IpcBus(process as unknown as IpcChannel);
  const bus = config.redisUrl === '' && config.redisClusterNodes.length === 0 ? ipc : undefined;
  const server = await startServer(
    {
      ...config,
      tcpPort: ports.tcpPort ?? config.tcpPort,
      httpPort: ports.httpPort ?? config.httpPort,
      serverName: `${config.serverName}/w${slot}`,
    },
    log,
    { ...(bus === undefined ? {} : { bus }), cluster: ipc, quiet: true },
  );
  process.send?.({ t: 'listening', tcpPort: server.tcpPort, httpPort: server.httpPort } satisfies ToPrimary);
  return server;
}
