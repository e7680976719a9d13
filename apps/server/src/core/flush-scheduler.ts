/**
 * Coalesces writes: a session with queued output is flushed once per event-loop turn,
 * after every socket read of that turn has been handled (setImmediate runs in the check
 * phase, right after the poll phase's I/O callbacks). All frames queued for one socket in
 * one turn leave in a single write; under load that is many messages per syscall, which
 * is why the cost per delivery falls as load rises instead of staying flat.
 */
export interface Flushable {
  flush(): void;
}

export class FlushScheduler {
  #dirty: Flushable[] = [];
  #scheduled = false;

  /** Called by a session when its queue goes from empty to non-empty (so once per turn). */
  mark(session: Flushable): void {
    this.#dirty.push(session);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(flushAll, this);
    }
  }

  /** Flushes now (shutdown, tests). */
  flushNow(): void {
    const dirty = this.#dirty;
    this.#dirty = [];
    this.#scheduled = false;
    for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
  }
}

function flushAll(scheduler: FlushScheduler): void {
  scheduler.flushNow();
}
