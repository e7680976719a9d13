/**
 * The test clients' one way to read a TCP socket: its bytes cut into lines by the
 * protocol's bounded LineDecoder, the one the server reads with (a UTF-8 character split
 * across reads stays whole; `\r\n` works).
 */
import type { Socket } from 'node:net';
import { LineDecoder } from '@loopchat/protocol';

/** Longest line a test reads from the server: far above its largest frame (a history page of 1,000 messages). */
const MAX_SERVER_LINE_BYTES = 64 * 1024 * 1024;

/** Calls `onLine` with each line `socket` receives; a line over the limit ends the socket (the server never sends one). */
export function readLines(socket: Socket, onLine: (line: string) => void): void {
  const decoder = new LineDecoder(MAX_SERVER_LINE_BYTES);
  const sink = {
    onLine,
    onLineTooLong: () => {
      decoder.close();
      socket.destroy(new Error('a line from the server over the test limit'));
    },
  };
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, sink));
  socket.on('error', () => {});
}
