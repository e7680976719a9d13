/**
 * The session target's clients: a raw TCP socket and a WebSocket whose frames are built
 * here and written straight to its socket, so that both can be cut at any byte. Each
 * collects the server frames it receives and says when a frame matching a test arrives
 * or the connection closes.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

export abstract class FuzzClient {
  readonly frames: Frame[] = [];
  closed = false;
  #waiters: { test: (f: Frame | null) => boolean; resolve: () => void }[] = [];

  protected receive(frame: Frame | null): void {
    if (frame === null) this.closed = true;
    else this.frames.push(frame);
    for (const w of [...this.#waiters]) {
      if (!w.test(frame)) continue;
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  /** Resolves when a frame matching `test` has arrived, or the connection closed (false: timed out). */
  until(test: (f: Frame) => boolean, timeoutMs: number): Promise<boolean> {
    if (this.closed || this.frames.some(test)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push({ test: (f) => f === null || test(f), resolve: done });
    });
  }

  abstract get socket(): Socket;

  /** Writes `bytes` cut at `cuts`, yielding to the event loop after the chunks `pauses` marks. */
  async write(bytes: Buffer, cuts: number[], pauses: boolean[]): Promise<void> {
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    let from = 0;
    for (const [i, at] of [...points, bytes.length].entries()) {
      if (this.closed) return;
      if (at > from) this.socket.write(bytes.subarray(from, at));
      from = at;
      if (pauses[i % Math.max(1, pauses.length)] === true) await new Promise((r) => setImmediate(r));
    }
  }

  abstract close(): void;
}

export class TcpFuzzClient extends FuzzClient {
  readonly #socket: Socket;
  #buffer = '';

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.once('close', () => this.receive(null));
  }

  static async connect(port: number): Promise<TcpFuzzClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new TcpFuzzClient(socket);
  }

  get socket(): Socket {
    return this.#socket;
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) !== -1) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      // The session is in JSON mode: anything else it writes is itself a finding.
      let frame: Frame;
      try {
        frame = JSON.parse(line) as Frame;
      } catch {
        frame = { type: 'unparsed', line };
      }
      this.receive(frame);
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

export class WsFuzzClient extends FuzzClient {
  readonly ws: WebSocket;
  closeCode: number | undefined;

  private constructor(ws: WebSocket) {
    super();
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.receive(isBinary ? { type: 'binary' } : (JSON.parse(data.toString('utf8')) as Frame));
    });
    ws.on('error', () => {});
    ws.once('close', (code: number) => {
      this.closeCode = code;
      this.receive(null);
    });
  }

  static async connect(httpPort: number): Promise<WsFuzzClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, { perMessageDeflate: false });
    await once(ws, 'open');
    return new WsFuzzClient(ws);
  }

  /** The upgraded socket: ws keeps it private, and the fuzzer needs to cut frames anywhere. */
  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A masked client frame (RFC 6455 §5.2): text (opcode 1) or binary (2), FIN set. */
export function wsFrame(payload: Buffer, opcode: 1 | 2, mask: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const body = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, body]);
}
