/**
 * Lean bench client connections (TCP JSON lines or WebSocket) and their receive path.
 *
 * The receive path never JSON.parses: frames are told apart by the byte after
 * `{"type":"` (every server under test writes `type` first), TCP lines are found by scanning
 * for 0x0a, and of a `msg` only the integer after its last `"id":` is read (the scheduled
 * send time, bench µs). Each chunk is timestamped once.
 */
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { nowUs } from '../lib/clock.js';
import { Histogram } from '../lib/histogram.js';
import type { ConnectCommand, CountersSnapshot, Target } from '../lib/messages.js';

const LF = 0x0a;
const ID_NEEDLE = Buffer.from('"id":');
const SAMPLES = 5;
const CONNECT_TIMEOUT_MS = 30_000;

/** Everything a worker's connections count, shared by all of them. */
export class Counters {
  msgs = 0;
  windowMsgs = 0;
  acks = 0;
  other = 0;
  errors = 0;
  errorSamples: string[] = [];
  closed = 0;
  closeSamples: string[] = [];
  readonly latency = new Histogram();
  winStart = Infinity;
  winEnd = -Infinity;
  idFrom = 0;

  snapshot(): CountersSnapshot {
    const { msgs, windowMsgs, acks, other, errors, errorSamples, closed, closeSamples } = this;
    return { msgs, windowMsgs, acks, other, errors, errorSamples, closed, closeSamples };
  }
}

export class ClientConn {
  readonly counters: Counters;
  readonly index: number;
  readonly startedUs: number;
  ready = false;
  socket: Socket | null = null;
  ws: WebSocket | null = null;
  /** Bytes of a TCP line split across reads. */
  carry: Buffer | null = null;
  onReady: ((conn: ClientConn) => void) | null = null;
  onFail: ((err: Error) => void) | null = null;
  readonly #hello: string[];

  constructor(counters: Counters, index: number, hello: string[]) {
    this.counters = counters;
    this.index = index;
    this.startedUs = nowUs();
    this.#hello = hello;
  }

  /** Sends JSON lines (no trailing newline in `lines`). */
  write(lines: string[]): void {
    if (this.socket !== null) this.socket.write(`${lines.join('\n')}\n`);
    else for (const line of lines) this.ws!.send(line);
  }

  sendHandshake(): void {
    if (this.#hello.length > 0) this.write(this.#hello);
    else this.#becomeReady();
  }

  #becomeReady(): void {
    if (this.ready) return;
    this.ready = true;
    const cb = this.onReady;
    this.onReady = this.onFail = null;
    cb?.(this);
  }

  fail(err: Error): void {
    const cb = this.onFail;
    this.onReady = this.onFail = null;
    cb?.(err);
  }

  onClosed(reason: string): void {
    if (this.ready) {
      this.counters.closed++;
      if (this.counters.closeSamples.length < SAMPLES) this.counters.closeSamples.push(reason);
    } else {
      this.fail(new Error(`closed before ready: ${reason}`));
    }
  }

  /** One frame: buf[s, e) without the newline. */
  onFrame(buf: Buffer, s: number, e: number, now: number): void {
    const c = this.counters;
    const kind = buf[s + 9];
    if (kind === 0x6d /* m */ && buf[s + 10] === 0x73 /* s */) {
      c.msgs++;
      const at = buf.lastIndexOf(ID_NEEDLE, e);
      if (at < s) return;
      let sched = 0;
      for (let i = at + 5; i < e; i++) {
        const d = buf[i]! - 0x30;
        if (d < 0 || d > 9) break;
        sched = sched * 10 + d;
      }
      if (now >= c.winStart && now < c.winEnd && sched >= c.idFrom) c.windowMsgs++;
      if (sched >= c.winStart && sched < c.winEnd) c.latency.record(now - sched);
    } else if (kind === 0x61 /* a */) {
      c.acks++;
      if (!this.ready) this.#becomeReady();
    } else if (kind === 0x65 /* e */) {
      c.errors++;
      if (c.errorSamples.length < SAMPLES) c.errorSamples.push(buf.toString('utf8', s, Math.min(e, s + 300)));
    } else {
      c.other++;
      // loopchat probes quiet JSON connections with a `ping` frame and closes them if they
      // stay silent; members of a long fan-out series must answer.
      if (kind === 0x70 /* p */ && buf[s + 10] === 0x69 /* i */) this.write(['{"type":"pong"}']);
    }
  }
}

// ── TCP ──────────────────────────────────────────────────────────────────────────

const kConn = Symbol('bench.conn');
type ConnSocket = Socket & { [kConn]?: ClientConn };
type ConnWebSocket = WebSocket & { [kConn]?: ClientConn };

function openTcp(conn: ClientConn, target: Target, localAddress: string): void {
  const socket = connect({ host: target.host, port: target.port, localAddress, noDelay: true }) as ConnSocket;
  socket[kConn] = conn;
  conn.socket = socket;
  socket.on('connect', onTcpConnect);
  socket.on('data', onTcpData);
  socket.on('error', onTcpError);
  socket.on('close', onTcpClose);
}

