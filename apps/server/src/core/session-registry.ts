/**
 * The set of open sessions (ctx.sessions), which also stamps each session with an id and
 * its connect time as it is added, for the admin connection list.
 *
 * The stamp lives in a WeakMap beside the set rather than on Session: only the admin API
 * reads it, and it goes away with the session without a line of cleanup.
 */
import type { Session } from './session.js';

export interface ConnectionStamp {
  /** Sequential per process; unique with the worker slot in front (admin.ts). */
  readonly id: number;
  /** ms since the epoch. */
  readonly since: number;
}

export class SessionRegistry extends Set<Session> {
  readonly #stamps = new WeakMap<Session, ConnectionStamp>();
  #nextId = 1;

  // No initial iterable: Set's constructor would call add() before #stamps exists.
  constructor() {
    super();
  }

  override add(session: Session): this {
    if (!this.#stamps.has(session)) this.#stamps.set(session, { id: this.#nextId++, since: Date.now() });
    return super.add(session);
  }

  stamp(session: Session): ConnectionStamp | undefined {
    return this.#stamps.get(session);
  }
}
