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

/** A worker tells the primary its connection count at most this often while it changes. */
const REPORT_EVERY_MS = 10;

export class ControlChannel {
  readonly #channel: IpcChannel;
  readonly #pending = new Map<number, (results: unknown[]) => void>();
  #nextRid = 1;
  /** What to report (connections, and whether the listeners are open), and whether a report is scheduled. */
  #connections = 0;
  #accepting = true;
  /** The last `hold` word taken in (its number, echoed in reports). */
  #word = 0;
  #reportTimer: NodeJS.Timeout | undefined;
  /** Answers the primary's `collect` (this worker's stats, metrics or an admin command's result). */
  collector: ((what: GatherKind) => Promise<unknown>) | undefined;
  /** The primary's word on accepting (cluster/accept-balance.ts). */
  onHold: ((hold: boolean) => void) | undefined;
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

  /**
   * This worker holds `count` connections: the primary hears it within REPORT_EVERY_MS (one
   * message however many changes came in between: a ramp of thousands a second costs a
   * hundred messages).
   */
  reportConnections(count: number): void {
    this.#connections = count;
    this.#scheduleReport();
  }

  /** This worker's listeners are open (true, confirmed: they listen) or closed. */
  reportAccepting(accepting: boolean): void {
    this.#accepting = accepting;
    this.#scheduleReport();
  }

  #scheduleReport(): void {
    if (this.#reportTimer !== undefined) return;
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      if (this.#channel.connected) {
        this.#channel.send({ t: 'connections', count: this.#connections, accepting: this.#accepting, word: this.#word });
      }
    }, REPORT_EVERY_MS);
    this.#reportTimer.unref();
  }

  close(): void {
    clearTimeout(this.#reportTimer);
    this.#reportTimer = undefined;
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
    } else if (m.t === 'hold') {
      this.#word = m.word;
      this.onHold?.(m.hold);
      this.#scheduleReport(); // confirms the word (a release confirms accepting once it listens)
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
