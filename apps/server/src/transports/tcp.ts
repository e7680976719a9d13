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
import { ErrorCodes } from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';
import { ClientSession } from '../core/client-session.js';
import { bump } from '../core/stats.js';
import { ProxyHeaderParser } from './proxy-protocol.js';
import { TcpConnection } from './tcp-connection.js';
import { TrustedProxies } from './trusted-proxies.js';

/** A proxy sends the header as soon as it connects (spec §2); this is generous. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

const kPending = Symbol('loopchat.proxyHeader');
interface PendingHeader {
  readonly ctx: ServerContext;
  readonly parser: ProxyHeaderParser;
}
type PendingSocket = Socket & { [kPending]?: PendingHeader };

const kContext = Symbol('loopchat.context');
const kTrusted = Symbol('loopchat.trustedProxies');
type TcpServer = Server & { [kContext]: ServerContext; [kTrusted]: TrustedProxies };

export function createTcpServer(ctx: ServerContext): Server {
  const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }) as TcpServer;
  server[kContext] = ctx;
  server[kTrusted] = new TrustedProxies(ctx.config.trustedProxies);
  server.on('connection', onConnection);
  return server;
}

function onConnection(this: TcpServer, socket: PendingSocket): void {
  const ctx = this[kContext];
  if (this[kTrusted].has(socket.remoteAddress)) {
    socket[kPending] = { ctx, parser: new ProxyHeaderParser() };
    socket.on('data', onProxyData);
    socket.on('error', ignore);
    socket.setTimeout(PROXY_HEADER_TIMEOUT_MS, onProxyTimeout);
    return;
  }
  accept(ctx, socket, socket.remoteAddress ?? 'unknown');
}

/** Admits a connection from `ip` (the client's real address) or refuses it (undefined). */
function accept(ctx: ServerContext, socket: PendingSocket, ip: string): ClientSession | undefined {
  const refusal = ctx.shuttingDown ? 'shutdown' : ctx.limiter.acquire(ip);
  if (refusal !== null) {
    bump(ctx.stats.refused, refusal);
    socket.on('error', ignore);
    socket.end(`${JSON.stringify({ type: 'error', code: refusal, message: ErrorCodes[refusal] })}\n`);
    return undefined;
  }
  const connection = new TcpConnection(socket, ip);
  const session = new ClientSession(ctx, connection);
  connection.open(session);
  ctx.sessions.add(session);
  ctx.stats.connectionsOpened.tcp++;
  ctx.stats.connectionsOpen.tcp++;
  ctx.greeter.add(session);
  return session;
}

function onProxyData(this: PendingSocket, chunk: Buffer): void {
  const { ctx, parser } = this[kPending]!;
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
  const ip = result.header.source?.address ?? this.remoteAddress ?? 'unknown';
  const session = accept(ctx, this, ip);
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
