/**
 * Transport over raw TCP in JSON-lines mode (Node only: node:net). One frame per line;
 * the first frame the client sends puts the connection in JSON mode.
 */
import { connect, type Socket } from 'node:net';
import type { Connection, ConnectionHandlers, Transport } from '../transport.js';
import { LineSplitter } from './line-splitter.js';

const CLOSE_GRACE_MS = 2000;

export interface TcpTransportOptions {
  /** @default '127.0.0.1' */
  host?: string;
  port: number;
  /** Local address to connect from (a load test spreads connections over 127.0.0.x). */
  localAddress?: string;
  /**
   * Longest line (characters) accepted from the server; a longer one closes the connection (the server's
   * own limit bounds what it sends, so this only guards against a wrong peer). @default 1048576
   */
  maxLineLength?: number;
}

/** A transport to a loopchat TCP port. */
export function tcpTransport(options: TcpTransportOptions): Transport {
  const { host = '127.0.0.1', port, localAddress, maxLineLength = 1024 * 1024 } = options;
  return (handlers) => open(connect({ host, port, localAddress }), handlers, maxLineLength);
}

function open(socket: Socket, handlers: ConnectionHandlers, maxLineLength: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let opened = false;
    let lastError = '';
    const splitter = new LineSplitter(maxLineLength);
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      opened = true;
      resolve({
        send: (text) => void socket.write(`${text}\n`),
        close: () => {
          socket.end(); // flushes what was written; a peer that never closes its side is cut after a grace period
          setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
        },
      });
    });
    socket.on('data', (chunk: string) => {
      const lines = splitter.push(chunk);
      if (lines === undefined) return void socket.destroy(new Error('line from the server over maxLineLength'));
      // The server may greet a connection that has not spoken yet in text (`* ...` lines,
      // README "Greeting on TCP"): every JSON frame starts with `{`, so skip anything else.
      for (const line of lines) if (line.startsWith('{')) handlers.onFrame(line);
    });
    socket.on('error', (err) => {
      lastError = err.message;
    });
    socket.once('close', () => {
      socket.removeAllListeners('data');
      if (opened) handlers.onClose({ reason: lastError || 'closed' });
      else reject(new Error(lastError || 'connection closed before it opened'));
    });
  });
}
