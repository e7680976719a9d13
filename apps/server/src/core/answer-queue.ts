/**
 * A connection's answers, in the order it asked. Bus requests settle in any order (a history
 * read may return before an earlier publish), but a client reads its answers in the order
 * of its requests, and a text-mode client has no ids to match them by.
 *
 *   settle(A) settle(B) send(C)      B settles   A settles
 *   [A …] [B …] [C ✓]         ─▶   [A …] [B ✓] [C ✓]   ─▶   runs A, B, C; queue empty
 *
 * An answer ready at once (C) waits behind pending ones (`defer`); while an answer runs,
 * what it sends is its own output and goes out at once. The queue exists only while answers
 * are pending (the session makes one on demand and drops it when it reports empty).
 */

/** What the queue tells its session. */
export interface AnswerOwner {
  /** Answers ran and none is pending any more: the queue may be dropped. */
  onAnswersDone(): void;
}

interface Slot {
  done: boolean;
  run: () => void;
}

function pending(): void {}

export class AnswerQueue {
  readonly #owner: AnswerOwner;
  #slots: Slot[] = [];
  #running = false;
  /** Runs once the answers being run now are out, outside of them (replaying held input). */
  #after: (() => void) | null = null;

  constructor(owner: AnswerOwner) {
    this.#owner = owner;
  }

  /** Answers asked for and not yet sent. */
  get pending(): number {
    return this.#slots.length;
  }

  /** True while an answer runs: what it sends is its own output. */
  get isAnswering(): boolean {
    return this.#running;
  }

  /** Runs `ok` or `fail` when `request` settles, after every answer asked for before it. */
  settle<T>(request: Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void {
    const slot: Slot = { done: false, run: pending };
    this.#slots.push(slot);
    request.then(
      (value) => this.#complete(slot, () => ok(value)),
      (err: unknown) => this.#complete(slot, () => fail(err)),
    );
  }

  /** Queues an answer ready now behind pending ones; false when it may go at once. */
  defer(run: () => void): boolean {
    if (this.#running || this.#slots.length === 0) return false;
    this.#slots.push({ done: true, run });
    return true;
  }

  /** Runs `then` once the answer running now (and those ready behind it) are out. */
  afterAnswers(then: () => void): void {
    this.#after = then;
  }

  #complete(slot: Slot, run: () => void): void {
    slot.done = true;
    slot.run = run;
    const slots = this.#slots;
    let ran = false;
    while (slots.length > 0 && slots[0]!.done) {
      const next = slots.shift()!;
      ran = true;
      this.#running = true;
      try {
        next.run();
      } finally {
        this.#running = false;
      }
    }
    if (!ran) return;
    const after = this.#after;
    this.#after = null;
    after?.();
    if (this.#slots.length === 0) this.#owner.onAnswersDone();
  }
}
