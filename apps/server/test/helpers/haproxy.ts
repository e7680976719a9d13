/**
 * The project's own HAProxy config (infra/haproxy.cfg) run natively for tests: the same
 * file docker-compose mounts, with only its address/port variables set (LB_*_BIND,
 * LOOPCHAT_N_TCP / _HTTP / _CHECK), read from HAProxy's stats CSV to see what it thinks of
 * each server. Debian's `haproxy` package; tests skip without it unless CI is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { httpGet, sleep } from './clients.js';

export const INFRA = fileURLToPath(new URL('../../../../infra/', import.meta.url));
export const HAPROXY_CFG = join(INFRA, 'haproxy.cfg');

/** The absolute path of `name` on PATH (plus the sbin directories Debian puts daemons in). */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * True when a suite needing `binaries` must skip: one is missing and CI is not set (under
 * CI the suite runs and fails, because a CI run that silently skips proves nothing).
 */
export function skipWithout(binaries: string[], install: string): boolean {
  const missing = binaries.filter((b) => findBinary(b) === undefined);
  if (missing.length === 0 || process.env['CI']) return false;
  console.warn(`${missing.join(', ')} not found: skipping (${install}; under CI this runs and fails)`);
  return true;
}

export interface Backend {
  tcpPort: number;
  httpPort: number;
}

export interface ServerStatus {
  /** UP, DOWN, or a transition such as "UP 1/2". */
  status: string;
  /** The last health check's result: L7OK, L4CON (refused), L7STS (bad status), … */
  check: string;
}

export interface RunningHaproxy {
  child: ChildProcess;
  tcpPort: number;
  httpPort: number;
  statsPort: number;
  output: () => string;
  /** Per `backend/server`, from the stats CSV: e.g. {'loopchat_tcp/loopchat-1': {status: 'UP', check: 'L7OK'}}. */
  serverStatus: () => Promise<Record<string, ServerStatus>>;
  stop: () => Promise<void>;
}

/** The environment that points infra/haproxy.cfg at loopback listeners and backends. */
export function haproxyEnv(
  ports: { tcp: number; http: number; stats: number },
  backends: [Backend, Backend],
): Record<string, string> {
  const env: Record<string, string> = {
    LB_TCP_BIND: `127.0.0.1:${ports.tcp}`,
    LB_HTTP_BIND: `127.0.0.1:${ports.http}`,
    LB_STATS_BIND: `127.0.0.1:${ports.stats}`,
  };
  backends.forEach((b, i) => {
    env[`LOOPCHAT_${i + 1}_TCP`] = `127.0.0.1:${b.tcpPort}`;
    env[`LOOPCHAT_${i + 1}_HTTP`] = `127.0.0.1:${b.httpPort}`;
    env[`LOOPCHAT_${i + 1}_CHECK`] = String(b.httpPort);
  });
  return env;
}

/** Starts `haproxy -db -f infra/haproxy.cfg` in front of two backends on free loopback ports. */
export async function startHaproxy(backends: [Backend, Backend]): Promise<RunningHaproxy> {
  const binary = findBinary('haproxy');
  if (binary === undefined) throw new Error('haproxy not found (apt-get install haproxy)');
  const ports = { tcp: await freePort('127.0.0.1'), http: await freePort('127.0.0.1'), stats: await freePort('127.0.0.1') };
  const child = spawn(binary, ['-db', '-f', HAPROXY_CFG], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...haproxyEnv(ports, backends) },
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit');

  const serverStatus = async (): Promise<Record<string, ServerStatus>> => {
    const res = await httpGet(ports.stats, '/stats;csv');
    const [header, ...rows] = res.body.trim().split('\n');
    const columns = (header ?? '').replace(/^# /, '').split(',');
    const status = columns.indexOf('status');
    const check = columns.indexOf('check_status');
    const result: Record<string, ServerStatus> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[1] === 'FRONTEND' || cells[1] === 'BACKEND') continue;
      result[`${cells[0]}/${cells[1]}`] = { status: cells[status] ?? '', check: cells[check] ?? '' };
    }
    return result;
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`);
    try {
      const status = await serverStatus();
      // Servers start UP; a passed HTTP check (L7OK on /readyz) is what proves they are.
      if (Object.keys(status).length === 4 && Object.values(status).every((s) => s.status === 'UP' && s.check === 'L7OK'))
        break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`haproxy did not report every server UP with a passing check:\n${output}`);
    await sleep(50);
  }

  return {
    child,
    tcpPort: ports.tcp,
    httpPort: ports.http,
    statsPort: ports.stats,
    output: () => output,
    serverStatus,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
