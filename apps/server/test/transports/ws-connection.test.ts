/**
 * WsConnection (transports/ws-connection.ts): a WebSocket on an upgraded socket as the
 * core's Connection port. It hands messages, pongs and the close to its session, answers
 * pings as ws's autoPong did, and closes as RFC 6455 §7.1 and ws do.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/core/client-session.js';
import { WsConnection } from '../../src/transports/ws-connection.js';

/** A socket that takes every write and never reports one done (a peer that does not read). */
class StuckSocket extends Duplex {
  readonly written: Buffer[] = [];
  ended = false;
  override _read(): void {}
  override _write(chunk: Buffer): void {
    this.written.push(chunk);
  }
  override _final(): void {
    this.ended = true;
  }
}

/** A session that records what reaches it. */
function recordingSession(): { session: ClientSession; heard: string[]; disconnects: Record<string, number> } {
  const heard: string[] = [];
  const disconnects: Record<string, number> = {};
  const session = {
    ip: '192.0.2.1',
    ctx: { limiter: { release: () => heard.push('released') }, stats: { disconnects }, log: { debug: () => {} } },
    onMessage: (text: string | null) => heard.push(`message ${text}`),
    onAlive: () => heard.push('alive'),
    onClosed: () => heard.push('closed'),
  } as unknown as ClientSession;
  return { session, heard, disconnects };
}

/** A masked client frame (the key is all zeros: the payload reads as it is). */
function clientFrame(opcode: number, payload: Buffer | string = ''): Buffer {
  const data = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | data.length, 0, 0, 0, 0]), data]);
}

function openConnection(): { connection: WsConnection; socket: StuckSocket } & ReturnType<typeof recordingSession> {
  const socket = new StuckSocket();
  const connection = new WsConnection(socket as unknown as Socket, '192.0.2.1', undefined, 1024);
  const recording = recordingSession();
  connection.open(recording.session, Buffer.alloc(0));
  return { connection, socket, ...recording };
}

const written = (socket: StuckSocket): Buffer => Buffer.concat(socket.written);

describe('WsConnection', () => {
  it('hands text and binary messages, pongs and the close to its session', () => {
    const { socket, heard } = openConnection();
    socket.emit('data', clientFrame(0x1, '{"type":"ping"}'));
    socket.emit('data', clientFrame(0x2, Buffer.from([1, 2])));
    socket.emit('data', clientFrame(0xa));
    socket.emit('close');
    expect(heard).toEqual(['message {"type":"ping"}', 'message null', 'alive', 'released', 'closed']);
    expect(socket.listenerCount('data')).toBe(0);
  });

  it('answers a ping with a pong carrying its data (RFC 6455 §5.5.2)', () => {
    const { socket } = openConnection();
    socket.emit('data', clientFrame(0x9, 'hi'));
    // FIN + opcode 0xA (pong), unmasked, length 2, then the ping's data.
    expect(written(socket)).toEqual(Buffer.from([0x8a, 0x02, 0x68, 0x69]));
  });

  it('drops a peer that keeps pinging while 60 of its pongs are unflushed, as ws autoPong does', () => {
    const { socket } = openConnection();
    for (let i = 0; i < 60; i++) socket.emit('data', clientFrame(0x9));
    expect(socket.destroyed).toBe(false);
    socket.emit('data', clientFrame(0x9));
    expect(socket.destroyed).toBe(true);
  });

  it('probes with an empty ping', () => {
    const { connection, socket } = openConnection();
    expect(connection.probe()).toBe(true);
    expect(written(socket)).toEqual(Buffer.from([0x89, 0x00]));
  });

  it('ends with a close frame carrying the reason, and ends the socket when the peer closes too', () => {
    const { connection, socket } = openConnection();
    connection.end('idle_timeout');
    expect(written(socket)).toEqual(Buffer.concat([Buffer.from([0x88, 14, 0x03, 0xe9]), Buffer.from('idle_timeout')]));
    // Pings are answered only while open.
    socket.emit('data', clientFrame(0x9, 'late'));
    expect(socket.written).toHaveLength(1);
    expect(socket.writableEnded).toBe(false);
    socket.emit('data', clientFrame(0x8, Buffer.from([0x03, 0xe9])));
    expect(socket.writableEnded).toBe(true);
    expect(socket.written).toHaveLength(1);
  });

  it('answers a peer that closes with its own code, then ends the socket', () => {
    const { socket } = openConnection();
    socket.emit('data', clientFrame(0x8, Buffer.from([0x0f, 0xa0])));
    expect(written(socket)).toEqual(Buffer.from([0x88, 0x02, 0x0f, 0xa0]));
    expect(socket.writableEnded).toBe(true);
  });

  it('answers an empty close with an empty close', () => {
    const { socket } = openConnection();
    socket.emit('data', clientFrame(0x8));
    expect(written(socket)).toEqual(Buffer.from([0x88, 0x00]));
  });

  it('closes a peer that breaks the protocol with its code, counted as a disconnect by ws error code', () => {
    const { socket, disconnects, heard } = openConnection();
    socket.emit('data', Buffer.from([0x81, 0x02, 0x68, 0x69])); // unmasked
    expect(written(socket)).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xea]));
    expect(socket.writableEnded).toBe(true);
    expect(disconnects).toEqual({ WS_ERR_EXPECTED_MASK: 1 });
    expect(heard).toEqual([]);
  });

  it('closes a message over maxPayload with 1009', () => {
    const { socket, disconnects } = openConnection();
    socket.emit('data', Buffer.from([0x81, 0xfe, 0x04, 0x01])); // 1025 bytes announced
    expect(written(socket)).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xf1]));
    expect(disconnects).toEqual({ WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1 });
  });

  it('reads the bytes that came with the upgrade request first', async () => {
    const socket = new StuckSocket();
    const connection = new WsConnection(socket as unknown as Socket, '192.0.2.1', undefined, 1024);
    const { session, heard } = recordingSession();
    connection.open(session, clientFrame(0x1, 'early'));
    socket.push(clientFrame(0x1, 'later'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual(['message early', 'message later']);
  });
});
