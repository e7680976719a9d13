/**
 * A bench client process: opens its share of connections (hello + join, or bare connect),
 * holds them, and counts what arrives (room messages, latency from their scheduled send
 * time). Used by the idle-memory bench and as fan-out room members.
 */
import type { ClientConn } from './client-conn.js';
import { Counters, openMany } from './client-conn.js';
import { cpuUs, onCommand, reply } from './ipc.js';

const counters = new Counters();
/** Held so the connections stay referenced for the life of the worker. */
const held: ClientConn[] = [];

onCommand(async (command) => {
  switch (command.type) {
    case 'connect': {
      const result = await openMany(command, counters);
      held.push(...result.conns);
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
      // A new measurement window: per-window figures start again; totals keep counting.
      counters.winStart = command.startUs;
      counters.winEnd = command.endUs;
      counters.idFrom = command.idFromUs;
      counters.windowMsgs = 0;
      counters.latency.reset();
      return;
    case 'report':
      reply({ type: 'report', counters: counters.snapshot(), latencyUs: counters.latency.toSparse(), cpuUs: cpuUs() });
      return;
    case 'send':
      throw new Error('client-worker does not send; use sender-worker');
  }
});
