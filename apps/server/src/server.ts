/**
 * Assembles one loopchat server: the chat core, the TCP listener, the HTTP + WebSocket
 * listener, housekeeping, and graceful shutdown. Everything runs on one event loop.
 */
import { once } from 'node:events';
import type { Server as TlsServer } from 'node:tls';
import type { AddressInfo, Server } from 'node:net';
import { createClientCodec } from '@loopchat/protocol';
import type { Logger } from 'pino';
import type { Bus } from './bus/bus.js';
import { createBus } from './bus/choose-bus.js';
import { LocalBus } from './bus/local-bus.js';
import type { Config } from './config.js';
import type { ServerContext } from './core/context.js';
import { createAuthenticator } from './core/auth.js';
import { FlushScheduler } from './core/flush-scheduler.js';
import { Greeter } from './core/greeter.js';
import { ReadThrottle } from './core/read-throttle.js';
import { startHousekeeping } from './core/housekeeping.js';
import { Hub } from './core/hub.js';
import { runAdminCommand } from './core/admin-commands.js';
import { Stats } from './core/stats.js';
import type { ControlChannel } from './cluster/control-channel.js';
import { createHttpApp } from './http/app.js';
import { monitorLoopDelay } from './http/loop-delay.js';
import { createMetrics } from './http/metrics.js';
import { collectStats } from './http/stats-report.js';
import { ircServerInfo } from './irc/irc-server-info.js';
import { createModerationFilter, loadTermsFile } from './moderation/index.js';
import { AcceptGate } from './transports/accept-gate.js';
import { ConnectionLimiter } from './transports/connection-limiter.js';
import { shareSocketOptionShapes } from './transports/socket-shapes.js';
import { createTcpServer } from './transports/tcp.js';
import { listenExtra, type ExtraListeners } from './transports/extra-listeners.js';
import { TlsCredentials } from './transports/tls-credentials.js';
import { WS_PATH, attachWebSocket } from './transports/ws.js';

export interface LoopchatServer {
  readonly ctx: ServerContext;
  readonly tcpPort: number;
  readonly httpPort: number;
  /** The IRC-only port (--irc-port), when on. */
  readonly ircPort: number | undefined;
  /** The TLS port (--tls-port), when on. */
  readonly tlsPort: number | undefined;
  /** Reads the certificate and key again for every TLS listener (SIGHUP); throws, changing nothing, if unusable. */
  reloadTls(): void;
  /** Graceful shutdown: stop accepting, tell every client, drain, close (resolves when done). */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where rooms are sequenced; default: what bus/choose-bus.ts builds for a single process. */
  bus?: Bus;
  /** Cluster workers: the control plane to the primary, for cluster-wide /stats, /metrics and admin. */
  control?: ControlChannel;
  /** Log the listening line at debug (cluster workers: the primary announces the cluster). */
  quiet?: boolean;
  /**
   * Cluster workers share their listening sockets: stop accepting when full so a sibling
   * takes the connection (accept-gate.ts), instead of answering `server_full`.
   */
  shareListeners?: boolean;
}

