/**
 * Restarts of a real server process (the compiled CLI) on a SQLite store, under load: after a
 * SIGTERM, a SIGKILL, or a SIGKILL of the cluster primary, every message a sender had acked
 * and every message a member had received is in history with the same seq, ts and text, the
 * stored seqs have no hole, and new messages continue after them (a seq anyone saw is never
 * given again). And a store of a million rows does not load into memory at startup.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerFrame } from '@loopchat/protocol';
import { encodeMsgBody, finishMsgLine } from '@loopchat/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpJsonClient, sleep, waitUntil } from '../helpers/clients.js';
import { childPids, isAlive, killTree, startCluster, type RunningCluster } from '../helpers/cluster.js';
import { fullHistory } from '../helpers/full-history.js';
import { SqliteStore } from '../../src/history/sqlite-store.js';

const ROOMS = ['north', 'south'];
const dirs: string[] = [];
const running: RunningCluster[] = [];
const clients: TcpJsonClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of running.splice(0)) await killTree(server);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopchat-restart-'));
  dirs.push(dir);
  return dir;
}

async function serve(dir: string, workers = 1): Promise<RunningCluster> {
  const server = await startCluster(workers, [
    '--history',
    'sqlite',
    '--data-dir',
    dir,
    '--history-size',
    '100000',
    '--rate',
    '0',
    '--filter',
    'off',
    '--shutdown-timeout-ms',
    '500',
  ]);
  running.push(server);
  return server;
}

async function client(port: number, nick: string, room: string): Promise<TcpJsonClient> {
  const c = await TcpJsonClient.connect(port);
  clients.push(c);
  await c.hello(nick);
  await c.join(room);
  return c;
}

interface Seen {
  seq: number;
  ts?: number;
  text: string;
}

/**
 * Two senders and one listener per room; each sender keeps a window of messages in flight
 * until `stop` says so. Returns, per room, what was acked (seq, text) and delivered (seq,
 * ts, text), read from the clients' inboxes.
 */
async function underLoad(port: number, until: Promise<unknown>): Promise<Map<string, Seen[]>> {
  const senders: { c: TcpJsonClient; room: string; texts: Map<string, string> }[] = [];
  const listeners = new Map<string, TcpJsonClient>();
  for (const room of ROOMS) {
    listeners.set(room, await client(port, `l-${room}`, room));
    for (const i of [1, 2]) senders.push({ c: await client(port, `s${i}-${room}`, room), room, texts: new Map() });
  }
  let stopped = false;
  void until.then(() => (stopped = true));
  let n = 0;
  while (!stopped) {
    for (const s of senders) {
      for (let k = 0; k < 10; k++) {
        const id = `m${n++}`;
        const text = `${s.room} ${id} ${'·'.repeat(n % 50)}`;
        s.texts.set(id, text);
        s.c.send({ type: 'msg', room: s.room, text, id });
      }
    }
    await sleep(10);
  }
  await sleep(200); // whatever was still in the pipes
  const seen = new Map<string, Seen[]>(ROOMS.map((room) => [room, []]));
  for (const s of senders) {
    for (const f of s.c.inbox.items as (ServerFrame & { id?: string; seq?: number })[]) {
      if (f.type === 'ack' && typeof f.id === 'string' && s.texts.has(f.id)) {
        seen.get(s.room)!.push({ seq: f.seq!, text: s.texts.get(f.id)! });
      }
    }
  }
  for (const [room, l] of listeners) {
    for (const f of l.inbox.items) if (f.type === 'msg') seen.get(room)!.push({ seq: f.seq, ts: f.ts, text: f.text });
  }
  return seen;
}

/** The checks after a restart, for every room. */
async function expectAllKept(port: number, seen: Map<string, Seen[]>): Promise<void> {
  for (const room of ROOMS) {
    const reader = await client(port, `r-${room}-${Date.now() % 1000}`, room);
    const stored = await fullHistory(reader, room);
    const acked = seen.get(room)!;
    expect(acked.length, `${room}: some messages were acked before the stop`).toBeGreaterThan(50);
    for (const m of acked) {
      const kept = stored.get(m.seq);
      expect(kept?.text, `${room} seq ${m.seq}`).toBe(m.text);
      if (m.ts !== undefined) expect(kept?.ts, `${room} seq ${m.seq} ts`).toBe(m.ts);
    }
    const seqs = [...stored.keys()].sort((a, b) => a - b);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // no hole, no reuse
    const highest = Math.max(...acked.map((m) => m.seq));
    expect(seqs.length).toBeGreaterThanOrEqual(highest);
    reader.send({ type: 'msg', room, text: 'after the restart', id: 'after' });
    expect(await reader.waitFor({ type: 'ack', id: 'after' })).toMatchObject({ seq: seqs.length + 1 });
  }
}

