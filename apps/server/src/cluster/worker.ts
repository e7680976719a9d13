/**
 * A cluster worker: a full server (TCP, HTTP, WebSocket, moderation) whose bus is the
 * primary. It listens on the cluster's ports like a single process would; node:cluster
 * shares the primary's listening sockets with every worker (SCHED_NONE, primary.ts), so each
 * worker accepts its own connections.
 */
import type { Logger } from 'pino';
import { createBus } from '../bus/choose-bus.js';
import type { Config } from '../config.js';
import { startServer, type LoopchatServer } from '../server.js';
import { ControlChannel, type IpcChannel } from './control-channel.js';
import type { ToPrimary } from './ipc-protocol.js';

export async function startWorker(config: Readonly<Config>, log: Logger): Promise<LoopchatServer> {
  const slot = process.env['LOOPCHAT_WORKER_SLOT'] ?? '0';
  const ports = JSON.parse(process.env['LOOPCHAT_PORTS'] ?? '{}') as {
    tcpPort?: number;
    httpPort?: number;
    ircPort?: number;
    tlsPort?: number;
  };
  // The IPC channel to the primary carries the control plane (cluster-wide /stats, /metrics
  // and admin); the data socket carries the bus, unless Redis is the bus (choose-bus.ts).
  const control = new ControlChannel(process as unknown as IpcChannel);
  const bus = await createBus(config, 'worker', log, {
    // The primary's history epoch (durable store): the workers put it in welcome and history.
    historyEpoch: process.env['LOOPCHAT_HISTORY_EPOCH'] ?? '',
    onDataPlaneLost: (reason) => {
      // Without its bus a worker can do nothing right: leave, and let the primary (if it is
      // still there) start another.
      log.error({ reason }, 'cluster data plane lost; exiting');
      process.exit(1);
    },
  });
  const server = await startServer(
    {
      ...config,
      tcpPort: ports.tcpPort ?? config.tcpPort,
      httpPort: ports.httpPort ?? config.httpPort,
      ircPort: ports.ircPort ?? config.ircPort,
      tlsPort: ports.tlsPort ?? config.tlsPort,
      serverName: `${config.serverName}/w${slot}`,
    },
    log,
    { bus, control, quiet: true, shareListeners: true },
  );
  process.send?.({ t: 'listening', tcpPort: server.tcpPort, httpPort: server.httpPort } satisfies ToPrimary);
  return server;
}
