/**
 * How often a client tells a room it is typing: at most once per interval per room, so a
 * page can call `typing()` on every keystroke. The server applies the same interval and
 * drops the rest (protocol limits.ts, TYPING_INTERVAL_MS; a test holds the two equal: the
 * browser build may not import @loopchat/protocol at run time).
 */
export const TYPING_INTERVAL_MS = 2000;

export class TypingThrottle {
  /** room → when `typing` was last sent there. */
  readonly #sentAt = new Map<string, number>();

  /** Whether a `typing` for `room` may go now; if so, counts it as sent. */
  take(room: string, now: number): boolean {
    const last = this.#sentAt.get(room);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return false;
    this.#sentAt.set(room, now);
    return true;
  }

  /** A message was sent to `room`: it ended the typing line there, so typing again is news at once. */
  sent(room: string): void {
    this.#sentAt.delete(room);
  }

  /** A new connection: the server has seen nothing from this client yet. */
  clear(): void {
    this.#sentAt.clear();
  }
}
