/**
 * The layout of a loopchat history file (SQLite). Messages are stored in chunks (line-chunks.ts:
 * the lines of consecutive seqs one commit wrote for a room). Rows are appended in time order,
 * so the rowid order is the age order the retention sweep walks; (room, last_seq) is unique
 * and indexed for history reads. A room's last seq lives in `rooms`, not only in its newest
 * chunk, so retention may delete every message of a room without its seqs starting again.
 *
 *   meta       key → value: the epoch (a random id, new with the file)
 *   rooms      room → last_seq (and room-level columns as they come)
 *   room_meta  (room, key) → value: room metadata (roles, topic…) that is not a column yet
 *   chunks     rowid, room, first_seq, last_seq, first_ts, last_ts, lines (canonical msg
 *              lines, bytes as delivered, concatenated)
 *
 * Commits are not written here but to log files beside it (log-files.ts), and folded into
 * chunks in the background (commit-log.ts). Version 3 kept that log as a table, `log`: a file
 * of that version has its rows folded at open and the table dropped.
 */

import type Database from 'better-sqlite3';

/** A table of SQL texts, prepared: one statement per key. */
export type Prepared<T extends Record<string, string>> = { [K in keyof T]: Database.Statement };

/** Prepares every statement of `sql` once, at open; `pluck`: those that answer one value. */
export function prepareAll<T extends Record<string, string>>(
  db: Database.Database,
  sql: T,
  pluck: readonly (keyof T)[] = [],
): Prepared<T> {
  const prepared = Object.fromEntries(Object.entries(sql).map(([k, text]) => [k, db.prepare(text)])) as Prepared<T>;
  for (const k of pluck) prepared[k].pluck();
  return prepared;
}

/** 'LOOP': marks the file as loopchat's (PRAGMA application_id). */
export const APPLICATION_ID = 0x4c4f4f50;
/** Bumped with each change of layout; an older file is migrated at open. */
export const SCHEMA_VERSION = 4;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_meta (
  room TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (room, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY, room TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, lines BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_room_last_seq ON chunks (room, last_seq);
`;

/** Version 1 (one row per message, 2026-12-04) → chunks of one line each. */
export const MIGRATE_V1 = `
INSERT INTO chunks (room, first_seq, last_seq, first_ts, last_ts, lines)
  SELECT room, seq, seq, ts, ts, line FROM messages ORDER BY id;
DROP TABLE messages;
`;

/** The statements the store runs, prepared once at open. */
export const SQL = {
  begin: 'BEGIN IMMEDIATE',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
  insert: 'INSERT INTO chunks (room, first_seq, last_seq, first_ts, last_ts, lines) VALUES (?, ?, ?, ?, ?, ?)',
  setLastSeq:
    'INSERT INTO rooms (room, last_seq) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET last_seq = excluded.last_seq',
  lastSeq: 'SELECT last_seq FROM rooms WHERE room = ?',
  /** Chunks holding seqs > ?, oldest first (read until the page is full). */
  forward: 'SELECT first_seq, lines FROM chunks WHERE room = ? AND last_seq > ? ORDER BY last_seq',
  /** Chunks ending below ? (a seq past the end of the chunk that holds the first wanted), newest first. */
  backward: 'SELECT first_seq, lines FROM chunks WHERE room = ? AND last_seq < ? ORDER BY last_seq DESC',
  /** The chunk that would hold seq ?: the first ending at or after it. */
  holding: 'SELECT id, first_seq, lines FROM chunks WHERE room = ? AND last_seq >= ? ORDER BY last_seq LIMIT 1',
  replaceLines: 'UPDATE chunks SET lines = ? WHERE id = ?',
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  getRoomMeta: 'SELECT value FROM room_meta WHERE room = ? AND key = ?',
  setRoomMeta:
    'INSERT INTO room_meta (room, key, value) VALUES (?, ?, ?) ON CONFLICT (room, key) DO UPDATE SET value = excluded.value',
  deleteRoomMeta: 'DELETE FROM room_meta WHERE room = ? AND key = ?',
  /** Count retention: one bounded step of a room's chunks wholly at or below a seq. */
  trimRoom:
    'DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE room = ? AND last_seq <= ? ORDER BY last_seq LIMIT ?)',
  /** Age retention: of the oldest rows (by rowid: insertion order), those wholly older than a time. */
  trimOld: 'DELETE FROM chunks WHERE id IN (SELECT id FROM chunks ORDER BY id LIMIT ?) AND last_ts < ?',
} as const;
