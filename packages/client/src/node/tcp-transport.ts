/**
 * Transport over raw TCP in JSON-lines mode (Node only: node:net). One frame per line;
 * the first frame the client sends puts the connection in JSON mode. Lines are cut by the
 * protocol's bounded LineDecoder, the one the server reads with (a split UTF-8 character
 * stays whole; `\r\n` works).
 */
import { connect, type Socket } from 'node:net';
import { LineDecoder, type LineSink } from '@loopchat/protocol';
import type { Connection, ConnectionHandlers, Transport } from '../transport.js';

const CLOSE_GRACE_MS = 2000;

export interface TcpTransportOptions {
  /** @default '127.0.0.1' */
  host?: string;
  port: number;
  /** Local address to connect from (a load test spreads connections over 127.0.0.x). */
  localAddress?: string;
  /**
   * Longest line (bytes) accepted from the server; a longer one closes the connection (the
   * server bounds what it sends, a history page by its outbound budget, 1 MiB by default,
   * so this only guards against a wrong peer). @default 4194304
   */
  maxLineBytes?: number;
}

/** A transport to a loopchat TCP port. */
export function tcpTransport(options: TcpTransportOptions): Transport {
  const { host = '127.0.0.1', port, localAddress, maxLineBytes = 4 * 1024 * 1024 } = options;
  return (handlers) => open(connect({ host, port, localAddress }), handlers, maxLineBytes);
}

function open(socket: Socket, handlers: ConnectionHandlers, maxLineBytes: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let opened = false;
    let lastError = '';
    const decoder = new LineDecoder(maxLineBytes);
    const sink: LineSink = {
      // The server may greet a connection that has not spoken yet in text (`* ...` lines,
      // README "Greeting on TCP"): every JSON frame starts with `{`, so skip anything else.
      onLine: (line) => {
        if (line.startsWith('{')) handlers.onFrame(line);
      },
      onLineTooLong: () => {
        decoder.close();
        socket.destroy(new Error('line from the server over maxLineBytes'));
      },
    };
    socket.setNoDelay(true);
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
    socket.on('data', (chunk: Buffer) => decoder.push(chunk, sink));
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
