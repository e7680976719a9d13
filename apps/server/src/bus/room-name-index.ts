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
  readonly #byHash = new Map<number, { readonly room: Room; readonly bytes: Buffer }>();

  add(room: Room): void {
    const bytes = Buffer.from(room.name, 'latin1');
    const hash = nameHash(bytes, 0, bytes.length);
    if (!this.#byHash.has(hash)) this.#byHash.set(hash, { room, bytes });
  }

  delete(room: Room): void {
    const bytes = Buffer.from(room.name, 'latin1');
    const hash = nameHash(bytes, 0, bytes.length);
    if (this.#byHash.get(hash)?.room === room) this.#byHash.delete(hash);
  }

  /** The room named by `buf[start, end)`, if indexed. */
  find(buf: Buffer, start: number, end: number): Room | undefined {
    const entry = this.#byHash.get(nameHash(buf, start, end));
    if (entry === undefined) return undefined;
    const bytes = entry.bytes;
    if (bytes.length !== end - start) return undefined;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== buf[start + i]) return undefined;
    return entry.room;
  }
}

/** FNV-1a over `buf[start, end)`, as a small integer (a Map key without a heap number). */
/** @internal Exported for the tests (collisions). */
export function nameHash(buf: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash & 0x3fffffff;
}
