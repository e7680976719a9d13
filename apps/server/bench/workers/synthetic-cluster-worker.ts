/**
 * A stand-in for a cluster worker, for measuring the primary alone (scenarios/primary.ts):
 * no clients, no filter, no sessions. On its data socket (stdio slot 4, a socketpair, as
 * cluster/primary.ts gives a real worker) it claims its members' nicks and joins their
 * rooms, then, told to go, publishes pre-encoded message bodies (encodeMsgBody, the bytes a
 * real worker sends) as fast as the primary answers, keeping at most `outstanding` Pubs
 * unanswered, and counts the Msg records that come back. Records are built and read with
 * the cluster's own RecordWriter and RecordReader, from the build.
 *
 *   node synthetic-cluster-worker.js <index> <workers> <rooms> <members> <outstanding> <bodyBytes>
 */
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { encodeMsgBody } from '@loopchat/protocol';
import { LOOPCHAT_RECORDS } from '../lib/paths.js';
import { workerOf, type FromWorker, type ToWorker } from './primary-ipc.js';

type Records = typeof import('../../src/cluster/records.js');
const { Rec, RecordReader, RecordWriter } = (await import(pathToFileURL(LOOPCHAT_RECORDS).href)) as Records;

const DATA_FD = 4;
const [index, workers, rooms, members, outstandingMax, bodyBytes] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
  number,
];

interface Member {
  room: string;
  nick: string;
  body: Buffer;
}

const mine: Member[] = [];
for (let r = 0; r < rooms; r++)
  for (let m = 0; m < members; m++) {
    if (workerOf(r, m, members, workers) !== index) continue;
    const room = `r${r}`;
    const nick = `n${r}x${m}`;
    const pad = Math.max(0, bodyBytes - Buffer.byteLength(encodeMsgBody(room, nick, '')));
    mine.push({ room, nick, body: Buffer.from(encodeMsgBody(room, nick, 'x'.repeat(pad))) });
  }

const send = (m: FromWorker): void => void process.send?.(m);
const socket = new Socket({ fd: DATA_FD, readable: true, writable: true });
const writer = new RecordWriter();
const reader = new RecordReader();
let replies = 0;
let running = false;
let stopping = false;
let next = 0;
const counts = { published: 0, answered: 0, msgRecords: 0, outstanding: 0 };

const sink = {
  onRecord(type: number, f: { buf: Buffer; at: number; end: number }): void {
    if (type === Rec.Msg) {
      counts.msgRecords++;
      if (answersOldest(f.buf, f.at + 1, f.end)) {
        counts.answered++;
        counts.outstanding--;
      }
    } else if (type === Rec.Reply) {
      if (++replies === 2 * mine.length) send({ t: 'joined', members: mine.length });
    } else if (type === Rec.Fail) fail(`the primary refused a claim or join (${replies} replies so far)`);
    // Presence records (the rooms' joins) need nothing here.
  },
  onCorrupt(reason: string): void {
    fail(`bad record from the primary: ${reason}`);
  },
};

/**
 * Whether the line in `buf[start, end)` is the oldest unanswered Pub's message: its body,
 * then seq and ts (as the real worker does, by room and sender; Pubs go out round the members).
 */
function answersOldest(buf: Buffer, start: number, end: number): boolean {
  if (counts.outstanding === 0) return false;
  const oldest = mine[(next - counts.outstanding + mine.length * outstandingMax) % mine.length]!.body;
  return end - start > oldest.length && buf.compare(oldest, 0, oldest.length, start, start + oldest.length) === 0;
}

function fail(error: string): void {
  send({ t: 'failed', error: `worker ${index}: ${error}` });
  process.exitCode = 1;
}

/** Tops the unanswered Pubs up to the bound, in one write. */
function pump(): void {
  while (counts.outstanding < outstandingMax) {
    const m = mine[next]!;
    next = (next + 1) % mine.length;
    writer.begin(Rec.Pub).name(m.room).name(m.nick).bytes(m.body).end();
    counts.outstanding++;
    counts.published++;
  }
  writer.writeTo(socket);
}

socket.on('data', (chunk: Buffer) => {
  reader.push(chunk, sink);
  if (running) pump();
  else if (stopping && counts.outstanding === 0) drained();
});
socket.on('error', (err) => fail(err.message));

function drained(): void {
  stopping = false;
  send({ t: 'drained' });
}

/** What the primary wrote before every worker drained is in this socket by now, or within the settle. */
const SETTLE_MS = 200;

process.on('message', (m: ToWorker) => {
  if (m.t === 'go') {
    running = true;
    pump();
  } else if (m.t === 'stop') {
    running = false;
    stopping = true;
    if (counts.outstanding === 0) drained();
  } else if (m.t === 'report') {
    setTimeout(() => send({ t: 'counts', ...counts }), SETTLE_MS);
  }
});
// The host is gone (killed with the bench): so is this worker.
process.on('disconnect', () => process.exit());

for (const m of mine) {
  writer.begin(Rec.Claim).name(m.nick).end();
  writer.begin(Rec.Join).name(m.room).name(m.nick).end();
}
writer.writeTo(socket);
