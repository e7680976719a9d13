/**
 * A lean JSON-lines TCP client for the steady-load fault tests. Unlike helpers/clients.ts it
 * keeps no inbox: every frame goes to `onFrame` as it arrives (thousands per second, each
 * accounted once), and `request()` resolves with the frame that answers a given id.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { decodeServerFrame, encodeClientFrame } from '@loopchat/client';
import type { ClientFrame, ServerFrame } from '@loopchat/protocol';
import { readLines } from '../helpers/read-lines.js';

interface Pending {
  resolve: (frame: ServerFrame) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class LineClient {
  readonly socket: Socket;
  /** Resolves when the socket has closed (for any reason). */
  readonly closed: Promise<void>;
  onFrame: (frame: ServerFrame) => void = () => {};
  #pending = new Map<string, Pending>();

  private constructor(socket: Socket) {
    this.socket = socket;
    readLines(socket, (line) => this.#onLine(line));
    // Not events.once: it rejects on 'error', and a reset (a killed worker) emits one first.
    this.closed = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => {
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`connection closed before an answer to ${id}`));
      }
      this.#pending.clear();
    });
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<LineClient> {
    const socket = connect({ port, host });
    await once(socket, 'connect');
    return new LineClient(socket);
  }

  get open(): boolean {
    return !this.socket.destroyed;
  }

  send(frame: Record<string, unknown>): void {
    if (!this.socket.destroyed) this.socket.write(`${encodeClientFrame(frame as unknown as ClientFrame)}\n`);
  }

  /**
   * Sends `frame` with `id` and resolves with the frame answering it: ack, error or the
   * response (welcome, history…). A delivered `msg` carries its sender's id, so it never counts.
   */
  request(frame: Record<string, unknown>, id: string, timeoutMs = 5000): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new Error(`connection closed before ${id} was sent`));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer to ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.send({ ...frame, id });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #onLine(line: string): void {
    const frame = decodeServerFrame(line);
    if (frame === undefined) return; // not a frame (a text-mode greeting): nothing to account
    const id = (frame as { id?: unknown }).id;
    if (typeof id === 'string' && frame.type !== 'msg' && frame.type !== 'dm') {
      const waiter = this.#pending.get(id);
      if (waiter !== undefined) {
        this.#pending.delete(id);
        clearTimeout(waiter.timer);
        waiter.resolve(frame);
        return;
      }
    }
    this.onFrame(frame);
  }
}
