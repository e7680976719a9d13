/**
 * Raw TCP transport (node:net): bytes in through the session's LineDecoder, bytes out
 * through the session's single write path. A thin adapter: no chat logic here.
 *
 * Handlers are module-level functions reaching the session through the socket (one
 * symbol-keyed property), not closures: a closure per connection per event costs
 * about a kilobyte each at 10k connections (DESIGN.md, performance notes).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCodes } from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';
import { Session } from '../core/session.js';
import { bump } from '../core/stats.js';

const kSession = Symbol('loopchat.session');
type SessionSocket = Socket & { [kSession]?: Session };

const kContext = Symbol('loopchat.context');
type TcpServer = Server & { [kContext]: ServerContext };

export function createTcpServer(ctx: ServerContext): Server {
  const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }) as TcpServer;
  server[kContext] = ctx;
  server.on('connection', onConnection);
  return server;
}

function onConnection(this: TcpServer, socket: SessionSocket): void {
  const ctx = this[kContext];
  const ip = socket.remoteAddress ?? 'unknown';
  const refusal = ctx.shuttingDown ? 'shutdown' : ctx.limiter.acquire(ip);
  if (refusal !== null) {
    bump(ctx.stats.refused, refusal);
    socket.on('error', ignore);
    socket.end(`${JSON.stringify({ type: 'error', code: refusal, message: ErrorCodes[refusal] })}\n`);
    return;
  }
  const session = new Session(ctx, socket, null, ip);
  socket[kSession] = session;
  ctx.sessions.add(session);
  ctx.stats.connectionsOpened.tcp++;
  ctx.stats.connectionsOpen.tcp++;
  socket.on('data', onData);
  socket.on('error', onError);
  socket.once('close', onClose);
}

function onData(this: SessionSocket, chunk: Buffer): void {
  const session = this[kSession]!;
  session.lastInboundAt = Date.now();
  session.decoder!.push(chunk, session);
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
