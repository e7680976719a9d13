/**
 * A real Redis for the Redis-bus tests (issue 3: "Tests use a real Redis").
 *
 *   redis-server on PATH   each test file spawns its own `redis-server` on a free loopback
 *                          port (no persistence, unless `{persistent: true}`: AOF), so it can
 *                          stop it and start it again on the same port to stage an outage;
 *                          servers use the default key prefix
 *   else REDIS_URL         an existing Redis is shared: every test file gets a unique key
 *                          prefix, and servers reach Redis through a local TCP proxy, so that
 *                          stop()/restart() can cut and restore the connection without touching
 *                          the shared server; stop() deletes this file's keys (what a Redis
 *                          restarted without persistence would have lost) and nothing else
 *   neither                the suites skip with a message, unless CI is set: then they run and
 *                          fail, because a CI run that silently skips them proves nothing
 *
 * Never FLUSHALL/FLUSHDB: with REDIS_URL the Redis belongs to someone else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { RedisBus } from '../../src/bus/redis-bus.js';
import { resolveConfig, type Config } from '../../src/config.js';
import { startServer, type LoopchatServer } from '../../src/server.js';
import { startTestServer } from './server.js';
import { freePort } from './free-port.js';

export const SKIP_MESSAGE =
  'redis-server not found: skipping Redis bus tests (install redis-server or set REDIS_URL; under CI they run and fail)';

/** The key prefix RedisBus uses when none is given (servers started from REDIS_URL alone). */
export const DEFAULT_PREFIX = 'loopchat:';

export type RedisMode = 'spawn' | 'external' | 'none';

/** The absolute path of `redis-server` on PATH, if any. */
export function redisServerBinary(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** How this machine can give the tests a Redis: a spawned redis-server first, else REDIS_URL. */
export function redisMode(): RedisMode {
  if (redisServerBinary() !== undefined) return 'spawn';
  if ((process.env['REDIS_URL'] ?? '') !== '') return 'external';
  return 'none';
}

export function redisAvailable(): boolean {
  return redisMode() !== 'none';
}

/**
 * True when a Redis suite must skip: no Redis and not under CI (where it must run and fail).
 * Prints the reason once per file, so a skipped run says why.
 */
export function skipRedisSuites(): boolean {
  if (redisAvailable() || process.env['CI']) return false;
  console.warn(SKIP_MESSAGE);
  return true;
}

export interface TestRedis {
  /** What servers connect to (the spawned Redis, or the proxy in front of REDIS_URL). */
  readonly url: string;
  readonly port: number;
  readonly mode: Exclude<RedisMode, 'none'>;
  /** The key prefix the servers of this file use (keys are `<prefix>nick:<lower>`, …). */
  readonly prefix: string;
  /** Takes Redis away: kills the spawned redis-server (SIGKILL), or cuts the proxy. Idempotent. */
  stop(): Promise<void>;
  /**
   * stop(), then (after `downMs`, default 0) Redis again on the same port, accepting
   * connections: empty, unless started with `{persistent: true}`.
   */
  restart(downMs?: number): Promise<void>;
  /** A raw ioredis connection to the real Redis (the caller quits it). */
  client(): Redis;
}

export interface StartRedisOptions {
  /**
   * Data survives restart(): a spawned redis-server runs with AOF (`appendonly yes`,
   * `appendfsync always`, so whatever Redis answered is in the file before the answer
   * leaves); behind REDIS_URL, restart() cuts the proxy without deleting this file's keys.
   * @default false
   */
  persistent?: boolean;
}

/** A spawned Redis, or one in front of REDIS_URL; throws (so a CI suite fails) when there is none. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const mode = redisMode();
  const persistent = options.persistent ?? false;
  if (mode === 'spawn') return startSpawned(redisServerBinary()!, persistent);
  if (mode === 'external') return startProxied(process.env['REDIS_URL']!, persistent);
  throw new Error('no Redis for the Redis bus tests: install redis-server (on PATH) or set REDIS_URL');
}

/**
 * A loopchat server on `redis` (ephemeral ports, silent log, moderation off: see
 * startTestServer). With a spawned Redis this is exactly startTestServer({redisUrl}), the
 * path production takes; with REDIS_URL the bus is built here, because only it takes a prefix.
 */
export async function startRedisTestServer(redis: TestRedis, overrides: Partial<Config> = {}): Promise<LoopchatServer> {
  if (redis.prefix === DEFAULT_PREFIX) return startTestServer({ ...overrides, redisUrl: redis.url });
  const config = resolveConfig({
    tcpPort: 0,
    httpPort: 0,
    logLevel: 'silent',
    shutdownTimeoutMs: 1000,
    filter: 'off',
    ...overrides,
    redisUrl: redis.url,
  });
  const log = pino({ level: process.env['TEST_LOG_LEVEL'] ?? config.logLevel });
  const bus = new RedisBus({
    url: redis.url,
    historySize: config.historySize,
    log,
    prefix: redis.prefix,
    roomOps: config.roomOps,
  });
  await bus.connect();
  return startServer(config, log, { bus });
}

// ── spawned redis-server ────────────────────────────────────────────────────────────

/** Every redis-server this process started and has not seen exit: killed if the process exits. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function startSpawned(binary: string, persistent: boolean): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'loopchat-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await spawnRedis(binary, port, dir, persistent);
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running !== undefined) await kill(running);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    mode: 'spawn',
    prefix: DEFAULT_PREFIX,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0) {
      await stop();
      if (downMs > 0) await sleep(downMs);
      mkdirSync(dir, { recursive: true });
      // The port was ours a moment ago; retry briefly in case the kernel holds it.
      const deadline = Date.now() + 3000;
      for (;;) {
        try {
          child = await spawnRedis(binary, port, dir, persistent);
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(50);
        }
      }
    },
    client: () => new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: false, maxRetriesPerRequest: 1 }),
  };
}

/** Spawns redis-server on `port` and resolves once it answers PING (after loading its AOF, if any). */
async function spawnRedis(binary: string, port: number, dir: string, persistent = false): Promise<ChildProcess> {
  const aof = persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...aof, '--dir', dir, '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    children.delete(child);
  });
  const deadline = Date.now() + 5000;
  while (!(await pingOk(port))) {
    if (exited || Date.now() > deadline) {
      await kill(child);
      throw new Error(`redis-server on port ${port} did not start:\n${output.slice(-2000)}`);
    }
    await sleep(20);
  }
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** True when something on `port` answers a raw `PING` with `+PONG`. */
function pingOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

