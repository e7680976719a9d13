/**
 * The servers under test, each started as its own child process so its CPU and RSS can be
 * read from /proc/<pid> and nothing of the bench runs inside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { kill, track } from './children.js';
import { GC_HOOK, LOOPCHAT_MAIN, PEERS_DIR, TMP_DIR } from './paths.js';
import { commandLine, processTree } from './proc.js';
import { nowUs, sleep } from './clock.js';

export type Transport = 'tcp' | 'ws';

export type ServerId =
  'bare-net' | 'loopchat-tcp' | 'loopchat-ws' | 'naive-ws' | 'naive-net' | 'write-floor-net' | 'socketio';

export interface ServerKind {
  id: ServerId;
  label: string;
  script: string;
  args: string[];
  transport: Transport;
  /** What the bench's own client workers say (Socket.IO is driven by the loadgen only, never by them). */
  handshake: 'chat' | 'none';
  isLoopchat: boolean;
}

/** Rate limiting off: the bench sender sends hundreds of messages per second on one connection. */
const LOOPCHAT_ARGS = ['--tcp-port', '0', '--http-port', '0', '--rate', '0'];

/** A peer under test: `peers/<id>.js`, no flags. */
function peer(id: ServerId, label: string, transport: Transport, handshake: ServerKind['handshake'] = 'chat'): ServerKind {
  return { id, label, script: join(PEERS_DIR, `${id}.js`), args: [], transport, handshake, isLoopchat: false };
}

function loopchat(id: ServerId, label: string, transport: Transport): ServerKind {
  return { id, label, script: LOOPCHAT_MAIN, args: LOOPCHAT_ARGS, transport, handshake: 'chat', isLoopchat: true };
}

export const SERVER_KINDS: Record<ServerId, ServerKind> = {
  'bare-net': peer('bare-net', 'bare node:net (floor)', 'tcp', 'none'),
  'loopchat-tcp': loopchat('loopchat-tcp', 'loopchat TCP JSON', 'tcp'),
  'loopchat-ws': loopchat('loopchat-ws', 'loopchat WebSocket', 'ws'),
  'naive-ws': peer('naive-ws', 'naive ws broadcast', 'ws'),
  'naive-net': peer('naive-net', 'naive node:net broadcast', 'tcp'),
  'write-floor-net': peer('write-floor-net', 'one write per delivery (node:net floor)', 'tcp'),
  socketio: peer('socketio', 'Socket.IO 4 rooms', 'ws', 'none'),
};

export interface RunningServer {
  kind: ServerKind;
  child: ChildProcess;
  pid: number;
  tcpPort: number;
  httpPort: number;
  /** The command line, for the report. */
  args: string[];
  logPath: string;
  /** Log lines at warn level or above, and anything on stderr. */
  notes: string[];
  /** What lib/gc-hook.js reported after each forced GC. */
  gcReports: GcReport[];
}

/** process.memoryUsage() of a server process right after a forced full GC, bytes. */
export interface GcReport {
  pid: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Resident bytes of V8's young generation (new space): empty after the GC, sized by V8's own heuristics. */
  newSpace: number;
  /** Resident old-space bytes not used by live objects after the GC (fragmentation V8 did not compact). */
  oldSpaceFree: number;
}

let serial = 0;

/** Starts `kind` and resolves once it prints its "listening" line (with the ports). */
export interface StartOptions {
  /** Extra server flags. */
  args?: string[];
  /** Preload lib/gc-hook.js with --expose-gc: SIGUSR2 then runs a full GC (see forceGc). */
  gcHook?: boolean;
  /** Extra environment (e.g. REDIS_URL of a private redis-server). */
  env?: Record<string, string>;
  /** A name for the log file, after the server id. */
  tag?: string;
}

