/**
 * A raw TCP socket as the core's Connection port: bytes out as they are (the dialect frames
 * its own lines), bytes in to the session as they arrive.
 *
 * The socket's handlers are module-level (static) functions reaching the session through
 * one symbol-keyed property, not closures: a closure per connection per event costs about
 * a kilobyte each at 10k connections (DESIGN.md, performance notes). The connection keeps
 * no reference to its session: the socket's is enough.
 */
import type { Socket } from 'node:net';
import type { Connection, EndReason } from '../core/connection.js';
import type { ClientSession } from '../core/client-session.js';

const kSession = Symbol('loopchat.session');
type ConnectedSocket = Socket & { [kSession]?: ClientSession };

export class TcpConnection implements Connection {
  readonly remoteAddress: string;
  readonly #socket: ConnectedSocket;

  constructor(socket: Socket, remoteAddress: string) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
  }

  get transport(): 'tcp' {
    return 'tcp';
  }

  get renderer(): undefined {
    return undefined;
  }

  get token(): undefined {
    return undefined;
  }

  get writableLength(): number {
    return this.#socket.writableLength;
  }

  /** Starts handing the socket's input and close to `session`. */
  open(session: ClientSession): void {
    const socket = this.#socket;
    socket[kSession] = session;
    socket.on('data', TcpConnection.#onData);
    socket.on('error', TcpConnection.#onError);
    socket.on('close', TcpConnection.#onClose);
  }

  write(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** TCP has no ping of its own: the dialect probes (JSON `ping`), or keepalive covers it. */
  probe(): boolean {
    return false;
  }

  end(_reason: EndReason): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  static #onData(this: ConnectedSocket, chunk: Buffer): void {
    this[kSession]!.onBytes(chunk);
  }

  static #onError(this: ConnectedSocket, err: Error): void {
    // ECONNRESET and friends: 'close' follows and cleans up.
    const session = this[kSession]!;
    session.ctx.log.debug({ err: err.message, ip: session.ip }, 'tcp socket error');
  }

  static #onClose(this: ConnectedSocket): void {
    const session = this[kSession]!;
    this.removeListener('data', TcpConnection.#onData);
    this.removeListener('close', TcpConnection.#onClose);
    // Errors after close (a write racing the teardown) have nowhere to go.
    this.removeListener('error', TcpConnection.#onError);
    this.on('error', ignore);
    session.ctx.limiter.release(session.ip);
    session.onClosed();
  }
}

function ignore(): void {}
