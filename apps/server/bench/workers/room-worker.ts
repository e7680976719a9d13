/**
 * A bench client process whose connections both send and receive: each connection joined
 * its own room (`${room}${i % rooms}`), and on `send-rooms` the worker sends msg frames at
 * a fixed arrival rate for the worker as a whole, dealt round-robin over its (sending)
 * connections, each into the room it joined. Message k is *scheduled* at
 * startUs + k / rate and carries that time as its `id`, so receivers measure latency from
 * the schedule (a late send shows up as latency, not as a lower rate). What arrives is
 * counted by the same lean receive path as client-worker.
 *
 * Used by the cluster-scaling bench (many small rooms, every member a sender) and as the
 * senders of the bus-latency bench.
 */
import { nowUs } from '../lib/clock.js';
import type { ConnectCommand, SendRoomsCommand } from '../lib/messages.js';
import type { ClientConn } from './client-conn.js';
import { Counters, openMany } from './client-conn.js';
import { cpuUs, onCommand, reply } from './ipc.js';

const counters = new Counters();
let conns: ClientConn[] = [];
let connectCommand: ConnectCommand | undefined;

onCommand(async (command) => {
  switch (command.type) {
    case 'connect': {
      connectCommand = command;
      const result = await openMany(command, counters);
      // openMany pushes connections as they become ready: put them back in index order so
      // connection i is in room i % rooms, as its handshake said.
      conns = result.conns.sort((a, b) => a.index - b.index);
      reply({
        type: 'connected',
        ok: result.conns.length,
        failed: result.failed,
        failureSamples: result.failureSamples,
        connectUs: result.connectUs.toSparse(),
        firstStartUs: result.firstStartUs,
        lastReadyUs: result.lastReadyUs,
      });
      return;
    }
    case 'window':
      counters.winStart = command.startUs;
      counters.winEnd = command.endUs;
      counters.idFrom = command.idFromUs;
      counters.windowMsgs = 0;
      counters.latency.reset();
      return;
    case 'report':
      reply({ type: 'report', counters: counters.snapshot(), latencyUs: counters.latency.toSparse(), cpuUs: cpuUs() });
      return;
    case 'send-rooms':
      runSchedule(command);
      return;
    case 'send':
      throw new Error('room-worker sends with send-rooms');
  }
});

function roomOf(index: number): string {
  const cmd = connectCommand!;
  return cmd.rooms === 1 ? cmd.room : `${cmd.room}${index % cmd.rooms}`;
}

function runSchedule(cmd: SendRoomsCommand): void {
  const senders = conns.slice(0, cmd.senders ?? conns.length);
  if (senders.length === 0) throw new Error('room-worker has no connections to send on');
  if (cmd.texts.length === 0) throw new Error('send-rooms without texts');
  const n = senders.length;
  const intervalUs = 1e6 / cmd.msgsPerSecond;
  // Everything but the id is built once: per message only the id is formatted.
  const prefixes = senders.map((c) => `{"type":"msg","room":${JSON.stringify(roomOf(c.index))},"text":`);
  const texts = cmd.texts.map((t) => `${JSON.stringify(t)},"id":`);
  /** Next text of each connection: they start at different texts and each walks the whole list. */
  const nextText = senders.map((_, i) => i % texts.length);
  const batches: string[][] = senders.map(() => []);
  const touched: number[] = [];
  let k = 0;
  let sentInWindow = 0;
  let maxSendLagUs = 0;

  const tick = (): void => {
    const now = nowUs();
    for (;;) {
      const sched = cmd.startUs + k * intervalUs;
      if (sched >= cmd.endUs || sched > now) break;
      const id = Math.round(sched);
      const c = k % n;
      const t = nextText[c]!;
      nextText[c] = t + 1 === texts.length ? 0 : t + 1;
      const batch = batches[c]!;
      if (batch.length === 0) touched.push(c);
      batch.push(`${prefixes[c]}${texts[t]}${id}}`);
      if (id >= cmd.windowStartUs && id < cmd.windowEndUs) sentInWindow++;
      if (now - sched > maxSendLagUs) maxSendLagUs = now - sched;
      k++;
    }
    for (const c of touched) {
      const batch = batches[c]!;
      senders[c]!.write(batch);
      batch.length = 0;
    }
    touched.length = 0;
    const next = cmd.startUs + k * intervalUs;
    if (next >= cmd.endUs) {
      reply({ type: 'sent', sent: k, sentInWindow, maxSendLagUs });
      return;
    }
    setTimeout(tick, Math.max(1, Math.floor((next - nowUs()) / 1000)));
  };
  setTimeout(tick, Math.max(1, Math.floor((cmd.startUs - nowUs()) / 1000)));
}