// ── REDIS_URL behind a proxy ────────────────────────────────────────────────────────

async function startProxied(realUrl: string, persistent = false): Promise<TestRedis> {
  const target = new URL(realUrl);
  const targetHost = target.hostname || '127.0.0.1';
  const targetPort = Number(target.port || 6379);
  const prefix = `loopchat-test-${randomBytes(6).toString('hex')}:`;
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const listen = async (port: number): Promise<number> => {
    const s = createServer((inbound) => {
      const outbound = connect(targetPort, targetHost);
      sockets.add(inbound).add(outbound);
      const drop = (): void => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
      };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    s.listen(port, '127.0.0.1');
    await once(s, 'listening');
    server = s;
    return (s.address() as { port: number }).port;
  };

  const port = await listen(0);
  const proxied = new URL(realUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  const client = (): Redis => new Redis(realUrl, { maxRetriesPerRequest: 1 });

  const cut = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s !== undefined) {
      const closed = once(s, 'close');
      s.close();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    }
  };
  const stop = async (): Promise<void> => {
    await cut();
    await deleteKeys(client, prefix);
  };

  return {
    url: proxied.toString(),
    port,
    mode: 'external',
    prefix,
    stop,
    async restart(downMs = 0) {
      // A persistent Redis keeps its data over a restart: only the connection is cut.
      await (persistent ? cut() : stop());
      if (downMs > 0) await sleep(downMs);
      await listen(port);
    },
    client,
  };
}

/** Deletes this file's keys (SCAN MATCH prefix*), never anything else. */
async function deleteKeys(client: () => Redis, prefix: string): Promise<void> {
  const redis = client();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

// ── misc ────────────────────────────────────────────────────────────────────────────

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Two hosts on one Redis, for the tests of one describe block: `a` and `b` are set in its beforeAll. */
export interface TwoHosts {
  readonly a: LoopchatServer;
  readonly b: LoopchatServer;
}

/**
 * Starts a Redis and two loopchat hosts on it before the describe block's tests (beforeAll)
 * and stops them after (afterAll); `overrides` go to both.
 */
export function twoRedisHosts(overrides: Partial<Config> = {}): TwoHosts {
  let redis: TestRedis | undefined;
  const hosts: { a?: LoopchatServer; b?: LoopchatServer } = {};
  beforeAll(async () => {
    redis = await startRedis();
    hosts.a = await startRedisTestServer(redis, { ...overrides, serverName: 'host-a' });
    hosts.b = await startRedisTestServer(redis, { ...overrides, serverName: 'host-b' });
  });
  afterAll(async () => {
    await Promise.allSettled([hosts.a?.close(), hosts.b?.close()]);
    await redis?.stop();
  });
  return {
    get a() {
      return hosts.a!;
    },
    get b() {
      return hosts.b!;
    },
  };
}