function onTcpConnect(this: ConnSocket): void {
  this[kConn]!.sendHandshake();
}

function onTcpData(this: ConnSocket, chunk: Buffer): void {
  const conn = this[kConn]!;
  const now = nowUs();
  let start = 0;
  if (conn.carry !== null) {
    const nl = chunk.indexOf(LF);
    if (nl === -1) {
      conn.carry = Buffer.concat([conn.carry, chunk]);
      return;
    }
    const line = Buffer.concat([conn.carry, chunk.subarray(0, nl)]);
    conn.carry = null;
    conn.onFrame(line, 0, line.length, now);
    start = nl + 1;
  }
  for (;;) {
    const nl = chunk.indexOf(LF, start);
    if (nl === -1) break;
    conn.onFrame(chunk, start, nl, now);
    start = nl + 1;
  }
  if (start < chunk.length) conn.carry = Buffer.from(chunk.subarray(start));
}

function onTcpError(this: ConnSocket, err: NodeJS.ErrnoException): void {
  const conn = this[kConn]!;
  if (!conn.ready) conn.fail(err);
}

function onTcpClose(this: ConnSocket): void {
  this[kConn]!.onClosed('tcp close');
}

// ── WebSocket ────────────────────────────────────────────────────────────────────

function openWs(conn: ClientConn, target: Target, localAddress: string): void {
  const ws = new WebSocket(`ws://${target.host}:${target.port}${target.path}`, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    localAddress,
    handshakeTimeout: CONNECT_TIMEOUT_MS,
  }) as ConnWebSocket;
  ws[kConn] = conn;
  conn.ws = ws;
  ws.on('open', onWsOpen);
  ws.on('message', onWsMessage);
  ws.on('error', onWsError);
  ws.on('close', onWsClose);
}

function onWsOpen(this: ConnWebSocket): void {
  this[kConn]!.sendHandshake();
}

function onWsMessage(this: ConnWebSocket, data: Buffer): void {
  this[kConn]!.onFrame(data, 0, data.length, nowUs());
}

function onWsError(this: ConnWebSocket, err: Error): void {
  const conn = this[kConn]!;
  if (!conn.ready) conn.fail(err);
}

function onWsClose(this: ConnWebSocket, code: number, reason: Buffer): void {
  this[kConn]!.onClosed(`ws close ${code} ${reason.toString()}`);
}

// ── opening many ─────────────────────────────────────────────────────────────────

function handshakeLines(cmd: ConnectCommand, i: number): string[] {
  if (cmd.target.handshake === 'none') return [];
  const room = cmd.rooms === 1 ? cmd.room : `${cmd.room}${i % cmd.rooms}`;
  return [JSON.stringify({ type: 'hello', nick: `${cmd.nickPrefix}${i}` }), JSON.stringify({ type: 'join', room, id: 1 })];
}

/** Opens connection `i` and resolves when it is ready (join acked, or connected). */
export function openOne(cmd: ConnectCommand, counters: Counters, i: number): Promise<ClientConn> {
  return new Promise((resolve, reject) => {
    const conn = new ClientConn(counters, i, handshakeLines(cmd, i));
    const localAddress = cmd.localAddresses[i % cmd.localAddresses.length]!;
    const timer = setTimeout(() => conn.fail(new Error('timed out')), CONNECT_TIMEOUT_MS);
    conn.onReady = (c) => {
      clearTimeout(timer);
      resolve(c);
    };
    conn.onFail = (err) => {
      clearTimeout(timer);
      conn.socket?.destroy();
      conn.ws?.terminate();
      reject(err);
    };
    if (cmd.target.transport === 'tcp') openTcp(conn, cmd.target, localAddress);
    else openWs(conn, cmd.target, localAddress);
  });
}

export interface OpenManyResult {
  conns: ClientConn[];
  failed: number;
  failureSamples: string[];
  connectUs: Histogram;
  firstStartUs: number;
  lastReadyUs: number;
}

/** Opens `cmd.count` connections, `cmd.concurrency` at a time. */
export async function openMany(cmd: ConnectCommand, counters: Counters): Promise<OpenManyResult> {
  const result: OpenManyResult = {
    conns: [],
    failed: 0,
    failureSamples: [],
    connectUs: new Histogram(),
    firstStartUs: nowUs(),
    lastReadyUs: 0,
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < cmd.count) {
      const i = next++;
      try {
        const conn = await openOne(cmd, counters, i);
        const now = nowUs();
        result.connectUs.record(now - conn.startedUs);
        result.lastReadyUs = Math.max(result.lastReadyUs, now);
        result.conns.push(conn);
      } catch (err) {
        result.failed++;
        if (result.failureSamples.length < SAMPLES) result.failureSamples.push(String((err as Error).message));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.concurrency, cmd.count) }, lane));
  return result;
}
