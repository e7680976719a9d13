/**
 * Finds a room by the bytes of its name, for the cluster primary: every Pub record names its
 * room in latin1 bytes (room names are ASCII by their syntax, limits.ts), and reading that name
 * as a string to look it up in a Map made a fresh string per message, hashed it and compared
 * it: ~6 % of the saturated primary's CPU (`perf`, the bench's primary part). Here the bytes
 * are hashed in place (FNV-1a) and the room found by that number, then its name's bytes are
 * compared with the record's: no string, no allocation.
 *
 * One room per hash: a room whose name collides with another's is not indexed, and the caller
 * looks it up by name (find returns undefined: "not here", never "no such room").
 */
export interface NamedRoom {
  readonly name: string;
}

export class RoomNameIndex<Room extends NamedRoom> {
  readonly #byHash = new Map<number, Room>();

  add(room: Room): void {
    const hash = stringHash(room.name);
    if (!this.#byHash.has(hash)) this.#byHash.set(hash, room);
  }

  delete(room: Room): void {
    const hash = stringHash(room.name);
    if (this.#byHash.get(hash) === room) this.#byHash.delete(hash);
  }

  /** The room named by `buf[start, end)`, if indexed. */
  find(buf: Buffer, start: number, end: number): Room | undefined {
    const room = this.#byHash.get(nameHash(buf, start, end));
    if (room === undefined) return undefined;
    // Compared with the name string itself, whose characters lie in the room's own heap
    // object: a copy of them in a Buffer cost a load more per message (its backing store).
    const name = room.name;
    if (name.length !== end - start) return undefined;
    for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) !== buf[start + i]) return undefined;
    return room;
  }
}

/** nameHash of a name's latin1 bytes. */
function stringHash(name: string): number {
  const bytes = Buffer.from(name, 'latin1');
  return nameHash(bytes, 0, bytes.length);
}

/** @internal Exported for the tests (collisions). */
export function nameHash(buf: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash & 0x3fffffff;
}
