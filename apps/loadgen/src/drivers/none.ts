/**
 * `--driver none`: no protocol at all. A connection is ready once the TCP connect or the
 * WebSocket open completes (connect latency is then connect → open), nothing is ever sent,
 * and whatever the server sends is ignored. It measures what merely holding connections
 * costs a server, e.g. the memory floor of a node:net server that only accepts
 * (apps/server/bench/peers/bare-net.ts).
 */
import { FRAME_OTHER, type Driver, type ParsedFrame } from './driver.js';

function ignoreFrame(_buf: Buffer, _start: number, _end: number, out: ParsedFrame): void {
  out.kind = FRAME_OTHER;
}

export const noneDriver: Driver = {
  name: 'none',
  transports: ['tcp', 'ws'],
  echoesToSender: false,
  // Nothing is sent, so there is nothing to wait for in the drain.
  acksMessages: false,
  holdsOnly: true,
  wsPath: '/',
  handshake: () => [],
  // Senders exist with --rate 0 but never send (config.ts refuses a none run that would).
  msgTemplate: () => ({ prefix: '', suffix: '' }),
  parse: ignoreFrame,
  pong: '',
};
