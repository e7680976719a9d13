/**
 * The SQLite store under bad conditions, through the compiled CLI (the way an operator meets
 * them): a data dir that cannot be used, a damaged file, a second server on the same file, a
 * full disk at startup and while running. Each is a one-line startup error (exit 1) or
 * `unavailable` frames while it lasts: never a crash, never an ack for a message not stored.
 * The full-disk cases mount a small tmpfs, so they run as root only.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpJsonClient } from '../helpers/clients.js';
import { killTree, runMainToExit, startCluster, type RunningCluster } from '../helpers/cluster.js';
import { skipRedisSuites, startRedis } from '../helpers/redis.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
const mounts: string[] = [];
const running: RunningCluster[] = [];
const clients: TcpJsonClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of running.splice(0)) await killTree(server);
  for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopchat-cond-'));
  dirs.push(dir);
  return dir;
}

/** A tmpfs of `size` at a new directory (root only). */
function smallDisk(size: string): string {
  const dir = tempDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Writes a file until the disk says no more (ENOSPC); returns its path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const chunk = Buffer.alloc(16 * 1024, 1);
  writeFileSync(path, '');
  for (;;) {
    try {
      writeFileSync(path, chunk, { flag: 'a' });
    } catch {
      return path;
    }
  }
}

function runMain(args: string[]): ReturnType<typeof runMainToExit> {
  return runMainToExit(['--tcp-port', '0', '--http-port', '0', '--history', 'sqlite', ...args]);
}

/** Pids of history keepers (history-keeper.ts) running on `dir`, by command line. */
function keepersOf(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes('history-keeper.js') && cmdline.includes(JSON.stringify(dir));
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

async function serve(dir: string, workers = 1): Promise<RunningCluster> {
  const server = await startCluster(workers, ['--history', 'sqlite', '--data-dir', dir, '--rate', '0', '--filter', 'off']);
  running.push(server);
  return server;
}

let nextId = 0;
/** Sends a message; resolves with its answer (an ack or an error). */
async function say(
  client: TcpJsonClient,
  room: string,
  text: string,
): Promise<{ type: string; seq?: number; code?: string }> {
  const id = `m${nextId++}`;
  client.send({ type: 'msg', room, text, id });
  return (await client.waitForAny([
    { type: 'ack', id },
    { type: 'error', id },
  ])) as { type: string; seq?: number };
}

async function seqOf(client: TcpJsonClient, room: string, text: string): Promise<number> {
  const answer = await say(client, room, text);
  expect(answer.type).toBe('ack');
  return answer.seq!;
}

async function member(port: number, nick: string, room: string): Promise<TcpJsonClient> {
  const client = await TcpJsonClient.connect(port);
  clients.push(client);
  await client.hello(nick);
  await client.join(room);
  return client;
}

describe('a history store that cannot start', () => {
  it('names the data dir and the flag when the dir cannot be created', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const run = await runMain(['--data-dir', join(file, 'data')]);
    expect(run.code).toBe(1);
    const line = oneLine(run.stderr);
    expect(line).toContain(join(file, 'data'));
    expect(line).toContain('--data-dir');
  });

  it('names the file when it is not a loopchat history', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loopchat.db'), Buffer.alloc(8192, 'not sqlite'));
    const run = await runMain(['--data-dir', dir]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toMatch(new RegExp(`history file ${join(dir, 'loopchat.db')} is not a loopchat history`));
  });

  it('refuses a second server on the same file, single process and cluster primary alike', async () => {
    const dir = tempDir();
    await serve(dir);
    for (const workers of ['1', '2']) {
      const run = await runMain(['--data-dir', dir, '--workers', workers]);
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toContain(`history file ${join(dir, 'loopchat.db')} is locked by another process`);
    }
  });

  it('leaves no history keeper behind when the cluster cannot bind its port', async () => {
    const dir = tempDir();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      // The keeper inherits the primary's stdio: one left running would also hold this run open.
      const run = await runMain(['--data-dir', dir, '--workers', '2', '--tcp-port', String(port)]);
      expect(run.code).toBe(1);
      expect(oneLine(run.stderr)).toContain(`TCP port ${port} on 127.0.0.1 is already in use`);
    } finally {
      taken.close();
    }
    expect(keepersOf(dir)).toEqual([]);
  });

  it.runIf(isRoot)('names the file when the dir is read-only', async () => {
    const dir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', dir]);
    mounts.push(dir);
    const run = await runMain(['--data-dir', dir]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toContain(dir);
  });

  it.runIf(isRoot)('says so in one line when the disk is full at startup', async () => {
    const disk = smallDisk('256k');
    fillDisk(disk);
    const run = await runMain(['--data-dir', join(disk, 'data')]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toContain(join(disk, 'data'));
  });
});

describe.skipIf(skipRedisSuites())('a cluster on Redis', () => {
  it('never opens the history store (Redis holds history): an unusable --data-dir is no obstacle', async () => {
    const redis = await startRedis();
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    process.env['REDIS_URL'] = redis.url;
    try {
      const server = await startCluster(2, ['--history', 'sqlite', '--data-dir', join(file, 'data')]);
      running.push(server);
      const ann = await member(server.tcpPort, 'ann', 'r');
      expect(await seqOf(ann, 'r', 'hello')).toBe(1);
    } finally {
      delete process.env['REDIS_URL'];
      await redis.stop();
    }
  });
});

describe.runIf(isRoot)('a disk that fills while the server runs', () => {
  it('answers unavailable (no ack) while it is full, stays up, and continues the seqs once there is room', async () => {
    const disk = smallDisk('2m');
    const data = join(disk, 'data');
    mkdirSync(data);
    const server = await serve(data);
    const ann = await member(server.tcpPort, 'ann', 'full');
    const text = 'x'.repeat(1900);
    const acked: number[] = [];
    for (let i = 0; i < 5; i++) acked.push(await seqOf(ann, 'full', `${i} ${text}`));
    expect(acked).toEqual([1, 2, 3, 4, 5]);

    const filler = fillDisk(disk);
    let refused = 0;
    for (let i = 0; i < 200 && refused === 0; i++) {
      const answer = await say(ann, 'full', `full ${i} ${text}`);
      if (answer.type === 'error') {
        expect(answer).toMatchObject({ code: 'unavailable' });
        refused++;
      } else acked.push(answer.seq!);
    }
    expect(refused).toBe(1);
    expect(server.child.exitCode).toBeNull();

    rmSync(filler);
    const next = await seqOf(ann, 'full', 'room again');
    expect(next).toBe(acked.at(-1)! + 1);
    ann.send({ type: 'history', room: 'full', since: 0, limit: 1000, id: 'h' });
    const history = (await ann.waitFor({ type: 'history', id: 'h' })) as { messages: { seq: number }[] };
    expect(history.messages.map((m) => m.seq)).toEqual([...acked, next]);
  });
});
