/**
 * A cluster worker: a full server (TCP, HTTP, WebSocket, moderation) whose bus is the
 * primary. It binds no port: the primary accepts on the cluster's ports and hands each
 * connection to the worker with the fewest (connection-distributor.ts); the worker reports
 * the ones that closed, so the primary's counts stay true.
 */
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { IpcBus } from '../bus/ipc-bus.js';
import type { Config } from '../config.js';
import { startServer, type LoopchatServer } from '../server.js';
import { ControlChannel, type IpcChannel } from './control-channel.js';
import { isLoopchatMessage, type ToPrimary, type ToWorker } from './ipc-protocol.js';
import { DATA_FD } from './primary.js';

export async function startWorker(config: Readonly<Config>, log: Logger): Promise<LoopchatServer> {
  const slot = process.env['LOOPCHAT_WORKER_SLOT'] ?? '0';
  const ports = JSON.parse(process.env['LOOPCHAT_PORTS'] ?? '{}') as { tcpPort?: number; httpPort?: number };
  // The IPC channel to the primary carries the control plane (cluster-wide /stats, /metrics
  // and admin); the data socket carries the bus, unless Redis is the bus (then each worker
  // is a host of its own).
  const control = new ControlChannel(process as unknown as IpcChannel);
  let bus: IpcBus | undefined;
  if (config.redisUrl === '' && config.redisClusterNodes.length === 0) {
    bus = new IpcBus(new Socket({ fd: DATA_FD, readable: true, writable: true }), config.clusterFlushMs);
    bus.onBroken = (reason) => {
      // Without its bus a worker can do nothing right: leave, and let the primary (if it is
      // still there) start another.
      log.error({ reason }, 'cluster data plane lost; exiting');
      process.exit(1);
    };
  }
  const server = await startServer(
    {
      ...config,
      tcpPort: ports.tcpPort ?? config.tcpPort,
      httpPort: ports.httpPort ?? config.httpPort,
      serverName: `${config.serverName}/w${slot}`,
    },
    log,
    { ...(bus === undefined ? {} : { bus }), control, quiet: true, handedConnections: true },
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
