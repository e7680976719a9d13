/**
 * A cluster worker: a full server (TCP, HTTP, WebSocket, moderation) whose bus is the
 * primary. It binds no port: the primary accepts on the cluster's ports and hands each
 * connection to the worker with the fewest (connection-distributor.ts); the worker reports
 * the ones that closed, so the primary's counts stay true.
 */
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { IpcBus, type IpcChannel } from '../bus/ipc-bus.js';
import type { Config } from '../config.js';
import { startServer, type LoopchatServer } from '../server.js';
import { isLoopchatMessage, type ToPrimary, type ToWorker } from './ipc-protocol.js';

export async function startWorker(config: Readonly<Config>, log: Logger): Promise<LoopchatServer> {
  const slot = process.env['LOOPCHAT_WORKER_SLOT'] ?? '0';
  const ports = JSON.parse(process.env['LOOPCHAT_PORTS'] ?? '{}') as { tcpPort?: number; httpPort?: number };
  // The IPC channel to the primary always carries cluster-wide /stats, /metrics and admin
  // gathering; it is also the bus unless Redis is (then each worker is a host of its own).
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
    { ...(bus === undefined ? {} : { bus }), cluster: ipc, quiet: true, handedConnections: true },
  );

  let closedSinceReport = 0;
  const reportClosed = (): void => {
    const count = closedSinceReport;
    closedSinceReport = 0;
    if (process.connected) process.send?.({ t: 'closed', count } satisfies ToPrimary);
  };
  const onHandedClose = (): void => {
    // One report per event-loop turn, however many closed in it.
    if (closedSinceReport++ === 0) setImmediate(reportClosed);
  };
  process.on('message', (message: unknown, handle: unknown) => {
    if (!isLoopchatMessage(message) || (message as ToWorker).t !== 'conn' || !(handle instanceof Socket)) return;
    handle.once('close', onHandedClose);
    server.accept((message as Extract<ToWorker, { t: 'conn' }>).kind, handle);
  });
  process.send?.({ t: 'listening', tcpPort: server.tcpPort, httpPort: server.httpPort } satisfies ToPrimary);
  return server;
}
