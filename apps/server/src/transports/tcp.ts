/**
 * Raw TCP transport (node:net): accepts connections, admits them against the limits and
 * hands each to a Session through a TcpConnection (tcp-connection.ts). A thin adapter: no
 * chat logic here.
 *
 * Handlers are module-level functions reaching their state through the socket (one
 * symbol-keyed property), not closures: a closure per connection per event costs
 * about a kilobyte each at 10k connections (DESIGN.md, performance notes).
 *
 * Behind a load balancer (`trustedProxies`), a connection from a trusted proxy starts with
 * a PROXY protocol header naming the real client:
 *
 *   connection ─▶ peer trusted? ─ no ──────────────────────────────▶ accept(peer address)
 *                     └ yes ─▶ onProxyData: ProxyHeaderParser ─▶ accept(client address),
 *                                 │  (≤ 232 bytes, 5 s)            rest of chunk → onData
 *                                 └ no valid header ─▶ destroy
 *
 * The slot in the per-IP limit is taken only once the real address is known. From an
 * untrusted peer a PROXY line is just a text-mode line.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { ErrorCodes } from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';
import { ClientSession } from '../core/client-session.js';
import { ircChoice } from '../core/dialects/irc.js';
import { bump } from '../core/stats.js';
import { peerAddress } from './peer-address.js';
import { ProxyHeaderParser } from './proxy-protocol.js';
import { TcpConnection } from './tcp-connection.js';
import type { TlsCredentials } from './tls-credentials.js';
import { TrustedProxies } from './trusted-proxies.js';

/** A proxy sends the header as soon as it connects (spec §2); this is generous. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

const kPending = Symbol('loopchat.proxyHeader');
interface PendingHeader {
  readonly ctx: ServerContext;
  readonly parser: ProxyHeaderParser;
  readonly irc: boolean;
}
type PendingSocket = Socket & { [kPending]?: PendingHeader };

const kContext = Symbol('loopchat.context');
const kTrusted = Symbol('loopchat.trustedProxies');
const kIrc = Symbol('loopchat.ircOnly');
type TcpServer = Server & { [kContext]: ServerContext; [kTrusted]: TrustedProxies | undefined; [kIrc]: boolean };

export interface TcpListenerOptions {
  /** Every connection speaks IRC from its first byte (--irc-port): no dialect detection. */
  irc?: boolean;
  /**
   * Serve TLS with these credentials (--tls-port). A trusted proxy's PROXY header would come
   * before the TLS handshake, which this listener does not read: behind a load balancer,
   * terminate TLS there and use the plain port.
   */
  tls?: TlsCredentials;
}

const SOCKET_OPTIONS = { noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 } as const;

/** A client that does not finish its TLS handshake in this long is dropped (Node's default is 120 s). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export function createTcpServer(ctx: ServerContext, options: TcpListenerOptions = {}): Server {
  const { tls } = options;
  const server = (
    tls === undefined
      ? createServer(SOCKET_OPTIONS)
      : createTlsServer({ ...SOCKET_OPTIONS, ...tls.pair, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS })
  ) as TcpServer;
  server[kContext] = ctx;
  server[kTrusted] = tls === undefined ? new TrustedProxies(ctx.config.trustedProxies) : undefined;
  server[kIrc] = options.irc === true;
  if (tls === undefined) server.on('connection', onConnection);
  else {
    tls.track(server as unknown as TlsServer);
    server.on('secureConnection', onConnection);
    // A failed handshake (a plain-text client on the TLS port, a scanner): the socket is gone already.
    server.on('tlsClientError', onTlsClientError);
  }
  return server;
}

function onTlsClientError(this: TcpServer, err: Error): void {
  this[kContext].log.debug({ err: err.message }, 'TLS handshake failed');
}

function onConnection(this: TcpServer, socket: PendingSocket): void {
  const ctx = this[kContext];
  const peer = peerAddress(socket);
  if (this[kTrusted]?.has(peer)) {
    socket[kPending] = { ctx, parser: new ProxyHeaderParser(), irc: this[kIrc] };
    socket.on('data', onProxyData);
    socket.on('error', ignore);
    socket.setTimeout(PROXY_HEADER_TIMEOUT_MS, onProxyTimeout);
    return;
  }
  accept(ctx, socket, peer ?? 'unknown', this[kIrc]);
}

/** Admits a connection from `ip` (the client's real address) or refuses it (undefined). */
function accept(ctx: ServerContext, socket: PendingSocket, ip: string, irc: boolean): ClientSession | undefined {
  const refusal = ctx.shuttingDown ? 'shutdown' : ctx.limiter.acquire(ip);
  if (refusal !== null) {
    bump(ctx.stats.refused, refusal);
    socket.on('error', ignore);
    // RFC 2812 §3.7.4: what an IRC client reads last is ERROR.
    const message = ErrorCodes[refusal];
    socket.end(
      irc ? `ERROR :Closing link: ${message}\r\n` : `${JSON.stringify({ type: 'error', code: refusal, message })}\n`,
    );
    return undefined;
  }
  const connection = new TcpConnection(socket, ip);
  const session = new ClientSession(ctx, connection, irc ? ircChoice : undefined);
  connection.open(session);
  ctx.sessions.add(session);
  ctx.stats.connectionsOpened.tcp++;
  ctx.stats.connectionsOpen.tcp++;
  // The IRC port's connections have their dialect already: nothing to greet.
  if (!irc) ctx.greeter.add(session);
  return session;
}

function onProxyData(this: PendingSocket, chunk: Buffer): void {
  const { ctx, parser, irc } = this[kPending]!;
  const result = parser.push(chunk);
  if (result === undefined) return;
  stopWaitingForHeader(this);
  if (!result.ok) {
    bump(ctx.stats.refused, 'proxy_header');
    ctx.log.warn(
      { peer: this.remoteAddress, code: result.code, reason: result.message },
      'trusted proxy sent no valid PROXY header; closing',
    );
    this.destroy();
    return;
  }
  // LOCAL (the proxy's own health check) and unrelayed families: the proxy is the client.
  const ip = result.header.source?.address ?? peerAddress(this) ?? 'unknown';
  const session = accept(ctx, this, ip, irc);
  if (session !== undefined && result.rest.length > 0) session.onBytes(result.rest);
}

function onProxyTimeout(this: PendingSocket): void {
  const { ctx } = this[kPending]!;
  stopWaitingForHeader(this);
  bump(ctx.stats.refused, 'proxy_header');
  ctx.log.warn({ peer: this.remoteAddress }, 'trusted proxy sent no PROXY header in time; closing');
  this.destroy();
}

function stopWaitingForHeader(socket: PendingSocket): void {
  socket.removeListener('data', onProxyData);
  socket.removeListener('error', ignore);
  socket.setTimeout(0);
  socket.removeListener('timeout', onProxyTimeout);
  socket[kPending] = undefined;
}

function ignore(): void {}
