/**
 * @loopchat/client for browsers and Node: everything here is free of Node built-ins (Node's
 * TCP transport is in `@loopchat/client/node`), so a browser can load these files as ES
 * modules as they come out of `tsc`.
 */
export { ChatClient, type ModerationCommand } from './client.js';
export type { ClientEvents } from './client-events.js';
export { decodeServerFrame } from './decode.js';
export { encodeClientFrame } from './encode.js';
export type { ClientOptions } from './client-options.js';
export { ClientError, ClientErrorCodes, type ClientErrorCode } from './errors.js';
export { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { TYPING_INTERVAL_MS } from './typing-throttle.js';
export type { CloseInfo, Connection, ConnectionHandlers, Transport } from './transport.js';
export {
  webSocketTransport,
  type WebSocketConstructor,
  type WebSocketLike,
  type WebSocketTransportOptions,
} from './websocket-transport.js';
