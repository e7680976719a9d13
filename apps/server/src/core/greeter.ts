/**
 * First contact for people on `nc` or telnet: a raw TCP connection that has sent no line
 * after `greetAfterMs` gets TEXT_GREETING (how to start: /nick, /join, /help) instead of a
 * blank screen.
 *
 * Why it cannot confuse a JSON client: programs speak first (hello at once), so a JSON
 * client decides the connection's format long before the pause ends and is never greeted;
 * the greeting goes out only while the format is still undecided. A JSON client slow enough
 * to be greeted reads lines that all start with `* ` where every JSON frame starts with `{`,
 * and skips them (README, protocol notes); its session then runs in JSON mode as usual.
 *
 * One timer for all connections, as in housekeeping.ts: every connection waits the same
 * delay, so the queue in accept order is also the queue in due order, and one timer armed
 * for its head is enough.
 */

/** What the greeter needs of a connection (Session implements it). */
export interface Greetable {
  /** ms since the epoch, when the connection was accepted. */
  readonly connectedAt: number;
  /** Sends the greeting if the connection is still open and undecided; otherwise nothing. */
  greet(): void;
}

/** Below this many greeted entries, the queue's head index moves instead of splicing. */
const COMPACT_AT = 1024;

export class Greeter {
  readonly #delayMs: number;
  /** Accept order, which is due order; greeted entries are cleared to let closed sessions go. */
  #queue: (Greetable | undefined)[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** `delayMs` 0 turns greeting off: add() does nothing. */
  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  /** A new raw TCP connection. */
  add(conn: Greetable): void {
    if (this.#delayMs === 0 || this.#closed) return;
    this.#queue.push(conn);
    if (this.#timer === undefined) this.#arm(conn.connectedAt + this.#delayMs - Date.now());
  }

  /** Connections waiting for their greeting (closed ones included until their turn). */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }

  #arm(inMs: number): void {
    this.#timer = setTimeout(run, Math.max(0, inMs), this);
    // Greeting is a courtesy: it must never keep a process alive.
    this.#timer.unref();
  }

  /** Greets every connection that is due, then re-arms for the next one. */
  run(): void {
    this.#timer = undefined;
    const now = Date.now();
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const conn = queue[this.#head]!;
      const due = conn.connectedAt + this.#delayMs;
      if (due > now) {
        this.#arm(due - now);
        break;
      }
      queue[this.#head++] = undefined;
      conn.greet();
    }
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AT && this.#head * 2 >= queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

function run(greeter: Greeter): void {
  greeter.run();
}
