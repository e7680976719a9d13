/**
 * The optional TCP listeners beside the main TCP and HTTP ports: `--irc-port` (IRC from the
 * first byte, e.g. 6667) and `--tls-port` (every TCP dialect over TLS, e.g. 6697). Both are
 * the same TCP transport (tcp.ts) with another option; this file only opens and closes them.
 */
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import type { ServerContext } from '../core/context.js';
import { createTcpServer } from './tcp.js';
import type { TlsCredentials } from './tls-credentials.js';

export interface ExtraListeners {
  /** The bound ports (0 in the config becomes the port the system chose); undefined when off. */
  readonly ircPort: number | undefined;
  readonly tlsPort: number | undefined;
  /** Every open listener with its port (the accept gate of a cluster worker pauses them too). */
  readonly listeners: readonly { server: Server; port: number }[];
  close(): void;
}

/** Opens the configured extra listeners; on a failure closes what it opened and throws. */
export async function listenExtra(ctx: ServerContext, tls: TlsCredentials | undefined): Promise<ExtraListeners> {
  const { config } = ctx;
  const listeners: { server: Server; port: number }[] = [];
  const open = async (port: number, server: Server): Promise<number> => {
    server.listen({ port, host: config.host, backlog: config.listenBacklog });
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
    const bound = (server.address() as AddressInfo).port;
    listeners.push({ server, port: bound });
    return bound;
  };
  const close = (): void => {
    for (const { server } of listeners) server.close();
  };
  try {
    const ircPort = config.ircPort === null ? undefined : await open(config.ircPort, createTcpServer(ctx, { irc: true }));
    const tlsPort =
      config.tlsPort === null || tls === undefined ? undefined : await open(config.tlsPort, createTcpServer(ctx, { tls }));
    return { ircPort, tlsPort, listeners, close };
  } catch (err) {
    close();
    throw err;
  }
}
