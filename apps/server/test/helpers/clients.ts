/**
 * Real-socket test clients: a TCP line client (JSON or text mode) and a WebSocket client,
 * both collecting what they receive and able to wait for a matching frame or line.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import type { ServerFrame } from '@loopchat/protocol';

type Predicate<T> = (item: T) => boolean;

class Inbox<T> {
  readonly items: T[] = [];
  #waiters: { predicate: Predicate<T>; from: number; resolve: (item: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  #cursor = 0;

  push(item: T): void {
    this.items.push(item);
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
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.items.slice(-10))}`));
      }, timeoutMs);
      this.#waiters.push({ predicate, from: this.#cursor, resolve, reject, timer });
    });
  }

  #settle(waiter: Inbox<T>['#waiters'][number], index: number): void {
    clearTimeout(waiter.timer);
    this.#waiters = this.#waiters.filter((w) => w !== waiter);
    this.#cursor = Math.max(this.#cursor, index + 1);
    waiter.resolve(this.items[index]!);
  }
}

function matches(frame: ServerFrame, shape: Partial<Record<string, unknown>>): boolean {
  const record = frame as unknown as Record<string, unknown>;
  return Object.entries(shape).every(([k, v]) => record[k] === v);
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
        if (line !== '') this.inbox.push(JSON.parse(line) as ServerFrame);
      }
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<TcpJsonClient> {
    const socket = connect(port, host);
    await once(socket, 'connect');
    return new TcpJsonClient(socket);
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

  waitFor(shape: Partial<Record<string, unknown>>, timeoutMs?: number): Promise<ServerFrame> {
    return this.inbox.waitFor((f) => matches(f, shape), timeoutMs, JSON.stringify(shape));
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
