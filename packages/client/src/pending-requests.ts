/**
 * Requests waiting for their answer, keyed by the correlation id the client generated.
 * Bounded twice: at most `maxPending` at once (the next is refused at once, so a client
 * that outpaces the server fails fast instead of growing a queue), and each one rejects
 * with `timeout` if no answer comes in `timeoutMs`.
 */
import type { Id, ServerFrame } from '@loopchat/protocol';
import { ClientError } from './errors.js';

/** Runs synchronously when the answer arrives, before the next frame is read. */
export type OnAnswer = (frame: ServerFrame) => void;

interface Pending {
  onAnswer: OnAnswer | undefined;
  resolve: (frame: ServerFrame) => void;
  reject: (error: ClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingRequests {
  readonly #pending = new Map<Id, Pending>();
  readonly #maxPending: number;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  #next = 1;

  constructor(maxPending: number, timeoutMs: number, prefix = 'c') {
    this.#maxPending = maxPending;
    this.#timeoutMs = timeoutMs;
    this.#prefix = prefix;
  }

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers a request: returns its id (to put in the frame) and the promise of its answer,
   * or throws `too_many_pending`. `onAnswer` sees a successful answer synchronously, so
   * state it updates (a room's seq) is current when the frames after the answer are read.
   */
  add(onAnswer?: OnAnswer, timeoutMs = this.#timeoutMs): { id: string; answer: Promise<ServerFrame> } {
    if (this.#pending.size >= this.#maxPending) throw new ClientError('too_many_pending');
    const id = `${this.#prefix}${this.#next++}`;
    const answer = new Promise<ServerFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ClientError('timeout'));
      }, timeoutMs);
      this.#pending.set(id, { onAnswer, resolve, reject, timer });
    });
    return { id, answer };
  }

  /** Settles the request `frame` answers; false if no request waits for its id. */
  settle(frame: ServerFrame & { id?: Id }): boolean {
    if (frame.id === undefined) return false;
    const pending = this.#pending.get(frame.id);
    if (pending === undefined) return false;
    this.#pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.type === 'error') pending.reject(ClientError.fromFrame(frame));
    else {
      pending.onAnswer?.(frame);
      pending.resolve(frame);
    }
    return true;
  }

  /** Fails one request that could not be sent. */
  fail(id: string, error: ClientError): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  /** Fails every waiting request (the connection closed: no answer can come any more). */
  failAll(error: ClientError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of all) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}