describe('a restart under load keeps every acknowledged message', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`after ${signal} of a single process`, async () => {
      const dir = tempDir();
      const first = await serve(dir);
      const seen = await underLoad(
        first.tcpPort,
        sleep(1500).then(() => first.child.kill(signal)),
      );
      const exit = await first.exited;
      expect(signal === 'SIGKILL' ? exit.signal : exit.code).toBe(signal === 'SIGKILL' ? 'SIGKILL' : 0);
      running.splice(running.indexOf(first), 1);
      const second = await serve(dir);
      await expectAllKept(second.tcpPort, seen);
    });
  }

  it('after SIGKILL of the cluster primary', async () => {
    const dir = tempDir();
    const first = await serve(dir, 2);
    // Two workers and the history keeper (history-keeper.ts).
    const children = childPids(first.pid);
    expect(children).toHaveLength(3);
    const seen = await underLoad(
      first.tcpPort,
      sleep(1500).then(() => first.child.kill('SIGKILL')),
    );
    await first.exited;
    running.splice(running.indexOf(first), 1);
    // The workers and the keeper leave once their primary is gone; waiting for them keeps
    // their draining off the CPU the next cluster starts on.
    await waitUntil(() => children.every((pid) => !isAlive(pid)), 15_000, 'the orphaned children to exit');
    const second = await serve(dir, 2);
    await expectAllKept(second.tcpPort, seen);
  });
});

describe('read markers', () => {
  /** `nick` joins `room` and gets its stored read marker from the join ack. */
  async function markerAfterJoin(port: number, nick: string, room: string): Promise<number | undefined> {
    const c = await TcpJsonClient.connect(port);
    clients.push(c);
    await c.hello(nick);
    c.send({ type: 'join', room, id: 'j' });
    const ack = (await c.waitFor({ type: 'ack', id: 'j' })) as { read?: number };
    c.close();
    return ack.read;
  }

  async function markRead(c: TcpJsonClient, room: string, seq: number): Promise<void> {
    c.send({ type: 'read', room, seq, id: `r${seq}` });
    await c.waitFor({ type: 'ack', id: `r${seq}` });
  }

  it('are kept in the file: after a SIGTERM, and after a SIGKILL a second after they were written', async () => {
    const dir = tempDir();
    const first = await serve(dir);
    const ann = await client(first.tcpPort, 'ann', 'north');
    for (let i = 1; i <= 5; i++) ann.send({ type: 'msg', room: 'north', text: `m${i}`, id: `m${i}` });
    await ann.waitFor({ type: 'ack', id: 'm5' });
    await markRead(ann, 'north', 3);
    first.child.kill('SIGTERM');
    await first.exited;
    running.splice(running.indexOf(first), 1);

    const second = await serve(dir);
    expect(await markerAfterJoin(second.tcpPort, 'ANN', 'north')).toBe(3);
    expect(await markerAfterJoin(second.tcpPort, 'bob', 'north')).toBeUndefined();
    const again = await client(second.tcpPort, 'ann', 'north');
    await markRead(again, 'north', 5);
    await sleep(2_500); // the store writes markers on its background step, about every second
    second.child.kill('SIGKILL');
    await second.exited;
    running.splice(running.indexOf(second), 1);

    const third = await serve(dir);
    expect(await markerAfterJoin(third.tcpPort, 'ann', 'north')).toBe(5);
  });
});

describe('a large store', () => {
  it('does not load into memory at startup: RSS stays bounded with a million stored messages', async () => {
    const dir = tempDir();
    // Made by the store itself (its schema), then filled directly: a million rows over 1,000 rooms.
    new SqliteStore({ dataDir: dir, historySize: 1000, maxAgeMs: 0, synchronous: 'normal' }).close();
    const db = new Database(join(dir, 'loopchat.db'));
    // Chunks of 10 lines, as a commit of a busy room would write them.
    const insert = db.prepare(
      'INSERT INTO chunks (room, first_seq, last_seq, first_ts, last_ts, lines) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const last = db.prepare('INSERT INTO rooms (room, last_seq) VALUES (?, ?)');
    const text = 'a stored message of about a hundred bytes, as chat lines go; '.repeat(2);
    db.transaction(() => {
      for (let r = 0; r < 1000; r++) {
        const room = `room${r}`;
        for (let first = 1; first <= 1000; first += 10) {
          const lines: Buffer[] = [];
          for (let seq = first; seq < first + 10; seq++)
            lines.push(finishMsgLine(encodeMsgBody(room, 'gen', text), seq, 1_700_000_000_000 + seq));
          insert.run(room, first, first + 9, 1_700_000_000_000 + first, 1_700_000_000_009 + first, Buffer.concat(lines));
        }
        last.run(room, 1000);
      }
    })();
    db.close();
    const fileBytes = statSync(join(dir, 'loopchat.db')).size;
    expect(fileBytes).toBeGreaterThan(150 * 1024 * 1024);

    const server = await serve(dir);
    const reader = await client(server.tcpPort, 'reader', 'room500');
    reader.send({ type: 'history', room: 'room500', limit: 5, id: 'h' });
    const page = (await reader.waitFor({ type: 'history', id: 'h' })) as Extract<ServerFrame, { type: 'history' }>;
    expect(page.messages.map((m) => m.seq)).toEqual([996, 997, 998, 999, 1000]);
    reader.send({ type: 'msg', room: 'room500', text: 'next', id: 'n' });
    expect(await reader.waitFor({ type: 'ack', id: 'n' })).toMatchObject({ seq: 1001 });
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]);
    // A file of ~190 MB; the server holds its page cache (2 MiB by default) and nothing per row.
    expect(rssKiB).toBeLessThan(120 * 1024);
  }, 120_000);
});
