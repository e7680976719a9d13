/**
 * Issue 14, item 6: SIGKILL under load, judged by the load generator's own accounting. A real
 * server process (the compiled CLI, `--history sqlite`, a temp data dir) takes load from the
 * real loadgen (`apps/loadgen/dist/cli.js run`), which writes every message the server acked
 * to `--acked-log`. The server, or the cluster primary, is killed with SIGKILL mid-load and
 * started again on the same data dir. Then every acked message is in its room's history with
 * its seq, id, sender and text; each room's stored seqs run 1..N with no hole; and a new
 * message gets N+1 (no seq is given twice).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpJsonClient, sleep, waitUntil } from '../helpers/clients.js';
import { childPids, isAlive, killTree, startCluster, type RunningCluster } from '../helpers/cluster.js';
import { fullHistory } from '../helpers/full-history.js';

const LOADGEN = fileURLToPath(new URL('../../../loadgen/dist/cli.js', import.meta.url));
/** How long the schedule runs before the kill. */
const KILL_AFTER_MS = 1500;

/** One line of the loadgen's --acked-log (apps/loadgen/src/engine/acked-ledger.ts). */
interface Acked {
  room: string;
  seq: number;
  id: number;
  from: string;
  text: string;
}

const dirs: string[] = [];
const servers: RunningCluster[] = [];
const clients: TcpJsonClient[] = [];
const loadgens: ChildProcess[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const l of loadgens.splice(0)) if (l.exitCode === null) l.kill('SIGKILL');
  for (const server of servers.splice(0)) await killTree(server);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function serve(dir: string, workers: number): Promise<RunningCluster> {
  const server = await startCluster(workers, [
    ...['--history', 'sqlite', '--data-dir', dir, '--history-size', '100000'],
    // The loadgen's senders send steadily: no per-connection rate limit, no flood rule.
    ...['--rate', '0', '--filter', 'off'],
  ]);
  servers.push(server);
  return server;
}

/**
 * Starts the loadgen against `port` (40 connections in 8 rooms, every member a sender, 1,500
 * msg/s), SIGKILLs `victim` KILL_AFTER_MS into the schedule, then stops the loadgen, which
 * drains, writes its acked log and exits. Returns the log's lines.
 */
async function loadThenKill(port: number, victim: RunningCluster, ackedLog: string): Promise<Acked[]> {
  const loadgen = fork(
    LOADGEN,
    [
      'run',
      ...['--tcp', `127.0.0.1:${port}`, '-c', '40', '--rooms', '8', '--rate', '1500'],
      ...['--duration', '20s', '--warmup', '0s', '--drain', '1s', '--connect-timeout', '5s'],
      ...['--acked-log', ackedLog, '-q', '--no-progress'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  loadgens.push(loadgen);
  let stderr = '';
  loadgen.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(loadgen, 'exit');
  const [phase] = (await Promise.race([
    once(loadgen, 'message', { signal: AbortSignal.timeout(15_000) }),
    exited.then(() => {
      throw new Error(`the loadgen exited before its schedule: ${stderr}`);
    }),
  ])) as [{ loadgen: string; startInMs?: number; ok?: number }];
  // The first phase event is `connected`; the schedule follows at once.
  expect(phase).toMatchObject({ loadgen: 'connected', ok: 40 });
  await sleep(300 + KILL_AFTER_MS);
  victim.child.kill('SIGKILL');
  await victim.exited;
  servers.splice(servers.indexOf(victim), 1);
  loadgen.send({ loadgen: 'stop' });
  await exited;
  expect(existsSync(ackedLog), `the loadgen wrote its acked log; stderr: ${stderr}`).toBe(true);
  return readFileSync(ackedLog, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Acked);
}

/** After the restart: every acked message kept as acked, seqs 1..N, the next one N+1. */
async function expectAckedKept(port: number, acked: Acked[]): Promise<void> {
  const rooms = new Map<string, Acked[]>();
  for (const a of acked) rooms.set(a.room, [...(rooms.get(a.room) ?? []), a]);
  expect(rooms.size).toBe(8);
  for (const [room, list] of rooms) {
    const reader = await TcpJsonClient.connect(port);
    clients.push(reader);
    await reader.hello(`check-${room}`);
    await reader.join(room);
    const stored = await fullHistory(reader, room);
    const kept = list.map((a) => {
      const m = stored.get(a.seq);
      return { seq: a.seq, id: m?.id, from: m?.from, text: m?.text };
    });
    expect(kept, `${room}: every acked message, as acked`).toEqual(
      list.map((a) => ({ seq: a.seq, id: a.id, from: a.from, text: a.text })),
    );
    const seqs = [...stored.keys()].sort((a, b) => a - b);
    expect(seqs, `${room}: stored seqs 1..N, no hole`).toEqual(seqs.map((_, i) => i + 1));
    reader.send({ type: 'msg', room, text: 'after the kill', id: 'after' });
    expect(await reader.waitFor({ type: 'ack', id: 'after' }), `${room}: the next seq`).toMatchObject({
      seq: seqs.length + 1,
    });
  }
}

describe('SIGKILL under load, by the loadgen’s accounting: no acked message lost, seqs continue', () => {
  it('of a single process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopchat-kill-'));
    dirs.push(dir);
    const first = await serve(dir, 1);
    const acked = await loadThenKill(first.tcpPort, first, join(dir, 'acked.jsonl'));
    console.log(`SIGKILL of a single process: ${acked.length} messages acked before the kill`);
    expect(acked.length, 'messages acked before the kill').toBeGreaterThan(500);
    const second = await serve(dir, 1);
    await expectAckedKept(second.tcpPort, acked);
  }, 60_000);

  it('of the cluster primary (--workers 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopchat-kill-'));
    dirs.push(dir);
    const first = await serve(dir, 2);
    // Two workers and the history keeper (history-keeper.ts).
    const children = childPids(first.pid);
    expect(children).toHaveLength(3);
    const acked = await loadThenKill(first.tcpPort, first, join(dir, 'acked.jsonl'));
    console.log(`SIGKILL of the cluster primary: ${acked.length} messages acked before the kill`);
    expect(acked.length, 'messages acked before the kill').toBeGreaterThan(500);
    // The workers and the keeper leave once their primary is gone; waiting for them keeps
    // their draining off the CPU the next cluster starts on.
    await waitUntil(() => children.every((pid) => !isAlive(pid)), 15_000, 'the orphaned children to exit');
    const second = await serve(dir, 2);
    await expectAckedKept(second.tcpPort, acked);
  }, 60_000);
});
