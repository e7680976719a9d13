/** Runner side of a bench worker: fork it, send commands, await typed replies. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { track } from './children.js';
import type { WorkerCommand, WorkerReply } from './messages.js';
import { WORKERS_DIR } from './paths.js';

/** The bench worker scripts under workers/. */
export type WorkerScript = 'client-worker' | 'sender-worker' | 'room-worker';

type ReplyOf<T extends WorkerReply['type']> = Extract<WorkerReply, { type: T }>;

export class WorkerHandle {
  readonly child: ChildProcess;
  readonly name: string;
  #waiters: { type: WorkerReply['type']; resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  #exitError: Error | null = null;

  constructor(script: WorkerScript, name: string) {
    this.name = name;
    this.child = track(
      fork(join(WORKERS_DIR, `${script}.js`), [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: ['--max-old-space-size=4096'],
      }),
    );
    this.child.on('message', (message: WorkerReply) => {
      const index = this.#waiters.findIndex((w) => w.type === message.type);
      if (index === -1) return;
      const [waiter] = this.#waiters.splice(index, 1);
      waiter!.resolve(message);
    });
    this.child.once('exit', (code, signal) => {
      this.#exitError = new Error(`bench worker ${name} (pid ${this.child.pid}) exited: ${signal ?? code}`);
      for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#exitError);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(command: WorkerCommand): void {
    if (this.#exitError !== null) throw this.#exitError;
    this.child.send(command);
  }

  /** Waits for the next reply of `type` (register before sending the command that causes it). */
  next<T extends WorkerReply['type']>(type: T, timeoutMs = 120_000): Promise<ReplyOf<T>> {
    if (this.#exitError !== null) return Promise.reject(this.#exitError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bench worker ${this.name}: no '${type}' reply in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        type,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as ReplyOf<T>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  request<T extends WorkerReply['type']>(command: WorkerCommand, type: T, timeoutMs?: number): Promise<ReplyOf<T>> {
    const reply = this.next(type, timeoutMs);
    this.send(command);
    return reply;
  }
}
