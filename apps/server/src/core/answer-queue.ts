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
 *
 * A room event the client caused (the topic its `/topic` set) reaches it as a delivery, not
 * an answer, and may arrive while answers asked before that command are still on their way
 * (a join's member list): the command's slot has an id the bus carries back with the event
 * (`settleCaused`), and the event goes out right before that slot (`beforeAnswer`): after
 * what was asked before the command, before what was asked after it.
 */

/** What the queue tells its session. */
export interface AnswerOwner {
  /** Answers ran and none is pending any more: the queue may be dropped. */
  onAnswersDone(): void;
}

interface Slot {
  done: boolean;
  run: () => void;
  /** settleCaused's id (0: none). */
  id: number;
}

function pending(): void {}

/** Ids of caused requests: process-wide, so an event that outlived its queue matches no later slot. */
let lastCauseId = 0;

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
    const slot: Slot = { done: false, run: pending, id: 0 };
    this.#slots.push(slot);
    this.#await(slot, request, ok, fail);
  }

  /**
   * As settle, for a request that may cause room events: `start` makes it, given the id its
   * events come back with (beforeAnswer). The slot is queued before the request starts: a bus
   * that decides at once delivers the event before `start` returns.
   */
  settleCaused<T>(start: (cause: number) => Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void {
    const slot: Slot = { done: false, run: pending, id: ++lastCauseId };
    this.#slots.push(slot);
    let request: Promise<T>;
    try {
      request = start(slot.id);
    } catch (err) {
      request = Promise.reject(err);
    }
    this.#await(slot, request, ok, fail);
  }

  /**
   * Queues `run` (the delivery of an event request `cause` caused) right before that
   * request's answer; false when it may go at once (the answer is out, or nothing is ahead).
   */
  beforeAnswer(cause: number, run: () => void): boolean {
    if (this.#running) return false;
    const at = this.#slots.findIndex((slot) => slot.id === cause);
    if (at <= 0) return false;
    this.#slots.splice(at, 0, { done: true, run, id: 0 });
    return true;
  }

  /** Queues an answer ready now behind pending ones; false when it may go at once. */
  defer(run: () => void): boolean {
    if (this.#running || this.#slots.length === 0) return false;
    this.#slots.push({ done: true, run, id: 0 });
    return true;
  }

  /** Runs `then` once the answer running now (and those ready behind it) are out. */
  afterAnswers(then: () => void): void {
    this.#after = then;
  }

  #await<T>(slot: Slot, request: Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void {
    request.then(
      (value) => this.#complete(slot, () => ok(value)),
      (err: unknown) => this.#complete(slot, () => fail(err)),
    );
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
