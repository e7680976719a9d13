/**
 * Read markers: per member and room, the last seq that member has seen, so unread counts
 * survive reconnects (issue 16). Kept beside the room's seq and history, wherever those
 * live: in the ChatState of a single process or the cluster's primary (in memory here, or
 * in the history file with the SQLite store: sqlite-read-markers.ts), or in a Redis hash
 * per room (redis-bus.ts).
 *
 * ChatState reaches markers only through `ReadMarkerStore`: a history store that keeps
 * markers offers one (`HistoryStore.readMarkers`). Markers are
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

/**
 * Markers kept in one process at most, over all rooms (about 150 bytes each: some 30 MB).
 * Past it the stalest marker of the least recently written room goes.
 */
export const MAX_READ_MARKERS = 200_000;

/**
 * In memory: a Map per room in write order (the first key the stalest), and the rooms in
 * the order they were last written (the first the stalest), so both caps evict in O(1).
 */
export class MemoryReadMarkers implements ReadMarkerStore {
  readonly #rooms = new Map<string, Map<string, number>>();
  readonly #maxPerRoom: number;
  readonly #maxTotal: number;
  #total = 0;

  constructor(maxPerRoom = MAX_READ_MARKERS_PER_ROOM, maxTotal = MAX_READ_MARKERS) {
    this.#maxPerRoom = maxPerRoom;
    this.#maxTotal = maxTotal;
  }

  /** Markers held, over all rooms. */
  get size(): number {
    return this.#total;
  }

  get(room: string, nick: string): number | undefined {
    return this.#rooms.get(room)?.get(nick.toLowerCase());
  }

  set(room: string, nick: string, seq: number): void {
    let markers = this.#rooms.get(room);
    // Re-inserted at the end, the room and its marker: the most recently written.
    if (markers !== undefined) this.#rooms.delete(room);
    else markers = new Map();
    this.#rooms.set(room, markers);
    const key = nick.toLowerCase();
    if (!markers.delete(key)) this.#total++;
    markers.set(key, seq);
    if (markers.size > this.#maxPerRoom) this.#evictFrom(room, markers);
    while (this.#total > this.#maxTotal) {
      const [stalest, its] = this.#rooms.entries().next().value!;
      this.#evictFrom(stalest, its);
    }
  }

  dropRoom(room: string): void {
    this.#total -= this.#rooms.get(room)?.size ?? 0;
    this.#rooms.delete(room);
  }

  #evictFrom(room: string, markers: Map<string, number>): void {
    markers.delete(markers.keys().next().value!);
    this.#total--;
    if (markers.size === 0) this.#rooms.delete(room);
  }
}
