/**
 * The layout of a loopchat history file (SQLite). Rows are appended in time order, so the
 * rowid order is the age order the retention sweep walks; (room, seq) is unique and indexed
 * for history reads. A room's last seq lives in `rooms`, not only in its newest message, so
 * retention may delete every message of a room without its seqs ever starting again.
 *
 *   meta       key → value: the epoch (a random id, new with the file)
 *   rooms      room → last_seq (and room-level columns as they come)
 *   room_meta  (room, key) → value: room metadata (roles, topic…) that is not a column yet
 *   messages   rowid, room, seq, ts, line (the canonical msg line, bytes as delivered)
 */

/** 'LOOP': marks the file as loopchat's (PRAGMA application_id). */
export const APPLICATION_ID = 0x4c4f4f50;
/** Bumped with each change of layout; an older file is migrated at open. */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_meta (
  room TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (room, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY, room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, line BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_room_seq ON messages (room, seq);
`;

/** Rows per insertMany statement. */
export const INSERT_ROWS = 32;

/** The statements the store runs, prepared once at open. */
export const SQL = {
  begin: 'BEGIN IMMEDIATE',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
  insert: 'INSERT INTO messages (room, seq, ts, line) VALUES (?, ?, ?, ?)',
  /** INSERT_ROWS rows in one statement: one call into SQLite for many rows of a turn. */
  insertMany: `INSERT INTO messages (room, seq, ts, line) VALUES ${Array(32).fill('(?, ?, ?, ?)').join(', ')}`,
  setLastSeq:
    'INSERT INTO rooms (room, last_seq) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET last_seq = excluded.last_seq',
  lastSeq: 'SELECT last_seq FROM rooms WHERE room = ?',
  latest:
    'SELECT line FROM (SELECT seq, line FROM messages WHERE room = ? AND seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
  since: 'SELECT line FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?',
  before:
    'SELECT line FROM (SELECT seq, line FROM messages WHERE room = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
  replace: 'UPDATE messages SET line = ? WHERE room = ? AND seq = ?',
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  getRoomMeta: 'SELECT value FROM room_meta WHERE room = ? AND key = ?',
  setRoomMeta:
    'INSERT INTO room_meta (room, key, value) VALUES (?, ?, ?) ON CONFLICT (room, key) DO UPDATE SET value = excluded.value',
  deleteRoomMeta: 'DELETE FROM room_meta WHERE room = ? AND key = ?',
  /** Count retention: one bounded step of a room's messages at or below a seq. */
  trimRoom: 'DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE room = ? AND seq <= ? ORDER BY seq LIMIT ?)',
  /** Age retention: of the oldest rows (by rowid: insertion order), those older than a time. */
  trimOld: 'DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT ?) AND ts < ?',
} as const;
