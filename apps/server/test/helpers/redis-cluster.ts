/**
 * A real 3-node Redis Cluster on loopback for the cluster bus tests (issue 5, "Going past one
 * Redis"): three `redis-server --cluster-enabled yes` (no persistence, no replicas) in a temp
 * dir, joined with `redis-cli --cluster create`, ready once CLUSTER INFO says cluster_state:ok.
 * Skipped with a message when redis-server or redis-cli is missing, unless CI is set.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export const CLUSTER_SKIP_MESSAGE =
  'redis-server or redis-cli not found: skipping the Redis Cluster bus tests (under CI they run and fail)';

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when the cluster suite must skip (no redis-server/redis-cli, not under CI); says why. */
export function skipClusterSuites(): boolean {
  if ((onPath('redis-server') !== undefined && onPath('redis-cli') !== undefined) || process.env['CI']) return false;
  console.warn(CLUSTER_SKIP_MESSAGE);
  return true;
}

export interface TestRedisCluster {
  /** `127.0.0.1:<port>` of each master. */
  readonly nodes: readonly string[];
  /** Runs redis-cli against the first node (e.g. `cluster`, `keyslot`, key). */
  cli(...args: string[]): Promise<string>;
  /** Kills the three redis-servers and removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts the cluster; a second time on fresh ports if the first did not come up (a port picked
 * free that another test's process took before its redis-server bound it; a 2-core machine busy
 * with the rest of the suite, gossip slower than the wait).
 */
export async function startRedisCluster(size = 3): Promise<TestRedisCluster> {
  try {
    return await startOnce(size);
  } catch (err) {
    if (err instanceof Error && err.message === CLUSTER_SKIP_MESSAGE) throw err;
    return startOnce(size);
  }
}

async function startOnce(size: number): Promise<TestRedisCluster> {
  const server = onPath('redis-server');
  const cli = onPath('redis-cli');
  if (server === undefined || cli === undefined) throw new Error(CLUSTER_SKIP_MESSAGE);
  const dir = mkdtempSync(join(tmpdir(), 'loopchat-redis-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.splice(0).map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    // Distinct ports: a port just released can be the next one picked.
    const picked = new Set<number>();
    const pick = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (picked.has(port)) continue;
        picked.add(port);
        return port;
      }
    };
    for (let i = 0; i < size; i++) {
      // Its own cluster bus port too (the default, port + 10000, may be taken or past 65535).
      const [port, busPort] = [await pick(), await pick()];
      ports.push(port);
      const child = spawn(
        server,
        [
          '--port', String(port),
          '--cluster-port', String(busPort),
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '2000',
          '--save', '',
          '--appendonly', 'no',
          '--bind', '127.0.0.1',
          '--dir', dir,
        ], // prettier-ignore
        { stdio: 'ignore' },
      );
      children.push(child);
      process.once('exit', () => child.kill('SIGKILL'));
    }
    const redisCli = async (port: number, ...args: string[]): Promise<string> =>
      (await run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;
    for (const port of ports) await until(async () => (await redisCli(port, 'ping').catch(() => '')).includes('PONG'));
    await run(
      cli,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 15_000,
      },
    );
    for (const port of ports)
      await until(async () => (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'), 30_000);
    return {
      nodes: ports.map((p) => `127.0.0.1:${p}`),
      cli: (...args) => redisCli(ports[0]!, ...args),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('Redis Cluster did not come up in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
