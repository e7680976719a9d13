/**
 * Transport over WebSocket: one JSON frame per text message. Works with the browser's
 * WebSocket and with the `ws` package in Node (whose WebSocket has the same API): the
 * constructor is a parameter, so this file imports nothing and runs in both.
 */
import type { Connection, ConnectionHandlers, Transport } from './transport.js';

/**
 * A handler type checked bivariantly, so both the DOM's WebSocket and `ws`'s (whose event
 * types are richer than the little this file reads) fit `WebSocketLike`.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the standard WebSocket API this transport uses. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketTransportOptions {
  /**
   * The WebSocket class: in Node 20, `import WebSocket from 'ws'`.
   * @default globalThis.WebSocket (browsers, Node 22+)
   */
  WebSocket?: WebSocketConstructor;
}

/** A transport to a loopchat WebSocket endpoint, e.g. `ws://127.0.0.1:8080/ws`. */
export function webSocketTransport(url: string, options: WebSocketTransportOptions = {}): Transport {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Ctor === undefined) throw new TypeError('no WebSocket class: pass options.WebSocket (the ws package in Node 20)');
  return (handlers) => open(new Ctor(url), handlers);
}

function open(socket: WebSocketLike, handlers: ConnectionHandlers): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let opened = false;
    socket.onopen = () => {
      opened = true;
      resolve({ send: (text) => socket.send(text), close: () => socket.close(1000) });
    };
    socket.onmessage = (event) => {
      // Binary messages are not part of the protocol; the server never sends them.
      if (typeof event.data === 'string') handlers.onFrame(event.data);
    };
    // The close event follows every error, so it alone ends the connection.
    socket.onerror = () => {};
    socket.onclose = (event) => {
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (opened) handlers.onClose({ code: event.code, reason: event.reason });
      else reject(new Error(`WebSocket closed before it opened (code ${event.code})`));
    };
  });
}
