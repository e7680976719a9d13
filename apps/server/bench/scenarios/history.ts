/**
 * The history part (issue 14): what durable history costs a single process. The same
 * loopchat build is started with `--history memory` and with `--history sqlite` (a fresh data
 * dir each time; `--history-sync normal`, the default, and `full` when asked), and driven to
 * saturation by closed-loop TCP JSON senders: R rooms × M members, every member keeping W
 * messages in flight (a new one as each ack comes back). After the warm-up, a window:
 *
 *   msgs/s       acks counted in the window (the server's publish throughput)
 *   ack p50/p99  send → ack, as the sender sees it (with SQLite: the wait for the turn's commit)
 *   commit       p50/p99 of the store's commit durations (/stats, the last 4,096 commits) and
 *                messages per commit (group commit: one transaction per event-loop turn)
 *   server µs    server CPU per acked message (/proc/<pid>/stat over the window)
 *
 * The driver runs in the bench process (cheap: it finds acks by their prefix and reads the
 * id, never parsing JSON), so on a small machine it shares the cores with the server; both
 * modes see the same driver, and the ratio is the figure to read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowUs, sleep } from '../lib/clock.js';
import { treeCpuSeconds } from '../lib/proc.js';
import { kill } from '../lib/children.js';
import { SERVER_KINDS, fetchStats, startServer } from '../lib/servers.js';

export type HistoryMode = 'memory' | 'sqlite' | 'sqlite-full';
export const HISTORY_MODES: HistoryMode[] = ['memory', 'sqlite', 'sqlite-full'];

export interface HistoryOptions {
  rooms: number;
  members: number;
  outstanding: number;
  warmupS: number;
  durationS: number;
}

export interface HistoryResult {
  mode: HistoryMode;
  msgsPerSecond: number;
  ackP50Ms: number;
  ackP99Ms: number;
  commitP50Ms: number | null;
  commitP99Ms: number | null;
  msgsPerCommit: number | null;
  serverUsPerMsg: number;
}

interface Sender {
  socket: Socket;
  room: string;
  sentAt: Map<number, number>;
  nextId: number;
  buffer: string;
}

const ACK = '{"type":"ack","id":';
const ERROR = '{"type":"error"';

export async function runHistory(mode: HistoryMode, o: HistoryOptions): Promise<HistoryResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loopchat-bench-history-'));
  // Moderation off: its flood rule would refuse a closed loop's senders (the filter's cost is the filter part's).
  const args = [
    '--history',
    mode === 'memory' ? 'memory' : 'sqlite',
    '--data-dir',
    dataDir,
    '--rate',
    '0',
    '--filter',
    'off',
  ];
  if (mode === 'sqlite-full') args.push('--history-sync', 'full');
  const server = await startServer(SERVER_KINDS['loopchat-tcp'], { args, tag: `history-${mode}` });
  const senders: Sender[] = [];
  let measuring = false;
  let acked = 0;
  const latenciesUs: number[] = [];
  try {
    for (let r = 0; r < o.rooms; r++) {
      for (let m = 0; m < o.members; m++) senders.push(await joined(server.tcpPort, `h${r}m${m}`, `room${r}`));
    }
    const text = 'x'.repeat(120);
    const send = (s: Sender): void => {
      const id = s.nextId++;
      s.sentAt.set(id, nowUs());
      s.socket.write(`{"type":"msg","room":"${s.room}","text":"${text}","id":${id}}\n`);
    };
    for (const s of senders) {
      s.socket.on('data', (chunk: string) => {
        s.buffer += chunk;
        let nl: number;
        while ((nl = s.buffer.indexOf('\n')) !== -1) {
          const line = s.buffer.slice(0, nl);
          s.buffer = s.buffer.slice(nl + 1);
          if (line.startsWith(ERROR)) throw new Error(`${s.room}: ${line}`);
          if (!line.startsWith(ACK)) continue;
          const id = Number.parseInt(line.slice(ACK.length), 10);
          const at = s.sentAt.get(id);
          if (at === undefined) continue;
          s.sentAt.delete(id);
          if (measuring) {
            acked++;
            latenciesUs.push(nowUs() - at);
          }
          send(s);
        }
      });
      for (let i = 0; i < o.outstanding; i++) send(s);
    }
    await sleep(o.warmupS * 1000);
    const before = await fetchStats(server);
    const cpu0 = treeCpuSeconds(server.pid);
    const t0 = nowUs();
    measuring = true;
    await sleep(o.durationS * 1000);
    measuring = false;
    const seconds = (nowUs() - t0) / 1e6;
    const cpu = treeCpuSeconds(server.pid) - cpu0;
    const after = await fetchStats(server);
    latenciesUs.sort((a, b) => a - b);
    const pct = (q: number): number =>
      (latenciesUs[Math.min(latenciesUs.length - 1, Math.floor(q * latenciesUs.length))] ?? 0) / 1000;
    const h0 = historyOf(before);
    const h1 = historyOf(after);
    const commits = h1.commits === undefined || h0.commits === undefined ? null : h1.commits - h0.commits;
    return {
      mode,
      msgsPerSecond: acked / seconds,
      ackP50Ms: pct(0.5),
      ackP99Ms: pct(0.99),
      commitP50Ms: h1.p50Ms ?? null,
      commitP99Ms: h1.p99Ms ?? null,
      msgsPerCommit: commits === null || commits === 0 ? null : (h1.messages! - h0.messages!) / commits,
      serverUsPerMsg: acked === 0 ? 0 : (cpu * 1e6) / acked,
    };
  } finally {
    for (const s of senders) s.socket.destroy();
    await kill(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface HistoryStats {
  commits?: number;
  messages?: number;
  p50Ms?: number;
  p99Ms?: number;
}

function historyOf(stats: unknown): HistoryStats {
  return ((stats as { history?: HistoryStats }).history ?? {}) as HistoryStats;
}

/** A TCP JSON connection that said hello and joined `room` (answers read line by line). */
async function joined(port: number, nick: string, room: string): Promise<Sender> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  await once(socket, 'connect');
  const s: Sender = { socket, room, sentAt: new Map(), nextId: 1, buffer: '' };
  let seen = '';
  const answered = new Promise<void>((resolve, reject) => {
    const onData = (chunk: string): void => {
      seen += chunk;
      if (seen.includes('"id":"j"')) {
        socket.off('data', onData);
        resolve();
      } else if (seen.includes('"type":"error"')) reject(new Error(`${nick}: ${seen}`));
    };
    socket.on('data', onData);
  });
  socket.write(`{"type":"hello","nick":"${nick}"}\n{"type":"join","room":"${room}","id":"j"}\n`);
  await answered;
  return s;
}
