/**
 * SessionWebSocket (transports/ws-connection.ts): ws's WebSocket with its events handed to
 * the session by emit, no listener table, and pings answered by itself as ws's autoPong would.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ClientSession } from '../../src/core/client-session.js';
import { SessionWebSocket, WS_SERVER_OPTIONS } from '../../src/transports/ws-connection.js';

/** A socket that takes every write and never reports one done (a peer that does not read). */
class StuckSocket extends Duplex {
  readonly written: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer): void {
    this.written.push(chunk);
  }
  /** ws corks a frame's header and payload into one write. */
  override _writev(chunks: { chunk: Buffer }[]): void {
    for (const { chunk } of chunks) this.written.push(chunk);
  }
}

/** A session that records what reaches it. */
function recordingSession(): { session: ClientSession; heard: string[] } {
  const heard: string[] = [];
  const session = {
    ip: '192.0.2.1',
    ctx: { limiter: { release: () => heard.push('released') }, stats: { disconnects: {} }, log: { debug: () => {} } },
    onMessage: (text: string | null) => heard.push(`message ${text}`),
    onAlive: () => heard.push('alive'),
    onClosed: () => heard.push('closed'),
  } as unknown as ClientSession;
  return { session, heard };
}

function openWebSocket(): { ws: SessionWebSocket; socket: StuckSocket } {
  const ws = new SessionWebSocket(null, undefined, WS_SERVER_OPTIONS);
  const socket = new StuckSocket();
  ws.setSocket(socket, Buffer.alloc(0), { maxPayload: 1024 });
  return { ws, socket };
}

describe('SessionWebSocket', () => {
  it('keeps no listener table', () => {
    const { ws } = openWebSocket();
    expect((ws as unknown as { _events: unknown })._events).toBeUndefined();
    expect(ws.listenerCount('message')).toBe(0);
  });

  it('hands text and binary messages, pongs and the close to its session', () => {
    const { ws } = openWebSocket();
    const { session, heard } = recordingSession();
    ws.session = session;
    ws.emit('message', Buffer.from('{"type":"ping"}'), false);
    ws.emit('message', Buffer.from([1, 2]), true);
    ws.emit('pong', Buffer.alloc(0));
    ws.emit('error', Object.assign(new Error('bad frame'), { code: 'WS_ERR_INVALID_OPCODE' }));
    ws.emit('close', 1002, Buffer.alloc(0));
    expect(heard).toEqual(['message {"type":"ping"}', 'message null', 'alive', 'released', 'closed']);
  });

  it('before it has a session, behaves as a plain EventEmitter (its open event goes nowhere)', () => {
    const { ws } = openWebSocket();
    expect(ws.emit('open')).toBe(false);
    let heard = 0;
    ws.on('close', () => heard++);
    ws.emit('close', 1000, Buffer.alloc(0));
    expect(heard).toBe(1);
  });

  it('answers a ping with a pong carrying its data (RFC 6455 §5.5.2)', () => {
    const { ws, socket } = openWebSocket();
    ws.emit('ping', Buffer.from('hi'));
    // FIN + opcode 0xA (pong), unmasked, length 2, then the ping's data.
    expect(Buffer.concat(socket.written)).toEqual(Buffer.from([0x8a, 0x02, 0x68, 0x69]));
  });

  it('drops a peer that keeps pinging while 60 of its pongs are unflushed, as ws autoPong does', () => {
    const { ws } = openWebSocket();
    for (let i = 0; i < 60; i++) ws.emit('ping', Buffer.alloc(0));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.emit('ping', Buffer.alloc(0));
    expect(ws.readyState).toBe(WebSocket.CLOSING);
  });

  it('answers no ping once closing', () => {
    const { ws, socket } = openWebSocket();
    ws.close(1000);
    const before = socket.written.length;
    ws.emit('ping', Buffer.from('late'));
    expect(socket.written.length).toBe(before);
  });
});