export async function startServer(
  config: Readonly<Config>,
  log: Logger,
  options: StartOptions = {},
): Promise<LoopchatServer> {
  // Read first: an unreadable certificate is a one-line startup error before anything listens.
  const tls = config.tlsCertFile === '' ? undefined : new TlsCredentials(config);
  monitorLoopDelay();
  const stats = new Stats();
  // Reads the MOTD file now: an unusable one stops the start, before the bus opens.
  ircServerInfo({ config, stats });
  const bus = options.bus ?? (await createBus(config, 'single', log));
  const ctx: ServerContext = {
    config,
    codec: createClientCodec({ maxTextLength: config.maxTextLength }),
    hub: new Hub(config, stats, bus),
    flusher: new FlushScheduler(config.writeDelayMs),
    readThrottle: new ReadThrottle(),
    greeter: new Greeter(config.greetAfterMs),
    stats,
    limiter: new ConnectionLimiter(config),
    auth: createAuthenticator(config),
    filter: createModerationFilter({
      level: config.filter,
      floodMax: config.filterFloodMax,
      floodWindowMs: config.filterFloodWindowMs,
      classifierUs: config.filterClassifierUs,
      ...(config.filterTerms === '' ? {} : { terms: loadTermsFile(config.filterTerms) }),
    }),
    log,
    sessions: new Set(),
    shuttingDown: false,
  };

  // A durable LocalBus answers in the check phase, after its commit: write then, not a loop later.
  // Not with a write delay: there the scheduler's timer decides when frames leave, together.
  if (bus instanceof LocalBus && config.writeDelayMs === 0) bus.afterCommit = () => ctx.flusher.flushTurn();
  // Before the first socket is accepted (TCP or HTTP): socket-shapes.ts.
  shareSocketOptionShapes();
  const tcp = createTcpServer(ctx);
  const metrics = createMetrics(ctx);
  const http = createHttpApp(ctx, metrics, options.control, tls);
  if (tls !== undefined) tls.track(http.server as unknown as TlsServer);
  if (options.control !== undefined) {
    options.control.collector = (what) =>
      typeof what === 'object'
        ? Promise.resolve(runAdminCommand(ctx, what))
        : what === 'stats'
          ? Promise.resolve(collectStats(ctx))
          : metrics.getMetricsAsJSON();
  }
  attachWebSocket(http.server, ctx);

  tcp.listen({ port: config.tcpPort, host: config.host, backlog: config.listenBacklog });
  await once(tcp, 'listening');
  try {
    await http.listen({ port: config.httpPort, host: config.host, backlog: config.listenBacklog });
  } catch (err) {
    tcp.close();
    throw err;
  }
  let extra: ExtraListeners;
  try {
    extra = await listenExtra(ctx, tls);
  } catch (err) {
    tcp.close();
    await http.close();
    throw err;
  }
  const tcpPort = (tcp.address() as AddressInfo).port;
  const httpPort = (http.server.address() as AddressInfo).port;
  const gate = options.shareListeners
    ? gateListeners(
        ctx,
        [{ server: tcp, port: tcpPort }, { server: http.server, port: httpPort }, ...extra.listeners],
        options.control,
      )
    : undefined;
  if (ctx.limiter.ceiling < config.maxConnections) {
    log[options.quiet ? 'debug' : 'info'](
      { maxConnections: ctx.limiter.ceiling },
      `the open-file limit caps this process at ${ctx.limiter.ceiling} connections (ulimit -n)`,
    );
  }
  const housekeeping = startHousekeeping(ctx);
  const { ircPort, tlsPort } = extra;
  const web = tls === undefined ? 'http+ws' : 'https+wss';
  log[options.quiet ? 'debug' : 'info'](
    {
      tcp: { host: config.host, port: tcpPort },
      http: { host: config.host, port: httpPort, ws: WS_PATH, tls: tls !== undefined },
      ...(ircPort === undefined ? {} : { irc: { host: config.host, port: ircPort } }),
      ...(tlsPort === undefined ? {} : { tls: { host: config.host, port: tlsPort } }),
    },
    `loopchat listening: tcp ${config.host}:${tcpPort}, ${web} ${config.host}:${httpPort}` +
      (ircPort === undefined ? '' : `, irc ${config.host}:${ircPort}`) +
      (tlsPort === undefined ? '' : `, tls ${config.host}:${tlsPort}`),
  );

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    ctx.shuttingDown = true;
    clearInterval(housekeeping);
    ctx.greeter.close();
    gate?.close();
    tcp.close();
    extra.close();
    http.server.close();
    for (const session of ctx.sessions) session.closeWithError('shutdown');
    ctx.flusher.flushNow();
    const deadline = Date.now() + config.shutdownTimeoutMs;
    while (ctx.sessions.size > 0 && Date.now() < deadline) await sleep(20);
    for (const session of ctx.sessions) session.destroy();
    await http.close();
    await bus.close();
    options.control?.close();
    log.info({ remaining: ctx.sessions.size }, 'loopchat stopped');
  }

  return {
    ctx,
    tcpPort,
    httpPort,
    ircPort,
    tlsPort,
    reloadTls: () => tls?.reload(),
    close: () => (closing ??= close()),
  };
}

/**
 * A cluster worker's listeners stop accepting when it is full, or when the primary holds it
 * back to keep the spread of connections even (cluster/accept-balance.ts): it reports its
 * count and takes the primary's word over the control plane.
 */
function gateListeners(
  ctx: ServerContext,
  listeners: { server: Server; port: number }[],
  control: ControlChannel | undefined,
): AcceptGate {
  const gate = new AcceptGate({
    listeners,
    host: ctx.config.host,
    backlog: ctx.config.listenBacklog,
    ceiling: ctx.limiter.ceiling,
    onListenError: (err) => ctx.log.warn({ err: err.message }, 'could not listen again after being full'),
    onAccepting: (accepting) => control?.reportAccepting(accepting),
  });
  ctx.limiter.onChange = (total) => {
    gate.update(total);
    control?.reportConnections(total);
  };
  if (control !== undefined) {
    control.onHold = (hold) => gate.hold(hold);
    control.reportConnections(0); // listening: the primary counts this worker in
  }
  return gate;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
