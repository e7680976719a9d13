/**
 * WebSocket transport: `ws` (no server of its own) handles the upgrade on fastify's HTTP
 * server at /ws; each upgraded connection is handed to a Session through a WsConnection
 * (ws-connection.ts: incoming messages, pre-built outgoing frames, close codes).
 * permessage-deflate is off: compressing per member would undo
 * encode-once, and chat frames are small.
 *
 * Behind a trusted load balancer (`trustedProxies`) the client's address comes from
 * X-Forwarded-For (rightmost untrusted hop, trusted-proxies.ts); from anyone else the
 * header is ignored.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { ErrorCodes } from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';
import { ClientSession } from '../core/client-session.js';
import { ircChoice } from '../core/dialects/irc.js';
import { bump } from '../core/stats.js';
import { peerAddress } from './peer-address.js';
import { TrustedProxies } from './trusted-proxies.js';
import { WS_SERVER_OPTIONS, WsConnection, type SessionWebSocket } from './ws-connection.js';

export const WS_PATH = '/ws';

export function attachWebSocket(http: HttpServer, ctx: ServerContext): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: ctx.config.maxLineBytes,
    handleProtocols: chooseSubprotocol,
    // Its events go straight to the session, with no listener table (ws-connection.ts).
    ...WS_SERVER_OPTIONS,
  });
  const trusted = new TrustedProxies(ctx.config.trustedProxies);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
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
    // Until the handshake completes the slot is released here; after it, by the session.
    const releaseIfHandshakeFails = (): void => ctx.limiter.release(ip);
    socket.once('close', releaseIfHandshakeFails);
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.removeListener('close', releaseIfHandshakeFails);
      // ws handles the socket's errors from here; one listener less per connection.
      socket.removeListener('error', ignore);
      openSession(ctx, ws as SessionWebSocket, socket as Socket, ip, url.searchParams.get('token') ?? undefined);
    });
  });
  return wss;
}

function openSession(ctx: ServerContext, ws: SessionWebSocket, socket: Socket, ip: string, token: string | undefined): void {
  socket.setNoDelay(true);
  // A web IRC client (gamja, Kiwi IRC…) asks for text.ircv3.net: IRC, one line per message.
  const irc = ws.protocol === IRC_WS_PROTOCOL;
  const connection = new WsConnection(ws, socket, ip, token, irc);
  const session = new ClientSession(ctx, connection, irc ? ircChoice : undefined);
  connection.open(session);
  ctx.sessions.add(session);
  ctx.stats.connectionsOpened.ws++;
  ctx.stats.connectionsOpen.ws++;
}

/** https://ircv3.net/specs/extensions/websocket: IRC lines as text frames. */
export const IRC_WS_PROTOCOL = 'text.ircv3.net';

/** IRC when the client offers it; otherwise the first offered, as `ws` does by default (JSON frames). */
function chooseSubprotocol(protocols: Set<string>): string | false {
  if (protocols.has(IRC_WS_PROTOCOL)) return IRC_WS_PROTOCOL;
  return protocols.values().next().value ?? false;
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
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
