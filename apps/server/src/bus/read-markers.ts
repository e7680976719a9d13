/**
 * Read markers: per member and room, the last seq that member has seen, so unread counts
 * survive reconnects (issue 16). Kept beside the room's seq and history, wherever those
 * live: in the ChatState of a single process or the cluster's primary (this file), or in
 * a Redis hash per room (redis-bus.ts).
 *
 * ChatState reaches markers only through `ReadMarkerStore`, so a durable store (SQLite,
 * issue 14) can keep them across restarts by implementing these three calls. Markers are
 * keyed by the lower-case nick: they belong to the name (with tokens, to the user).
 */

/** Markers kept per room at most; past it the least recently written one is forgotten. */
export const MAX_READ_MARKERS_PER_ROOM = 10_000;

export interface ReadMarkerStore {
  /** `nick`'s marker in `room`, if one is stored. */
  get(room: string, nick: string): number | undefined;
  /** Stores `seq` as `nick`'s marker in `room` (the last write wins). */
  set(room: string, nick: string, seq: number): void;
  /**
   * The room was forgotten and its seq starts over at 1: its markers would point past
   * messages that do not exist yet, so they go too.
   */
  dropRoom(room: string): void;
}

/** In memory: a Map per room in write order, so the oldest marker is the first to go. */
export class MemoryReadMarkers implements ReadMarkerStore {
  readonly #rooms = new Map<string, Map<string, number>>();
  readonly #maxPerRoom: number;

  constructor(maxPerRoom = MAX_READ_MARKERS_PER_ROOM) {
    this.#maxPerRoom = maxPerRoom;
  }

  get(room: string, nick: string): number | undefined {
    return this.#rooms.get(room)?.get(nick.toLowerCase());
  }

  set(room: string, nick: string, seq: number): void {
    let markers = this.#rooms.get(room);
    if (markers === undefined) this.#rooms.set(room, (markers = new Map()));
    const key = nick.toLowerCase();
    // Re-inserted at the end: Map order is write order, the first key the stalest.
    markers.delete(key);
    markers.set(key, seq);
    if (markers.size > this.#maxPerRoom) markers.delete(markers.keys().next().value!);
  }

  dropRoom(room: string): void {
    this.#rooms.delete(room);
  }
}
