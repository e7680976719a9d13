/**
 * Starts loopchat (apps/server/dist/main.js) as a child process for `scale`, on ephemeral
 * ports, and resolves once it logs its "listening" line with the ports (in cluster mode
 * the primary logs it once every worker listens). Rate limiting and moderation are off:
 * a scale probe sends many messages per connection per second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LoadgenError } from '../errors.js';

export const LOOPCHAT_MAIN = fileURLToPath(new URL('../../../server/dist/main.js', import.meta.url));

export interface LaunchedServer {
  child: ChildProcess;
  pid: number;
  tcpPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

export async function launchLoopchat(
  workers: number,
  extraArgs: readonly string[] = [],
  main = LOOPCHAT_MAIN,
): Promise<LaunchedServer> {
  if (!existsSync(main)) throw new LoadgenError('LG_SERVER_START', `${main} not found: run "npx tsc -b" first`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A REDIS_URL or WORKERS from our environment must not leak into the server under test.
  delete env['REDIS_URL'];
  delete env['REDIS_CLUSTER_NODES'];
  delete env['WORKERS'];
  const args = [
    main,
    '--tcp-port',
    '0',
    '--http-port',
    '0',
    '--rate',
    '0',
    '--filter',
    'off',
    '--workers',
    String(workers),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.length < 20 && stderr.push(l));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ports = await new Promise<{ tcp: number; http: number }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new LoadgenError('LG_SERVER_START', 'loopchat did not start within 20 s')),
        20_000,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        setTimeout(
          () => reject(new LoadgenError('LG_SERVER_START', `loopchat exited (${code}): ${stderr.slice(-3).join(' / ')}`)),
          100,
        );
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let parsed: { msg?: string; tcp?: { port?: number }; http?: { port?: number } };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          return;
        }
        if (parsed.msg?.includes('listening') === true && parsed.tcp?.port !== undefined) {
          clearTimeout(timer);
          resolve({ tcp: parsed.tcp.port, http: parsed.http?.port ?? 0 });
        }
      });
    });
    return { child, pid: child.pid!, tcpPort: ports.tcp, httpPort: ports.http, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
