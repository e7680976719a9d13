/**
 * Read markers in the history file (`--history sqlite`), so unread counts survive a restart
 * like the messages they count. A `read` frame comes with every scroll of every client, so a
 * write per frame would cost more than the messages: markers are kept in memory
 * (MemoryReadMarkers, which also answers reads) and the ones written since the last flush go
 * to the file together, in one transaction, on the store's next background step (about a
 * second). A crash can lose that last second of markers, never a message.
 *
 *   read_markers  (room, nick) → seq, updated (ms): nick in lower case, as in memory
 *
 * Each room keeps at most MAX_READ_MARKERS_PER_ROOM in the file, like in memory: past it
 * the least recently written go at the flush that wrote the room.
 */
import type Database from 'better-sqlite3';
import { MAX_READ_MARKERS_PER_ROOM, MemoryReadMarkers, type ReadMarkerStore } from './read-markers.js';
import { prepareAll, type Prepared } from './sqlite-schema.js';

export const READ_MARKERS_SCHEMA = `
CREATE TABLE IF NOT EXISTS read_markers (
  room TEXT NOT NULL, nick TEXT NOT NULL, seq INTEGER NOT NULL, updated INTEGER NOT NULL,
  PRIMARY KEY (room, nick)
) WITHOUT ROWID;
`;

const SQL = {
  get: 'SELECT seq FROM read_markers WHERE room = ? AND nick = ?',
  update: 'UPDATE read_markers SET seq = ?, updated = ? WHERE room = ? AND nick = ?',
  insert: 'INSERT INTO read_markers (room, nick, seq, updated) VALUES (?, ?, ?, ?)',
  count: 'SELECT count(*) FROM read_markers WHERE room = ?',
  trim:
    'DELETE FROM read_markers WHERE room = ? AND nick IN ' +
    '(SELECT nick FROM read_markers WHERE room = ? ORDER BY updated LIMIT ?)',
  dropRoom: 'DELETE FROM read_markers WHERE room = ?',
} as const;

export class SqliteReadMarkers implements ReadMarkerStore {
  readonly #db: Database.Database;
  readonly #sql: Prepared<typeof SQL>;
  readonly #maxPerRoom: number;
  /** Recently written or read markers (bounded): what get() answers first. */
  readonly #cache = new MemoryReadMarkers();
  /** room → lower-case nick → seq, written since the last flush. */
  #dirty = new Map<string, Map<string, number>>();
  /** room → markers it has in the file, for the rooms flushed so far (counted once each). */
  readonly #stored = new Map<string, number>();

  /** `db` is the history store's open connection (the table is created here). */
  constructor(db: Database.Database, maxPerRoom = MAX_READ_MARKERS_PER_ROOM) {
    db.exec(READ_MARKERS_SCHEMA);
    this.#db = db;
    this.#sql = prepareAll(db, SQL, ['get', 'count']);
    this.#maxPerRoom = maxPerRoom;
  }

  /** Whether markers wait for the flush. */
  get dirty(): boolean {
    return this.#dirty.size > 0;
  }

  get(room: string, nick: string): number | undefined {
    const key = nick.toLowerCase();
    const cached = this.#dirty.get(room)?.get(key) ?? this.#cache.get(room, key);
    if (cached !== undefined) return cached;
    const stored = this.#sql.get.get(room, key) as number | undefined;
    if (stored !== undefined) this.#cache.set(room, key, stored);
    return stored;
  }

  set(room: string, nick: string, seq: number): void {
    const key = nick.toLowerCase();
    this.#cache.set(room, key, seq);
    let nicks = this.#dirty.get(room);
    if (nicks === undefined) this.#dirty.set(room, (nicks = new Map()));
    nicks.set(key, seq);
  }

  dropRoom(room: string): void {
    this.#cache.dropRoom(room);
    this.#dirty.delete(room);
    this.#stored.delete(room);
    this.#sql.dropRoom.run(room);
  }

  /**
   * Writes the markers set since the last flush, in one transaction, and trims the rooms
   * written to their cap. Throws on failure (the markers stay in memory for the next try).
   */
  flush(now = Date.now()): void {
    if (this.#dirty.size === 0) return;
    const dirty = this.#dirty;
    const sql = this.#sql;
    const counts = new Map<string, number>();
    this.#db.transaction(() => {
      for (const [room, nicks] of dirty) {
        let count = this.#stored.get(room) ?? (sql.count.get(room) as number);
        for (const [nick, seq] of nicks) {
          if (sql.update.run(seq, now, room, nick).changes === 0) {
            sql.insert.run(room, nick, seq, now);
            count++;
          }
        }
        if (count > this.#maxPerRoom) {
          sql.trim.run(room, room, count - this.#maxPerRoom);
          count = this.#maxPerRoom;
        }
        counts.set(room, count);
      }
    })();
    for (const [room, count] of counts) this.#stored.set(room, count);
    this.#dirty = new Map();
  }
}
