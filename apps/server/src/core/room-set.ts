/**
 * The rooms one session is in, in join order: a Set's interface over the smallest storage
 * that holds it. Most connections are in one room (or none), and a JS Set costs ~150 bytes
 * even for one entry (its hash table); at 10,000+ sessions per process that was the largest
 * part of a session's own memory. Here no room costs nothing, one room is a field, and more
 * are an array (maxRoomsPerConnection keeps it short, so linear search is the fast path).
 */
import type { Room } from './room.js';

export class RoomSet implements ReadonlySet<Room> {
  /** null: none; a Room: exactly one; an array: two or more, in join order. */
  #rooms: Room | Room[] | null = null;

  get size(): number {
    const rooms = this.#rooms;
    return rooms === null ? 0 : Array.isArray(rooms) ? rooms.length : 1;
  }

  has(room: Room): boolean {
    const rooms = this.#rooms;
    return rooms === room || (Array.isArray(rooms) && rooms.includes(room));
  }

  add(room: Room): this {
    const rooms = this.#rooms;
    if (rooms === null) this.#rooms = room;
    else if (Array.isArray(rooms)) {
      if (!rooms.includes(room)) rooms.push(room);
    } else if (rooms !== room) this.#rooms = [rooms, room];
    return this;
  }

  delete(room: Room): boolean {
    const rooms = this.#rooms;
    if (rooms === room) {
      this.#rooms = null;
      return true;
    }
    if (!Array.isArray(rooms)) return false;
    const at = rooms.indexOf(room);
    if (at === -1) return false;
    rooms.splice(at, 1);
    if (rooms.length === 1) this.#rooms = rooms[0]!;
    return true;
  }

  /** A snapshot, so a room may be left while iterating (the hub does, on close). */
  values(): SetIterator<Room> {
    const rooms = this.#rooms;
    return (rooms === null ? [] : Array.isArray(rooms) ? [...rooms] : [rooms]).values();
  }

  keys(): SetIterator<Room> {
    return this.values();
  }

  entries(): SetIterator<[Room, Room]> {
    const entries: [Room, Room][] = [];
    for (const room of this.values()) entries.push([room, room]);
    return entries.values();
  }

  forEach(callback: (value: Room, key: Room, set: ReadonlySet<Room>) => void, thisArg?: unknown): void {
    for (const room of this.values()) callback.call(thisArg, room, room, this);
  }

  [Symbol.iterator](): SetIterator<Room> {
    return this.values();
  }
}
