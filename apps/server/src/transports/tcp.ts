/**
 * Raw TCP transport (node:net): bytes in through the session's LineDecoder, bytes out
 * through the session's single write path. A thin adapter: no chat logic here.
 *
 * Handlers are module-level functions reaching the session through the socket (one
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
import { Session } from '../core/session.js';
import { bump } from '../core/stats.js';
import { ProxyHeaderParser } from './proxy-protocol.js';
import { TrustedProxies } from './trusted-proxies.js';

/** A proxy sends the header as soon as it connects (spec §2); this is generous. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

const kSession = Symbol('loopchat.session');
const kPending = Symbol('loopchat.proxyHeader');
interface PendingHeader {
  readonly ctx: ServerContext;
  readonly parser: ProxyHeaderParser;
}
type SessionSocket = Socket & { [kSession]?: Session; [kPending]?: PendingHeader };

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

function onConnection(this: TcpServer, socket: SessionSocket): void {
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

/** Admits a connection from `ip` (the client's real address) or refuses it; false if refused. */
function accept(ctx: ServerContext, socket: SessionSocket, ip: string): boolean {
  const refusal = ctx.shuttingDown ? 'shutdown' : ctx.limiter.acquire(ip);
  if (refusal !== null) {
    bump(ctx.stats.refused, refusal);
    socket.on('error', ignore);
    socket.end(`${JSON.stringify({ type: 'error', code: refusal, message: ErrorCodes[refusal] })}\n`);
    return false;
  }
  const session = new Session(ctx, socket, null, ip);
  socket[kSession] = session;
  ctx.sessions.add(session);
  ctx.stats.connectionsOpened.tcp++;
  ctx.stats.connectionsOpen.tcp++;
  socket.on('data', onData);
  socket.on('error', onError);
  socket.once('close', onClose);
  ctx.greeter.add(session);
  return true;
}

function onProxyData(this: SessionSocket, chunk: Buffer): void {
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
  if (accept(ctx, this, ip) && result.rest.length > 0) onData.call(this, result.rest);
}

function onProxyTimeout(this: SessionSocket): void {
  const { ctx } = this[kPending]!;
  stopWaitingForHeader(this);
  bump(ctx.stats.refused, 'proxy_header');
  ctx.log.warn({ peer: this.remoteAddress }, 'trusted proxy sent no PROXY header in time; closing');
  this.destroy();
}

function stopWaitingForHeader(socket: SessionSocket): void {
  socket.removeListener('data', onProxyData);
  socket.removeListener('error', ignore);
  socket.setTimeout(0);
  socket.removeListener('timeout', onProxyTimeout);
  socket[kPending] = undefined;
}

function onData(this: SessionSocket, chunk: Buffer): void {
  const session = this[kSession]!;
  session.lastInboundAt = Date.now();
  if (session.ctx.readThrottle.shouldDefer()) session.waitWithChunk(chunk);
  else session.decoder!.push(chunk, session);
}

function onError(this: SessionSocket, err: Error): void {
  // ECONNRESET and friends: 'close' follows and cleans up.
  this[kSession]?.ctx.log.debug({ err: err.message, ip: this.remoteAddress }, 'tcp socket error');
}

function onClose(this: SessionSocket): void {
  const session = this[kSession]!;
  this.removeListener('data', onData);
  this.removeListener('error', onError);
  this.on('error', ignore);
  session.ctx.limiter.release(session.ip);
  session.onClosed();
}

function ignore(): void {}
