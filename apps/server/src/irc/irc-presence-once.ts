/**
 * One QUIT per quitting nick and one NICK per rename, for one IRC connection. The core
 * announces a quit (a presence `leave` with `quit`) and a rename in every room the member
 * was in, and this reader gets one presence per room it shares; an IRC server sends the
 * QUIT or NICK once to each client sharing a channel (RFC 2812 §3.1.7, §3.1.2), and the
 * client applies it to every channel. So the first one is shown and its repeats dropped.
 *
 * What was announced is kept briefly (the repeats of one event arrive together: one bus
 * event per room, decided in one call), by nick, and at most CAP of them: a small map that
 * exists only while it holds something. A nick that joins a channel again is news again.
 */
import type { PresenceFrame } from '@loopchat/protocol';

/** How long an announcement suppresses its repeats. */
const KEEP_MS = 5000;
/** Announcements remembered at once; past it the oldest goes (a repeat may then show). */
const CAP = 64;

interface Announced {
  /** `quit`, or `>old` for a rename from `old` (lower case). */
  readonly what: string;
  readonly at: number;
}

export class PresenceOnce {
  /** lower-case nick (the quitter, or the rename's new nick) → what was announced; oldest first. */
  #announced: Map<string, Announced> | null = null;

  /** True when `presence` repeats a quit or rename this reader was shown already: drop it. */
  repeats(presence: PresenceFrame, now = Date.now()): boolean {
    if (this.#announced !== null) this.#expire(this.#announced, now, presence.event === 'join' ? presence.nick : '');
    if (presence.event !== 'rename' && presence.quit !== true) return false;
    const announced = (this.#announced ??= new Map());
    const key = presence.nick.toLowerCase();
    const what = presence.event === 'rename' ? `>${(presence.old ?? '').toLowerCase()}` : 'quit';
    if (announced.get(key)?.what === what) return true;
    // A rename frees the old nick: a rename back to it later is news.
    if (presence.event === 'rename') announced.delete((presence.old ?? '').toLowerCase());
    announced.delete(key);
    announced.set(key, { what, at: now });
    if (announced.size > CAP) announced.delete(announced.keys().next().value!);
    return false;
  }

  /**
   * Forgets what is older than KEEP_MS (entries are in the order they were set, so those are
   * at the front) and what `joined` (a nick back in a channel) was, and the map once empty.
   */
  #expire(announced: Map<string, Announced>, now: number, joined: string): void {
    if (joined !== '') announced.delete(joined.toLowerCase());
    for (const [key, entry] of announced) {
      if (now - entry.at < KEEP_MS) break;
      announced.delete(key);
    }
    if (announced.size === 0) this.#announced = null;
  }
}
