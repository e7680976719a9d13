/**
 * The cluster primary's side of its history keeper (history-keeper.ts): starts it, hands its
 * fold notices to the store, asks it for backups, and starts another if it dies (the store
 * folds by itself meanwhile once the keeper is far enough behind, sqlite-store.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { HistoryStoreError } from './errors.js';
import type { FoldedRooms, Keeper, SqliteStore, SqliteStoreOptions } from './sqlite-store.js';

export type ToKeeper = { t: 'backup'; id: number };
export type FromKeeper =
  | { t: 'folded'; folded: FoldedRooms; durable: boolean }
  | { t: 'backup'; id: number; file?: string; error?: string }
  | { t: 'failed'; error: string };

/** The compiled keeper: beside this file in dist/, or in dist/ when this runs from src/ (vitest). */
const KEEPER_MAIN = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../../dist/history/history-keeper.js', import.meta.url)
    : new URL('./history-keeper.js', import.meta.url),
);
/** A keeper that died is started again after this. */
const RESTART_MS = 1_000;

export class KeeperProcess implements Keeper {
  readonly #options: SqliteStoreOptions;
  readonly #store: SqliteStore;
  readonly #log: Pick<Logger, 'warn' | 'error'>;
  #child: ChildProcess | undefined;
  #closed = false;
  #nextBackup = 0;
  readonly #backups = new Map<number, { resolve: (file: string) => void; reject: (err: Error) => void }>();

  constructor(options: SqliteStoreOptions, store: SqliteStore, log: Pick<Logger, 'warn' | 'error'>) {
    this.#options = options;
    this.#store = store;
    this.#log = log;
    this.#start();
  }

  #start(): void {
    // The primary's node flags (heap sizes, preloads), as cluster workers get them, less the
    // inspector's: its port is the primary's. (With none, a signal a preload handles in every
    // process, the bench's SIGUSR2 → GC, killed the keeper: node's default for it is to exit.)
    const execArgv = process.execArgv.filter((flag) => !/^--(inspect|debug)/.test(flag));
    const child = fork(KEEPER_MAIN, [JSON.stringify(this.#options)], { execArgv, stdio: 'inherit' });
    this.#child = child;
    child.on('message', (m: FromKeeper) => {
      if (this.#closed) return; // the store is closing: it folds what is left itself
      if (m.t === 'folded') this.#store.foldedElsewhere(m.folded, m.durable);
      else if (m.t === 'backup') {
        const waiting = this.#backups.get(m.id);
        this.#backups.delete(m.id);
        if (m.file !== undefined) waiting?.resolve(m.file);
        else waiting?.reject(new HistoryStoreError('HISTORY_WRITE_FAILED', m.error ?? 'backup failed'));
      } else this.#log.error({ err: m.error }, 'history keeper failed');
    });
    // A fork that failed (no memory, no process slots) says so here, and 'exit' follows or not:
    // either way the primary goes on and folds by itself should the keeper stay away.
    child.on('error', (err) => this.#log.error({ err: err.message }, 'history keeper failed'));
    child.on('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      for (const waiting of this.#backups.values()) {
        waiting.reject(new HistoryStoreError('HISTORY_WRITE_FAILED', 'the history keeper stopped'));
      }
      this.#backups.clear();
      if (this.#closed) return;
      this.#log.warn({ code, signal }, 'history keeper exited; starting another');
      setTimeout(() => {
        if (!this.#closed) this.#start();
      }, RESTART_MS).unref();
    });
  }

  backup(): Promise<string> {
    const child = this.#child;
    if (child === undefined || !child.connected) {
      return Promise.reject(new HistoryStoreError('HISTORY_WRITE_FAILED', 'the history keeper is restarting'));
    }
    const id = ++this.#nextBackup;
    return new Promise((resolve, reject) => {
      this.#backups.set(id, { resolve, reject });
      child.send({ t: 'backup', id } satisfies ToKeeper);
    });
  }

  close(): void {
    this.#closed = true;
    // SIGKILL: its work is transactions, and the primary folds what is left itself.
    this.#child?.kill('SIGKILL');
  }
}
