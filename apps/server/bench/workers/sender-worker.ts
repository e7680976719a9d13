/**
 * The fan-out sender: a few connections in the room that send `msg` frames at a fixed
 * arrival rate. Message k is *scheduled* at startUs + k / rate and carries that time as its
 * `id`; receivers measure latency from it, so a late send (a busy sender, a stalled
 * server) shows up as latency instead of silently lowering the rate (coordinated omission).
 */
import { nowUs } from '../lib/clock.js';
import type { SendCommand } from '../lib/messages.js';
import type { ClientConn } from './client-conn.js';
import { Counters, openMany } from './client-conn.js';
import { cpuUs, onCommand, reply } from './ipc.js';

const counters = new Counters();
let conns: ClientConn[] = [];

onCommand(async (command) => {
  switch (command.type) {
    case 'connect': {
      const result = await openMany(command, counters);
      conns = result.conns;
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
    case 'send':
      runSchedule(command);
      return;
    case 'report':
      reply({ type: 'report', counters: counters.snapshot(), latencyUs: counters.latency.toSparse(), cpuUs: cpuUs() });
      return;
    case 'window':
      return;
  }
});

function runSchedule(cmd: SendCommand): void {
  if (conns.length === 0) throw new Error('sender has no connections');
  const intervalUs = 1e6 / cmd.msgsPerSecond;
  const prefix = `{"type":"msg","room":${JSON.stringify(cmd.room)},"text":${JSON.stringify(cmd.text)},"id":`;
  const batches: string[][] = conns.map(() => []);
  let k = 0;
  let sentInWindow = 0;
  let maxSendLagUs = 0;

  const tick = (): void => {
    const now = nowUs();
    for (;;) {
      const sched = cmd.startUs + k * intervalUs;
      if (sched >= cmd.endUs || sched > now) break;
      const id = Math.round(sched);
      batches[k % conns.length]!.push(`${prefix}${id}}`);
      if (id >= cmd.windowStartUs && id < cmd.windowEndUs) sentInWindow++;
      maxSendLagUs = Math.max(maxSendLagUs, now - sched);
      k++;
    }
    for (let i = 0; i < conns.length; i++) {
      const batch = batches[i]!;
      if (batch.length === 0) continue;
      conns[i]!.write(batch);
      batch.length = 0;
    }
    const next = cmd.startUs + k * intervalUs;
    if (next >= cmd.endUs) {
      reply({ type: 'sent', sent: k, sentInWindow, maxSendLagUs });
      return;
    }
    setTimeout(tick, Math.max(1, Math.floor((next - nowUs()) / 1000)));
  };
  setTimeout(tick, Math.max(1, Math.floor((cmd.startUs - nowUs()) / 1000)));
}
