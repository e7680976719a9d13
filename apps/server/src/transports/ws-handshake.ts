/**
 * The server's side of the WebSocket opening handshake (RFC 6455 §4.2.1, §4.2.2): reads an
 * upgrade request and answers it with the 101 response that opens the connection, or says
 * which error status refuses it. Pure: no socket, so every case is a unit test.
 *
 * No extension is ever negotiated: permessage-deflate would compress per member what is
 * encoded once for a whole room, and chat frames are small.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** https://ircv3.net/specs/extensions/websocket: IRC lines as text frames. */
export const IRC_WS_PROTOCOL = 'text.ircv3.net';

/** §1.3: appended to the client's key before hashing it into Sec-WebSocket-Accept. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** §4.1: the base64 of 16 random bytes. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** RFC 7230 §3.2.6 token: what a subprotocol name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export type Handshake =
  | { readonly ok: true; readonly protocol: string | undefined; readonly response: string }
  | { readonly ok: false; readonly status: 400 | 405 | 426; readonly message: string; readonly headers?: string };

export function negotiate(req: IncomingMessage): Handshake {
  const { headers } = req;
  if (req.method !== 'GET') return refuse(405, 'Invalid HTTP method');
  if (headers.upgrade?.toLowerCase() !== 'websocket') return refuse(400, 'Invalid Upgrade header');
  if (!hasToken(headers.connection, 'upgrade')) return refuse(400, 'Invalid Connection header');
  // §4.4: a version the server does not speak is answered with the one it does.
  if (headers['sec-websocket-version'] !== '13') {
    return { ok: false, status: 426, message: 'Unsupported WebSocket version', headers: 'Sec-WebSocket-Version: 13\r\n' };
  }
  const key = headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return refuse(400, 'Missing or invalid Sec-WebSocket-Key header');
  const offered = offeredSubprotocols(headers['sec-websocket-protocol']);
  if (offered === undefined) return refuse(400, 'Invalid Sec-WebSocket-Protocol header');
  const protocol = chooseSubprotocol(offered);
  const accept = createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
  return {
    ok: true,
    protocol,
    response:
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      (protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
      '\r\n',
  };
}

/** IRC when the client offers it; otherwise the first offered (JSON frames), as `ws` chose by default. */
function chooseSubprotocol(offered: readonly string[]): string | undefined {
  return offered.includes(IRC_WS_PROTOCOL) ? IRC_WS_PROTOCOL : offered[0];
}

/** The names in Sec-WebSocket-Protocol (Node joins repeated headers with ", "); undefined if malformed. */
function offeredSubprotocols(header: string | undefined): string[] | undefined {
  if (header === undefined) return [];
  const offered = header.split(',').map((name) => name.trim());
  if (!offered.every((name) => TOKEN.test(name))) return undefined;
  return new Set(offered).size === offered.length ? offered : undefined;
}

/** Whether a comma-separated header (Connection) lists `token`, in any case. */
function hasToken(header: string | undefined, token: string): boolean {
  return header !== undefined && header.split(',').some((part) => part.trim().toLowerCase() === token);
}

function refuse(status: 400 | 405, message: string): Handshake {
  return { ok: false, status, message };
}
