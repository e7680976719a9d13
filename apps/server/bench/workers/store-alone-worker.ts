/**
 * The history store alone: what a store costs per message with nothing else of the server
 * around it, so the history part's server-level figure (noisy on a shared machine) has a
 * steady companion. The store is opened as the server opens it (open-store.ts, the built
 * code), in a process of its own, and driven as the chat state drives it: messages of
 * ~150 bytes spread over R rooms, `perCommit` appends then a commit (one event-loop turn),
 * and the background step (retention, folding) run to completion once per simulated second
 * at `rate` msgs/s, the message timestamps following that simulated clock. Usage:
 *
 *   node store-alone-worker.js <memory|sqlite> <rooms> <perCommit> <messages> <rate>
 *
 * Prints one JSON line: { kind, rooms, perCommit, messages, cpuUs, userUs, sysUs, wallUs }.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeMsgBody, finishMsgLine } from '@loopchat/protocol';
import { LOOPCHAT_OPEN_STORE } from '../lib/paths.js';

type OpenStore = typeof import('../../src/history/open-store.js');

const [kind = 'sqlite', roomsArg = '100', perCommitArg = '750', messagesArg = '600000', rateArg = '25000'] =
  process.argv.slice(2);
const rooms = Number(roomsArg);
const perCommit = Number(perCommitArg);
const messages = Number(messagesArg);
const rate = Number(rateArg);
const { openHistoryStore } = (await import(pathToFileURL(LOOPCHAT_OPEN_STORE).href)) as OpenStore;
const dataDir = mkdtempSync(join(tmpdir(), 'loopchat-bench-store-'));
const store = openHistoryStore(
  {
    history: kind as 'memory' | 'sqlite',
    dataDir,
    historySize: 1000,
    historyMaxAgeSeconds: 0,
    historySync: 'normal',
  },
  console,
);
const names = Array.from({ length: rooms }, (_, i) => `room-${i}`);
const seqs = new Array<number>(rooms).fill(0);
const text = 'a chat line of about a hundred and twenty characters, as the scaling workload sends them: '.padEnd(120, '.');
const start = Date.now();
let sent = 0;
const clock = (): number => start + Math.floor((sent * 1000) / rate);

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
while (sent < messages) {
  for (let i = 0; i < perCommit; i++, sent++) {
    const r = (sent * 7919) % rooms; // rooms interleaved, as members of many rooms send
    const seq = ++seqs[r]!;
    const line = finishMsgLine(encodeMsgBody(names[r]!, 'ann', text), seq, clock());
    store.append(names[r]!, seq, clock(), { buf: line, start: 0, end: line.length });
  }
  store.commit();
  if (Math.floor(sent / rate) !== Math.floor((sent - perCommit) / rate)) {
    for (let step = 0; step < 200 && store.sweep(clock()); step++) await new Promise((r) => setImmediate(r));
  }
}
const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
store.close();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ kind, rooms, perCommit, messages, cpuUs: cpu.user + cpu.system, userUs: cpu.user, sysUs: cpu.system, wallUs })}\n`,
);
