/**
 * The port between the client and a network: a transport opens one connection that carries
 * protocol frames as text (one JSON frame per WebSocket message or per TCP line). The client
 * knows nothing else about sockets, so the same client runs over WebSocket in a browser or
 * in Node and over TCP JSON lines in Node.
 */

/** What a connection reports back to the client. */
export interface ConnectionHandlers {
  /** One frame's text, as received (not yet parsed). */
  onFrame(text: string): void;
  /** The connection is gone (closed by either side or failed); called once. */
  onClose(info: CloseInfo): void;
}

export interface CloseInfo {
  /** WebSocket close code, when there was one. */
  code?: number;
  /** Close reason or socket error message, for logs. */
  reason: string;
}

/** One open connection. */
export interface Connection {
  /** Sends one frame's text. */
  send(text: string): void;
  /** Closes the connection; `onClose` follows. */
  close(): void;
}

/**
 * Opens a connection: resolves once it can carry frames, rejects if it cannot be opened
 * (then `onClose` is not called). The client calls it again for every reconnect.
 */
export type Transport = (handlers: ConnectionHandlers) => Promise<Connection>;
