/**
 * A worker's end of the control plane (ipc-protocol.ts): asks the primary to gather a
 * cluster-wide view (every worker's /stats or /metrics, an admin command run everywhere)
 * and answers the primary's `collect` for its own share.
 */
import { isLoopchatMessage, type GatherKind, type ToPrimary, type ToWorker } from './ipc-protocol.js';

/** The IPC channel to the primary (`process` in a worker). */
export interface IpcChannel {
  send(message: ToPrimary): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  removeListener(event: 'message', listener: (message: unknown) => void): void;
  readonly connected: boolean;
}

export class ControlChannel {
  readonly #channel: IpcChannel;
  readonly #pending = new Map<number, (results: unknown[]) => void>();
  #nextRid = 1;
  /** Answers the primary's `collect` (this worker's stats, metrics or an admin command's result). */
  collector: ((what: GatherKind) => Promise<unknown>) | undefined;
  readonly #onMessage = (message: unknown): void => this.#receive(message);

  constructor(channel: IpcChannel) {
    this.#channel = channel;
    channel.on('message', this.#onMessage);
  }

  /** Every worker's answer (and the primary's own entry for stats and metrics). */
  gather(what: GatherKind): Promise<unknown[]> {
    if (!this.#channel.connected) return Promise.resolve([]);
    const rid = this.#nextRid++;
    return new Promise((resolve) => {
      this.#pending.set(rid, resolve);
      this.#channel.send({ t: 'gather', rid, what });
    });
  }

  close(): void {
    this.#channel.removeListener('message', this.#onMessage);
    for (const resolve of this.#pending.values()) resolve([]);
    this.#pending.clear();
  }

  #receive(message: unknown): void {
    if (!isLoopchatMessage(message)) return;
    const m = message as ToWorker;
    if (m.t === 'gathered') {
      const resolve = this.#pending.get(m.rid);
      this.#pending.delete(m.rid);
      resolve?.(m.results);
    } else if (m.t === 'collect') {
      const answer = (data: unknown): void => {
        if (this.#channel.connected) this.#channel.send({ t: 'collected', cid: m.cid, data });
      };
      // A collector that throws (process.memoryUsage() with no descriptor left) answers null
      // rather than taking the worker down.
      Promise.resolve()
        .then(() => this.collector?.(m.what) ?? null)
        .then(answer, () => answer(null));
    }
  }
}
