/**
 * One client connection over TCP (frames split on newlines) or WebSocket (one frame per
 * text message). Socket handlers are module-level functions that reach their Conn through a
 * symbol on the socket: no closures per connection. Frames go to the engine's `onFrame`;
 * outgoing frames of one scheduler tick are batched into one write per socket.
 */
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { Driver, Transport } from '../drivers/driver.js';
import { LineScanner } from './frame-scanner.js';
import { SeqTracker } from './accounting.js';

export interface ConnHost {
  /** A read arrived: the frames that follow share one timestamp (one clock read per read). */
  onChunk(): void;
  onFrame(conn: Conn, buf: Buffer, start: number, end: number): void;
  onOpen(conn: Conn): void;
  onClose(conn: Conn, reason: string): void;
}

export class Conn {
  readonly index: number;
  readonly room: number;
  readonly transport: Transport;
  readonly sender: boolean;
  readonly tracker: SeqTracker;
  readonly host: ConnHost;
  readonly driver: Driver;
  socket: Socket | null = null;
  ws: WebSocket | null = null;
  scanner: LineScanner | null = null;
  /** Handshake stages still to send (stage 0 goes out on connect). */
  stages: string[][] = [];
  ready = false;
  closed = false;
  startedUs = 0;
  /** Frames queued during a scheduler tick. */
  readonly out: string[] = [];
  prefix = '';
  suffix = '';

  constructor(host: ConnHost, driver: Driver, index: number, room: number, transport: Transport, sender: boolean) {
    this.host = host;
    this.driver = driver;
    this.index = index;
    this.room = room;
    this.transport = transport;
    this.sender = sender;
    this.tracker = new SeqTracker(room);
  }

  /** Sends now (handshake, pong): not on the hot path. */
  sendNow(frames: readonly string[]): void {
    if (this.closed || frames.length === 0) return;
    if (this.socket !== null) this.socket.write(`${frames.join('\n')}\n`);
    else if (this.ws !== null && this.ws.readyState === WebSocket.OPEN) for (const f of frames) this.ws.send(f);
  }

  /** Writes what the tick queued: one write for TCP; for WS one frame each, corked into one syscall. */
  flush(): void {
    const out = this.out;
    if (out.length === 0) return;
    if (!this.closed) {
      if (this.socket !== null) {
        this.socket.write(out.length === 1 ? `${out[0]}\n` : `${out.join('\n')}\n`);
      } else if (this.ws !== null && this.ws.readyState === WebSocket.OPEN) {
        const raw = (this.ws as unknown as { _socket?: Socket })._socket;
        raw?.cork();
        for (const f of out) this.ws.send(f);
        raw?.uncork();
      }
    }
    out.length = 0;
  }

  destroy(): void {
    this.closed = true;
    this.socket?.destroy();
    this.ws?.terminate();
  }
}

// ── TCP ──────────────────────────────────────────────────────────────────────────

const kConn = Symbol('loadgen.conn');
const kTarget = Symbol('loadgen.target');
type ConnSocket = Socket & {
  [kConn]?: Conn;
  [kTarget]?: { host: string; port: number; localAddress: string | undefined };
};
type ConnWebSocket = WebSocket & { [kConn]?: Conn };

export function openTcp(conn: Conn, host: string, port: number, localAddress: string | undefined, localPort?: number): void {
  const socket = connect({ host, port, localAddress, localPort, noDelay: true }) as ConnSocket;
  socket[kConn] = conn;
  conn.socket = socket;
  conn.scanner = new LineScanner();
  socket.on('connect', onTcpConnect);
  socket.on('data', onTcpData);
  socket.on('close', onTcpClose);
  if (localPort === undefined) {
    socket.on('error', onError);
  } else {
    socket[kTarget] = { host, port, localAddress };
    socket.on('error', onPinnedPortError);
  }
}

/** Rare (another program holds the port): retry once with the kernel's choice of port. */
function onPinnedPortError(this: ConnSocket, err: NodeJS.ErrnoException): void {
  const target = this[kTarget]!;
  if (this.connecting && (err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL')) {
    this.removeListener('close', onTcpClose);
    this.destroy();
    openTcp(this[kConn]!, target.host, target.port, target.localAddress);
  } else {
    onError.call(this, err);
  }
}

function onTcpConnect(this: ConnSocket): void {
  this[kConn]!.host.onOpen(this[kConn]!);
}

function onTcpData(this: ConnSocket, chunk: Buffer): void {
  const conn = this[kConn]!;
  conn.host.onChunk();
  conn.scanner!.push(chunk, conn, frameToHost);
}

function frameToHost(conn: Conn, buf: Buffer, start: number, end: number): void {
  conn.host.onFrame(conn, buf, start, end);
}

function onError(this: ConnSocket | ConnWebSocket, err: Error): void {
  const conn = this[kConn]!;
  conn.host.onClose(conn, `error: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
}

function onTcpClose(this: ConnSocket): void {
  const conn = this[kConn]!;
  conn.host.onClose(conn, 'tcp close');
}

// ── WebSocket ────────────────────────────────────────────────────────────────────

export function openWs(conn: Conn, url: string, localAddress: string | undefined, timeoutMs: number): void {
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    // The server's text is ours: checking UTF-8 would cost a pass over every byte.
    skipUTF8Validation: true,
    localAddress,
    handshakeTimeout: timeoutMs,
  }) as ConnWebSocket;
  ws[kConn] = conn;
  conn.ws = ws;
  ws.on('open', onWsOpen);
  ws.on('message', onWsMessage);
  ws.on('error', onError);
  ws.on('close', onWsClose);
}

function onWsOpen(this: ConnWebSocket): void {
  this[kConn]!.host.onOpen(this[kConn]!);
}

function onWsMessage(this: ConnWebSocket, data: Buffer): void {
  const conn = this[kConn]!;
  conn.host.onChunk();
  conn.host.onFrame(conn, data, 0, data.length);
}

function onWsClose(this: ConnWebSocket, code: number, reason: Buffer): void {
  const conn = this[kConn]!;
  conn.host.onClose(conn, `ws close ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`);
}
