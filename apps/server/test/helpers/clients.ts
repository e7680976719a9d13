/**
 * Real-socket test clients: a TCP line client (JSON or text mode) and a WebSocket client,
 * both collecting what they receive and able to wait for a matching frame or line.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { request } from 'node:http';
import WebSocket from 'ws';
import type { ServerFrame } from '@loopchat/protocol';

type Predicate<T> = (item: T) => boolean;

let syncCounter = 0;

interface Waiter<T> {
  predicate: Predicate<T>;
  from: number;
  resolve: (item: T) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Inbox<T> {
  readonly items: T[] = [];
  #waiters: Waiter<T>[] = [];
  /** Waiters from `until`: they look at every item and never move the cursor. */
  #peekers: { predicate: Predicate<T>; resolve: (item: T) => void; timer: NodeJS.Timeout }[] = [];
  #cursor = 0;

  push(item: T): void {
    this.items.push(item);
    if (this.#peekers.length > 0) this.#notifyPeekers(item);
    for (const waiter of [...this.#waiters]) {
      const index = this.items.findIndex((it, i) => i >= waiter.from && waiter.predicate(it));
      if (index !== -1) this.#settle(waiter, index);
    }
  }

  /** Resolves with the first item after the cursor matching `predicate` (and moves the cursor past it). */
  waitFor(predicate: Predicate<T>, timeoutMs = 5000, what = 'item'): Promise<T> {
    const index = this.items.findIndex((it, i) => i >= this.#cursor && predicate(it));
    if (index !== -1) {
      this.#cursor = index + 1;
      return Promise.resolve(this.items[index]!);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.items.slice(-10))}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push({ predicate, from: this.#cursor, resolve, reject, timer });
    });
  }

  /**
   * Resolves with the first item received so far or later (anywhere in the inbox) matching
   * `predicate`, without moving the cursor: for sync points that must not hide earlier frames.
   */
  until(predicate: Predicate<T>, timeoutMs = 5000, what = 'item'): Promise<T> {
    const found = this.items.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#peekers = this.#peekers.filter((p) => p.timer !== timer);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.items.slice(-10))}`,
          ),
        );
      }, timeoutMs);
      this.#peekers.push({ predicate, resolve, timer });
    });
  }

  #notifyPeekers(item: T): void {
    for (const peeker of [...this.#peekers]) {
      if (!peeker.predicate(item)) continue;
      clearTimeout(peeker.timer);
      this.#peekers = this.#peekers.filter((p) => p !== peeker);
      peeker.resolve(item);
    }
  }

  #settle(waiter: Waiter<T>, index: number): void {
    clearTimeout(waiter.timer);
    this.#waiters = this.#waiters.filter((w) => w !== waiter);
    this.#cursor = Math.max(this.#cursor, index + 1);
    waiter.resolve(this.items[index]!);
  }
}

export function matches(frame: ServerFrame, shape: Partial<Record<string, unknown>>): boolean {
  const record = frame as unknown as Record<string, unknown>;
  return Object.entries(shape).every(([k, v]) => record[k] === v);
}

/**
 * A line that is not JSON (the server answered in text mode) is kept as `{type: 'unparsed', line}`
 * instead of throwing in the socket's data handler, so a test can assert on it.
 */
function parseLine(line: string): ServerFrame {
  try {
    return JSON.parse(line) as ServerFrame;
  } catch {
    return { type: 'unparsed', line } as unknown as ServerFrame;
  }
}