export async function startServer(kind: ServerKind, options: StartOptions = {}): Promise<RunningServer> {
  mkdirSync(TMP_DIR, { recursive: true });
  const tag = options.tag === undefined ? '' : `-${options.tag.replace(/[^\w.-]+/g, '_')}`;
  const logPath = join(TMP_DIR, `${String(++serial).padStart(3, '0')}-${kind.id}${tag}.log`);
  const log = createWriteStream(logPath);
  // RATE_PER_SECOND too: early builds ignored `--rate` (commander named it `rate`, not
  // `ratePerSecond`). Either way the welcome is checked below. A REDIS_URL or WORKERS from
  // the bench's own environment must not leak into a server under test (a shared Redis!):
  // only what the scenario passes in `env`.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['REDIS_URL'];
  delete env['WORKERS'];
  if (kind.isLoopchat) env['RATE_PER_SECOND'] = '0';
  Object.assign(env, options.env ?? {});
  const args = [...kind.args, ...(options.args ?? [])];
  // loopchat keeps history in SQLite under ./data by default: each server under test gets a
  // fresh data dir of its own instead (no history carried from run to run, no two servers on
  // one locked file).
  if (kind.isLoopchat && !args.includes('--data-dir')) args.push('--data-dir', join(TMP_DIR, `data-${serial}`));
  const nodeFlags = options.gcHook === true ? ['--expose-gc', '--import', pathToFileURL(GC_HOOK).href] : [];
  // LOOPCHAT_BENCH_SERVER_FLAGS: extra node flags for the server under test (e.g. --cpu-prof).
  nodeFlags.push(...(process.env['LOOPCHAT_BENCH_SERVER_FLAGS'] ?? '').split(' ').filter(Boolean));
  const child = track(
    spawn(process.execPath, [...nodeFlags, kind.script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env }),
  );
  const notes: string[] = [];
  const stderr = createInterface({ input: child.stderr! });
  const gcReports: GcReport[] = [];
  stderr.on('line', (line) => {
    log.write(`[stderr] ${line}\n`);
    if (line.startsWith('{"benchGc":')) {
      gcReports.push((JSON.parse(line) as { benchGc: GcReport }).benchGc);
      return;
    }
    if (notes.length < 50) notes.push(`stderr: ${line.slice(0, 300)}`);
  });
  const stdout = createInterface({ input: child.stdout! });
  try {
    const ports = await new Promise<{ tcp: number; http: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind.id} did not start within 20 s (log: ${logPath})`)), 20_000);
      child.once('exit', (code, signal) => {
        // Let the last stderr lines (the reason, usually) arrive before quoting them.
        setTimeout(() => {
          const why = notes.slice(-3).join(' / ');
          reject(
            new Error(
              `${kind.id} exited during startup: ${signal ?? code}${why === '' ? '' : `: ${why}`} (log: ${logPath})`,
            ),
          );
        }, 100);
      });
      stdout.on('line', (line) => {
        log.write(`${line}\n`);
        let parsed: { level?: number; msg?: string; tcp?: { port?: number }; http?: { port?: number } } | undefined;
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          return;
        }
        // The development-mode warning (no AUTH_SECRET) is expected of every bench server: not a finding.
        const expected = parsed?.msg?.startsWith('AUTH_SECRET and AUTH_PUBLIC_KEY unset') === true;
        if ((parsed?.level ?? 0) >= 40 && !expected && notes.length < 50) notes.push(line.slice(0, 300));
        if (parsed?.msg?.includes('listening') === true) {
          clearTimeout(timer);
          resolve({ tcp: parsed.tcp?.port ?? 0, http: parsed.http?.port ?? 0 });
        }
      });
    });
    const pid = child.pid!;
    // CPU and RSS are read from /proc/<pid>: make sure that pid is the server itself.
    if (!commandLine(pid).includes(kind.script)) throw new Error(`pid ${pid} is not ${kind.script}: ${commandLine(pid)}`);
    const port = kind.transport === 'tcp' ? ports.tcp : ports.http;
    if (!port) throw new Error(`${kind.id} reported no ${kind.transport} port`);
    if (kind.isLoopchat) {
      const welcome = await probeWelcome(ports.tcp);
      if (welcome.limits?.messagesPerSecond !== 0) {
        throw new Error(
          `loopchat still rate-limits (welcome.limits.messagesPerSecond = ${welcome.limits?.messagesPerSecond}); the bench needs it off`,
        );
      }
    }
    return {
      kind,
      child,
      pid,
      tcpPort: ports.tcp,
      httpPort: ports.http,
      args,
      logPath,
      notes,
      gcReports,
    };
  } catch (err) {
    await kill(child);
    throw err;
  }
}

/**
 * Full GC in every process of a server started with `gcHook`; resolves, once each has
 * reported and RSS has had a moment to follow, with their memoryUsage() summed.
 */
export async function forceGc(server: RunningServer): Promise<GcReport> {
  const pids = processTree(server.pid);
  const from = server.gcReports.length;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      // exited
    }
  }
  const deadlineUs = nowUs() + 5e6;
  while (server.gcReports.length - from < pids.length && nowUs() < deadlineUs) await sleep(20);
  await sleep(500);
  const fresh = server.gcReports.slice(from);
  if (fresh.length === 0) throw new Error(`${server.kind.id} did not answer the forced GC (is lib/gc-hook.js preloaded?)`);
  const total: GcReport = { pid: server.pid, rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0, newSpace: 0, oldSpaceFree: 0 };
  for (const r of fresh) {
    total.rss += r.rss;
    total.heapTotal += r.heapTotal;
    total.heapUsed += r.heapUsed;
    total.external += r.external;
    total.arrayBuffers += r.arrayBuffers;
    total.newSpace += r.newSpace ?? 0;
    total.oldSpaceFree += r.oldSpaceFree ?? 0;
  }
  return total;
}

interface Welcome {
  type: string;
  limits?: { messagesPerSecond?: number };
}

/** Says hello on a throwaway TCP connection and returns the welcome (read with JSON.parse: not the hot path). */
function probeWelcome(port: number): Promise<Welcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no welcome within 10 s')));
    socket.on('connect', () => socket.write(`${JSON.stringify({ type: 'hello', nick: 'benchprobe' })}\n`));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl === -1) return;
      socket.destroy();
      try {
        resolve(JSON.parse(text.slice(0, nl)) as Welcome);
      } catch (err) {
        reject(err as Error);
      }
    });
    socket.on('error', reject);
  });
}

/** GET /stats from a loopchat server (a fresh connection, closed after). */
export async function fetchStats(server: RunningServer): Promise<LoopchatStats> {
  return JSON.parse(await httpGet(server.httpPort, '/stats')) as LoopchatStats;
}

/** GET `path` on 127.0.0.1:`port`; rejects on a status other than 200. */
export function httpGet(port: number, path: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
        else resolve(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The parts of loopchat's GET /stats the bench checks. */
export interface LoopchatStats {
  /** The process's own; a cluster's aggregate has none (see perWorker). */
  pid: number;
  /** Cluster mode: each worker's own /stats. */
  perWorker?: { pid: number }[];
  connections: { total: number; tcp: number; ws: number };
  nicks: number;
  rooms: { total: number; active: number; memberships: number };
  traffic: {
    deliveries: number;
    framesIn: Record<string, number>;
    framesOut: Record<string, number>;
    drops: Record<string, number>;
    disconnects: Record<string, number>;
    /** Not in a cluster's aggregate. */
    refused?: Record<string, number>;
  };
  process: { rssBytes: number; heapUsedBytes: number; eventLoopDelayMs?: unknown };
}
