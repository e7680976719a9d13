/**
 * Real-socket test clients that speak the wire by hand, for tests about the wire itself:
 * frames the server must refuse (`send` takes any object), raw bytes (`writeRaw`, `socket`,
 * `ws`), every frame in order (`inbox`). A test that only acts as a user (hello, join, send,
 * history) takes `connectClient` (chat-client.ts): a real `@loopchat/client` ChatClient.
 *
 * Frames are written with the client's encoder and read with its decoder; TCP lines are cut
 * by the protocol's bounded LineDecoder (read-lines.ts).
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { request } from 'node:http';
import WebSocket from 'ws';
import { decodeServerFrame, encodeClientFrame } from '@loopchat/client';
import type { ClientFrame, ServerFrame } from '@loopchat/protocol';
import { Inbox, matches, type Shape } from './inbox.js';
import { readLines } from './read-lines.js';

let syncCounter = 0;

function socketClosed(socket: Socket): Promise<void> {
  if (socket.destroyed || socket.readyState === 'closed') return Promise.resolve();
  return once(socket, 'close').then(() => undefined);
}

/**
 * What is not a JSON object (the server answered in text mode) is kept as `{type: 'unparsed',
 * line}`, so a test can assert on it.
 */
function decodeOrKeep(text: string): ServerFrame {
  return decodeServerFrame(text) ?? ({ type: 'unparsed', line: text } as unknown as ServerFrame);
}

/** What the JSON clients share, whatever carries their frames. */
abstract class FrameClient {
  readonly inbox = new Inbox<ServerFrame>();

  /** Writes one frame's text. */
  protected abstract write(text: string): void;

  /** Sends `frame` through the client's encoder; any object, so a test can send frames the server must refuse. */
  send(frame: Record<string, unknown>): void {
    this.write(encodeClientFrame(frame as unknown as ClientFrame));
  }

  /** Every frame received so far matching `shape` (the cursor does not move). */
  all(shape: Shape): ServerFrame[] {
    return this.inbox.items.filter((f) => matches(f, shape));
  }

  /** A ping round trip: every frame the server sent before the pong has arrived (the cursor does not move). */
  async sync(timeoutMs?: number): Promise<void> {
    const id = `sync-${++syncCounter}`;
    this.send({ type: 'ping', id });
    await this.inbox.until((f) => matches(f, { type: 'pong', id }), timeoutMs, `pong ${id}`);
  }

  waitFor(shape: Shape, timeoutMs?: number): Promise<ServerFrame> {
    return this.inbox.waitFor((f) => matches(f, shape), timeoutMs, JSON.stringify(shape));
  }

  /** The first frame (after the cursor) matching any of `shapes`: race an answer against an error. */
  waitForAny(shapes: Shape[], timeoutMs?: number): Promise<ServerFrame> {
    return this.inbox.waitFor((f) => shapes.some((shape) => matches(f, shape)), timeoutMs, JSON.stringify(shapes));
  }

  /** hello (with a JWT when the server requires one) + wait for welcome. */
  async hello(nick: string, token?: string): Promise<void> {
    const id = `hello-${nick}`;
    this.send(token === undefined ? { type: 'hello', nick, id } : { type: 'hello', nick, token, id });
    await this.waitFor({ type: 'welcome' });
  }

  async join(room: string): Promise<void> {
    const id = `join-${room}-${Math.random()}`;
    this.send({ type: 'join', room, id });
    await this.waitFor({ type: 'ack', id });
  }
}

/** TCP client in JSON-lines mode. */
export class TcpJsonClient extends FrameClient {
  readonly socket: Socket;

  private constructor(socket: Socket) {
    super();
    this.socket = socket;
    readLines(socket, (line) => {
      if (line !== '') this.inbox.push(decodeOrKeep(line));
    });
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

  protected write(text: string): void {
    this.socket.write(`${text}\n`);
  }

  /** Bytes as they are: half a frame, invalid UTF-8, a line over the limit. */
  writeRaw(data: string | Buffer): void {
    this.socket.write(data);
  }

  closed(): Promise<void> {
    return socketClosed(this.socket);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** TCP client in human text mode (what nc does). */
export class TcpTextClient {
  readonly socket: Socket;
  readonly inbox = new Inbox<string>();

  private constructor(socket: Socket) {
    this.socket = socket;
    readLines(socket, (line) => this.inbox.push(line));
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
    return socketClosed(this.socket);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** WebSocket client speaking JSON frames. */
export class WsClient extends FrameClient {
  readonly ws: WebSocket;
  closeCode: number | undefined;

  private constructor(ws: WebSocket) {
    super();
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.inbox.push(decodeOrKeep(data.toString('utf8')));
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

  protected write(text: string): void {
    this.ws.send(text);
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
