/** The WAL checkpointer's thread on a real file: it checkpoints when asked, and closes first. */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/history/wal-checkpointer.js';

let dir: string;
let path: string;
const cleanup: (() => void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopchat-checkpointer-'));
  path = join(dir, 'h.db');
});
afterEach(() => {
  for (const undo of cleanup.splice(0).reverse()) undo();
  rmSync(dir, { recursive: true, force: true });
});

/** A WAL-mode file as the store opens it (no automatic checkpoint), with `mb` MB written to it. */
function owner(mb: number): Database.Database {
  const db = new Database(path);
  cleanup.push(() => db.close());
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (b BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < mb; i++) insert.run(Buffer.alloc(1024 * 1024, i));
  return db;
}

/** The next `checkpointed` or `failed` it reports. */
function events(): {
  checkpointer: (file: string) => WalCheckpointer;
  next: () => Promise<string>;
} {
  const heard: string[] = [];
  let wake: (() => void) | undefined;
  const hear = (what: string): void => {
    heard.push(what);
    wake?.();
  };
  return {
    checkpointer: (file) => {
      const c = new WalCheckpointer(file, {
        checkpointed: (complete) => hear(complete ? 'complete' : 'incomplete'),
        failed: (reason) => hear(`failed: ${reason}`),
      });
      cleanup.push(() => c.close());
      return c;
    },
    next: async () => {
      while (heard.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return heard.shift()!;
    },
  };
}

describe('WalCheckpointer', () => {
  it('copies the WAL into the database file in its thread, one checkpoint at a time', async () => {
    owner(4);
    const before = statSync(path).size;
    const { checkpointer, next } = events();
    const c = checkpointer(path);
    expect(c.request()).toBe(true);
    expect(c.request()).toBe(false); // one under way
    expect(await next()).toBe('complete');
    expect(statSync(path).size - before).toBeGreaterThan(4 * 1024 * 1024); // the pages are in the file now
    expect(c.request()).toBe(true);
    expect(await next()).toBe('complete'); // nothing new: complete at once
  });

  it('closes its connection before close() returns, so the owner closes last and the WAL goes with it', async () => {
    const db = owner(1);
    const { checkpointer, next } = events();
    const c = checkpointer(path);
    c.request();
    expect(await next()).toBe('complete'); // its connection is open
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(1024)); // a frame for the last close to checkpoint
    c.close();
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('says it failed when it cannot open the file, and asks nothing more of it', async () => {
    const { checkpointer, next } = events();
    const c = checkpointer(join(dir, 'missing.db'));
    expect(await next()).toMatch(/^failed: the WAL checkpointer cannot open the file/);
    expect(c.request()).toBe(false);
  });
});