/** TCP client in JSON-lines mode. */
export class TcpJsonClient {
  readonly socket: Socket;
  readonly inbox = new Inbox<ServerFrame>();
  #buffer = '';

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line !== '') this.inbox.push(parseLine(line));
      }
    });
    socket.on('error', () => {});
  }

  static async connect(
    port: number,
    host = '127.0.0.1',
    options: { allowHalfOpen?: boolean; localAddress?: string } = {},
  ): Promise<TcpJsonClient> {
    const socket = connect({ port, host, ...options });
    await once(socket, 'connect');
    return new TcpJsonClient(socket);
  }

  /** Every frame received so far matching `shape` (the cursor does not move). */
  all(shape: Partial<Record<string, unknown>>): ServerFrame[] {
    return this.inbox.items.filter((f) => matches(f, shape));
  }

  /** A ping round trip: every frame the server sent before the pong has arrived (the cursor does not move). */
  async sync(timeoutMs?: number): Promise<void> {
    const id = `sync-${++syncCounter}`;
    this.send({ type: 'ping', id });
    await this.inbox.until((f) => matches(f, { type: 'pong', id }), timeoutMs, `pong ${id}`);
  }

  send(frame: Record<string, unknown>): void {
    this.socket.write(`${JSON.stringify(frame)}\n`);
  }

  writeRaw(data: string | Buffer): void {
    this.socket.write(data);
  }

  waitFor(shape: Partial<Record<string, unknown>>, timeoutMs?: number): Promise<ServerFrame> {
    return this.inbox.waitFor((f) => matches(f, shape), timeoutMs, JSON.stringify(shape));
  }

  /** The first frame (after the cursor) matching any of `shapes`: race an answer against an error. */
  waitForAny(shapes: Partial<Record<string, unknown>>[], timeoutMs?: number): Promise<ServerFrame> {
    return this.inbox.waitFor((f) => shapes.some((shape) => matches(f, shape)), timeoutMs, JSON.stringify(shapes));
  }

  /** hello + wait for welcome. */
  async hello(nick: string): Promise<void> {
    this.send({ type: 'hello', nick, id: `hello-${nick}` });
    await this.waitFor({ type: 'welcome' });
  }

  async join(room: string): Promise<void> {
    const id = `join-${room}-${Math.random()}`;
    this.send({ type: 'join', room, id });
    await this.waitFor({ type: 'ack', id });
  }

  closed(): Promise<void> {
    if (this.socket.destroyed || this.socket.readyState === 'closed') return Promise.resolve();
    return once(this.socket, 'close').then(() => undefined);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** TCP client in human text mode (what nc does). */
export class TcpTextClient {
  readonly socket: Socket;
  readonly inbox = new Inbox<string>();
  #buffer = '';

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        this.inbox.push(this.#buffer.slice(0, nl));
        this.#buffer = this.#buffer.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<TcpTextClient> {
    const socket = connect(port, host);
    await once(socket, 'connect');
    return new TcpTextClient(socket);
  }

  line(text: string): void {
    this.socket.write(`${text}\n`);
  }

  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string> {
    const test = typeof pattern === 'string' ? (l: string) => l.includes(pattern) : (l: string) => pattern.test(l);
    return this.inbox.waitFor(test, timeoutMs, String(pattern));
  }

  closed(): Promise<void> {
    if (this.socket.destroyed || this.socket.readyState === 'closed') return Promise.resolve();
    return once(this.socket, 'close').then(() => undefined);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** WebSocket client speaking JSON frames. */
export class WsClient {
  readonly ws: WebSocket;
  readonly inbox = new Inbox<ServerFrame>();
  closeCode: number | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.inbox.push(JSON.parse(data.toString('utf8')) as ServerFrame);
    });
    ws.on('close', (code: number) => {
      this.closeCode = code;
    });
    ws.on('error', () => {});
  }

  static async connect(httpPort: number, options: WebSocket.ClientOptions = {}, path = '/ws'): Promise<WsClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}${path}`, options);
    const client = new WsClient(ws);
    await once(ws, 'open');
    return client;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Every frame received so far matching `shape` (the cursor does not move). */
  all(shape: Partial<Record<string, unknown>>): ServerFrame[] {
    return this.inbox.items.filter((f) => matches(f, shape));
  }

  /** A ping round trip: every frame the server sent before the pong has arrived (the cursor does not move). */
  async sync(timeoutMs?: number): Promise<void> {
    const id = `sync-${++syncCounter}`;
    this.send({ type: 'ping', id });
    await this.inbox.until((f) => matches(f, { type: 'pong', id }), timeoutMs, `pong ${id}`);
  }

  waitFor(shape: Partial<Record<string, unknown>>, timeoutMs?: number): Promise<ServerFrame> {
    return this.inbox.waitFor((f) => matches(f, shape), timeoutMs, JSON.stringify(shape));
  }

  /** The first frame (after the cursor) matching any of `shapes`: race an answer against an error. */
  waitForAny(shapes: Partial<Record<string, unknown>>[], timeoutMs?: number): Promise<ServerFrame> {
    return this.inbox.waitFor((f) => shapes.some((shape) => matches(f, shape)), timeoutMs, JSON.stringify(shapes));
  }

  async hello(nick: string): Promise<void> {
    this.send({ type: 'hello', nick, id: `hello-${nick}` });
    await this.waitFor({ type: 'welcome' });
  }

  async join(room: string): Promise<void> {
    const id = `join-${room}-${Math.random()}`;
    this.send({ type: 'join', room, id });
    await this.waitFor({ type: 'ack', id });
  }

  closed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 0);
    return once(this.ws, 'close').then(([code]) => code as number);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Polls `condition` until it holds (server-side state that no frame announces). */
export async function waitUntil(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET over a fresh, non-keep-alive connection (so no pooled socket outlives the test). */
export function httpGet(port: number, path: string): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Attempts a WebSocket handshake; resolves with the HTTP status (101 when it was accepted). */
export function wsUpgradeStatus(httpPort: number, path = '/ws'): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}${path}`);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

/** Resolves with the error code when a TCP connection to `port` fails (ECONNREFUSED), or 'connected'. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}
