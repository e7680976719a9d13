/**
 * WebSocket transport: upgrades at /ws on fastify's HTTP server, by loopchat's own handshake
 * (ws-handshake.ts), and hands each connection to a Session through a WsConnection
 * (ws-connection.ts: it reads the client's frames itself, writes pre-built ones, and maps
 * close codes). permessage-deflate is never negotiated: compressing per member would undo
 * encode-once, and chat frames are small.
 *
 * Behind a trusted load balancer (`trustedProxies`) the client's address comes from
 * X-Forwarded-For (rightmost untrusted hop, trusted-proxies.ts); from anyone else the
 * header is ignored.
 */
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { ErrorCodes } from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';
import { ClientSession } from '../core/client-session.js';
import { ircChoice } from '../core/dialects/irc.js';
import { bump } from '../core/stats.js';
import { peerAddress } from './peer-address.js';
import { TrustedProxies } from './trusted-proxies.js';
import { WsConnection } from './ws-connection.js';
import { IRC_WS_PROTOCOL, negotiate } from './ws-handshake.js';

export const WS_PATH = '/ws';

export function attachWebSocket(http: HttpServer, ctx: ServerContext): void {
  const trusted = new TrustedProxies(ctx.config.trustedProxies);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Kept for the connection's life: errors (ECONNRESET…) are followed by 'close', which cleans up.
    socket.on('error', ignore);
    const url = new URL(req.url ?? '/', 'http://loopchat.invalid');
    if (url.pathname !== WS_PATH) return rejectUpgrade(socket, 404, 'Not Found', 'WebSocket endpoint is /ws');
    // Cross-site WebSocket hijacking: a page elsewhere must not use a visitor's browser to
    // talk to this server. Browsers always send Origin; other clients need not.
    if (!originAllowed(req.headers.origin, req.headers.host, ctx.config.allowedOrigins)) {
      bump(ctx.stats.refused, 'origin');
      return rejectUpgrade(socket, 403, 'Forbidden', 'origin not allowed');
    }
    const ip = trusted.clientAddress(peerAddress(req.socket) ?? 'unknown', req.headers['x-forwarded-for']);
    const refusal = ctx.shuttingDown ? 'shutdown' : ctx.limiter.acquire(ip);
    if (refusal !== null) {
      bump(ctx.stats.refused, refusal);
      return rejectUpgrade(socket, refusal === 'too_many_connections' ? 429 : 503, 'Unavailable', ErrorCodes[refusal]);
    }
    const handshake = negotiate(req);
    // Until the handshake completes the slot is released here; after it, by the session.
    if (!handshake.ok) {
      ctx.limiter.release(ip);
      return rejectUpgrade(socket, handshake.status, STATUS_CODES[handshake.status]!, handshake.message, handshake.headers);
    }
    if (!socket.readable || !socket.writable) {
      ctx.limiter.release(ip);
      return void socket.destroy();
    }
    socket.write(handshake.response);
    const irc = handshake.protocol === IRC_WS_PROTOCOL;
    openSession(ctx, socket as Socket, head, ip, url.searchParams.get('token') ?? undefined, irc);
  });
}

function openSession(
  ctx: ServerContext,
  socket: Socket,
  head: Buffer,
  ip: string,
  token: string | undefined,
  irc: boolean,
): void {
  // An HTTP server's timeout, if any, is for requests, not for a connection that stays.
  socket.setTimeout(0);
  socket.setNoDelay(true);
  // A web IRC client (gamja, Kiwi IRC…) asks for text.ircv3.net: IRC, one line per message.
  const connection = new WsConnection(socket, ip, token, ctx.config.maxLineBytes, irc);
  const session = new ClientSession(ctx, connection, irc ? ircChoice : undefined);
  connection.open(session, head);
  ctx.sessions.add(session);
  ctx.stats.connectionsOpened.ws++;
  ctx.stats.connectionsOpen.ws++;
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string, headers = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${headers}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** No Origin (not a browser), the server's own host, or a configured origin. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function ignore(): void {}
