/**
 * What a test client received, in order, with a cursor: `waitFor` finds the next matching
 * item after it (so a test reads a conversation step by step), `until` looks anywhere (a
 * sync point that must not hide earlier items). Used for frames, text lines and events.
 */
type Predicate<T> = (item: T) => boolean;

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
        reject(this.#timedOut(timeoutMs, what));
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
        reject(this.#timedOut(timeoutMs, what));
      }, timeoutMs);
      this.#peekers.push({ predicate, resolve, timer });
    });
  }

  #timedOut(timeoutMs: number, what: string): Error {
    return new Error(
      `timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.items.slice(-10))}`,
    );
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

/** The fields a test expects of a frame; a frame matches when each of them is equal (===). */
export type Shape = Partial<Record<string, unknown>>;

export function matches(item: object, shape: Shape): boolean {
  const record = item as Record<string, unknown>;
  return Object.entries(shape).every(([k, v]) => record[k] === v);
}
