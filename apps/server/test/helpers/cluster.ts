/**
 * Runs the compiled CLI in cluster mode (`--workers N`) for integration tests: reads the
 * shared ports from the primary's "loopchat listening" log line, finds worker pids (and the
 * slot each serves) from /proc, places clients on a chosen worker, and kills the whole tree.
 * Linux only (/proc), like the machines this project runs on.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerFrame } from '@loopchat/protocol';
import { TcpJsonClient, WsClient, sleep } from './clients.js';
import { IrcClient } from './irc-client.js';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface MainExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI (logs silent) until it exits, as a start that must fail does: its exit code and output. */
export function runMainToExit(args: string[], env: Record<string, string> = {}): Promise<MainExit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, '--log-level', 'silent', ...args],
      { env: { ...process.env, ...env }, timeout: 15_000 },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : (err.code as number | null), stdout, stderr }),
    );
  });
}

export interface LogEntry {
  level: number;
  msg: string;
  pid: number;
  [key: string]: unknown;
}

export interface RunningCluster {
  child: ChildProcess;
  pid: number;
  tcpPort: number;
  httpPort: number;
  workers: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stdout: () => string;
  stderr: () => string;
  /** Every JSON log line the primary and its workers wrote to stdout so far. */
  logs: () => LogEntry[];
}

/** Starts `main.js --workers N` on free ports and waits for the primary's listening line. */
export async function startCluster(
  workers: number,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<RunningCluster> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -b\` first (npm test does)`);
  const child = spawn(
    process.execPath,
    [MAIN, '--workers', String(workers), '--tcp-port', '0', '--http-port', '0', '--log-level', 'info', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info', ...env } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: Date.now(),
  }));
  const logs = (): LogEntry[] =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LogEntry];
        } catch {
          return [];
        }
      });
  const listening = await new Promise<LogEntry>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "loopchat listening" line; stdout: ${stdout} stderr: ${stderr}`)),
      10_000,
    );
    const check = (): void => {
      const entry = logs().find((e) => e.msg.startsWith('loopchat listening') && e.pid === child.pid);
      if (entry === undefined) return;
      clearTimeout(timer);
      resolve(entry);
    };
    child.stdout!.on('data', check);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  const tcp = listening['tcp'] as { port: number };
  const http = listening['http'] as { port: number };
  return {
    child,
    pid: child.pid!,
    tcpPort: tcp.port,
    httpPort: http.port,
    workers: listening['workers'] as number,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    logs,
  };
}

/** Child pids of `pid` (the cluster's workers), from /proc. */
export function childPids(pid: number): number[] {
  const pids = new Set<number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const task of tasks) {
    try {
      for (const p of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (p !== '') pids.add(Number(p));
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return [...pids];
}

/** The worker slot (LOOPCHAT_WORKER_SLOT, the N of `/wN`) a worker pid serves. */
export function workerSlot(pid: number): number | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const entry = env.find((e) => e.startsWith('LOOPCHAT_WORKER_SLOT='));
    return entry === undefined ? undefined : Number(entry.slice('LOOPCHAT_WORKER_SLOT='.length));
  } catch {
    return undefined;
  }
}

/** slot → pid of the cluster's live workers. */
export function workersBySlot(primaryPid: number): Map<number, number> {
  const map = new Map<number, number>();
  for (const pid of childPids(primaryPid)) {
    const slot = workerSlot(pid);
    if (slot !== undefined && isAlive(pid)) map.set(slot, pid);
  }
  return map;
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** SIGKILLs the primary's workers and then the primary (afterAll: nothing may outlive the file). */
export async function killTree(cluster: RunningCluster | undefined): Promise<void> {
  if (cluster === undefined) return;
  const pids = childPids(cluster.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (cluster.child.exitCode === null && cluster.child.signalCode === null) {
    cluster.child.kill('SIGKILL');
    await cluster.exited;
  }
}

/** The worker slot a welcome frame names (`server: "host/wN"`). */
export function slotOf(welcome: ServerFrame): number {
  const server = (welcome as { server?: string }).server ?? '';
  const m = /\/w(\d+)$/.exec(server);
  if (m === null) throw new Error(`welcome.server "${server}" does not name a worker`);
  return Number(m[1]);
}

export interface Placed<C> {
  client: C;
  nick: string;
  slot: number;
}

type AnyClient = TcpJsonClient | WsClient;

/**
 * Connects and says hello until the connection lands on a worker `accept`s. Workers take
 * connections from a shared accept queue, so placement is the kernel's; misplaced attempts
 * stay open until the placement succeeds (an idle worker tends to win the next accept
 * again), then close. The nick is `base`, or `base` plus a counter.
 */
export async function connectOn<C extends AnyClient>(
  connect: () => Promise<C>,
  base: string,
  accept: (slot: number) => boolean = () => true,
  { tries = 20, pauseMs = 5 }: { tries?: number; pauseMs?: number } = {},
): Promise<Placed<C>> {
  const misplaced: C[] = [];
  try {
    for (let attempt = 0; attempt < tries; attempt++) {
      let client: C;
      try {
        client = await connect();
      } catch {
        // Refused: no worker listens right now (all of them restarting).
        await sleep(pauseMs);
        continue;
      }
      const nick = attempt === 0 ? base : `${base}${attempt}`;
      client.send({ type: 'hello', nick, id: `hello-${nick}` });
      const answer = await client.waitForAny([{ type: 'welcome' }, { type: 'error', id: `hello-${nick}` }]);
      if (answer.type === 'welcome') {
        const slot = slotOf(answer);
        if (accept(slot)) return { client, nick, slot };
      }
      misplaced.push(client);
      await sleep(pauseMs);
    }
  } finally {
    for (const client of misplaced) client.close();
  }
  throw new Error(`could not place "${base}" on a wanted worker in ${tries} tries`);
}

/** The worker slot an IRC connection landed on: its server name (004) ends in `-wN.loopchat`. */
export function ircSlot(irc: IrcClient): number {
  const myinfo = irc.raw.items.find((l) => / 004 /.test(l)) ?? '';
  const m = /-w(\d+)\.loopchat /.exec(myinfo.split(' 004 ')[1] ?? '');
  if (m === null) throw new Error(`004 names no worker: ${myinfo}`);
  return Number(m[1]);
}

/** IRC clients until one lands on a worker `accept`s (the misplaced ones stay open meanwhile, then close). */
export async function ircOn(port: number, base: string, accept: (slot: number) => boolean): Promise<IrcClient> {
  const misplaced: IrcClient[] = [];
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const irc = await IrcClient.connect(port, attempt === 0 ? base : `${base}${attempt}`);
      if (accept(ircSlot(irc))) return irc;
      misplaced.push(irc);
    }
  } finally {
    for (const irc of misplaced) irc.close();
  }
  throw new Error(`no IRC connection landed on a wanted worker`);
}

export const tcpConnector = (port: number) => (): Promise<TcpJsonClient> => TcpJsonClient.connect(port);
export const wsConnector = (port: number) => (): Promise<WsClient> => WsClient.connect(port);

/** Parses Prometheus text: the value of the series `name{labels}` (labels in the order printed), or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** Polls an async `probe` until `done(value)` holds; resolves with the last value (throws on timeout). */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(25);
  }
}
