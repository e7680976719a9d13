/**
 * A private redis-server for the bus bench: its own free port on 127.0.0.1, no persistence,
 * killed with the bench. The shared Redis a developer may run on 6379 is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { kill, track } from './children.js';
import { TMP_DIR } from './paths.js';

export interface PrivateRedis {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  version: string;
  logPath: string;
}

/** Never this one: it may be a shared instance. */
const SHARED_PORT = 6379;

async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (port !== SHARED_PORT) return port;
  }
}

export async function startRedis(binary = 'redis-server'): Promise<PrivateRedis> {
  mkdirSync(TMP_DIR, { recursive: true });
  const port = await freePort();
  const logPath = join(TMP_DIR, `redis-${port}.log`);
  const log = createWriteStream(logPath);
  const child = track(
    spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let version = 'unknown';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s (log: ${logPath})`)), 10_000);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${binary}: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited during startup: ${signal ?? code} (log: ${logPath})`));
      });
      createInterface({ input: child.stderr! }).on('line', (line) => log.write(`[stderr] ${line}\n`));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        log.write(`${line}\n`);
        const v = /Redis version=([\d.]+)/.exec(line);
        if (v !== null) version = v[1]!;
        if (line.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (err) {
    await kill(child);
    throw err;
  }
  return { child, pid: child.pid!, port, url: `redis://127.0.0.1:${port}`, version, logPath };
}
