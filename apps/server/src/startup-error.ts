/**
 * Turns an error that stopped the server from starting into one line a person can act on.
 *
 * The common case is a port someone else holds (EADDRINUSE: another loopchat still running,
 * or another program on 4000 or 8080). Node's own text ("listen EADDRINUSE: address already
 * in use 127.0.0.1:4000") names the port but not which of our two listeners it was, nor the
 * flag that moves it. The listener is found by the error's port: config.ts refuses equal TCP
 * and HTTP ports, so a port names one listener. This works for the single process (server.ts)
 * and the cluster primary (connection-distributor.ts) alike, without either knowing about it.
 */
import type { Config } from './config.js';

type StartupConfig = Pick<Config, 'host' | 'tcpPort' | 'httpPort'>;

/** How to move each listener. */
const LISTENERS = {
  tcp: { name: 'TCP', flag: '--tcp-port', env: 'TCP_PORT' },
  http: { name: 'HTTP/WebSocket', flag: '--http-port', env: 'HTTP_PORT' },
} as const;

/** One line, without a trailing newline and without a stack trace. */
export function describeStartupError(err: unknown, config: StartupConfig): string {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  const which =
    e.port === undefined ? undefined : e.port === config.tcpPort ? 'tcp' : e.port === config.httpPort ? 'http' : undefined;
  if (which !== undefined && (e.code === 'EADDRINUSE' || e.code === 'EACCES')) {
    const l = LISTENERS[which];
    const what =
      e.code === 'EADDRINUSE'
        ? `${l.name} port ${e.port} on ${e.address ?? config.host} is already in use (another loopchat, or another program)`
        : `${l.name} port ${e.port} on ${e.address ?? config.host} needs privileges this process does not have`;
    return `${what}; choose another with ${l.flag} N or ${l.env}=N (0 picks a free one)`;
  }
  if (e.code === 'EADDRNOTAVAIL') {
    return `address ${e.address ?? config.host} is not on this machine; choose another with --host or HOST`;
  }
  return `${e.code === undefined ? '' : `${e.code}: `}${e.message ?? String(err)}`;
}
