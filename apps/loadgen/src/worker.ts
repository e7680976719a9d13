/**
 * Entry point of a forked loadgen worker (`--procs N`): one Engine driven by the parent
 * over IPC, one request at a time, each answered with a message of the same `t`.
 */
import { Engine } from './engine/engine.js';
import type { FromWorker, ToWorker } from './ipc.js';

let engine: Engine | null = null;

function reply(message: FromWorker): void {
  process.send!(message);
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.t) {
    case 'init':
      engine = new Engine(msg.cfg, msg.proc, msg.procs);
      reply({ t: 'init', senders: engine.senders });
      return;
    case 'connect':
      reply({ t: 'connect', result: await engine!.connect() });
      return;
    case 'run':
      await engine!.run(msg.startUs, msg.rateShare);
      reply({ t: 'run' });
      return;
    case 'drain':
      await engine!.drain();
      reply({ t: 'drain' });
      return;
    case 'stop':
      engine?.stop();
      return;
    case 'progress':
      reply({ t: 'progress', snapshot: engine!.progress() });
      return;
    case 'report':
      reply({ t: 'report', report: engine!.report() });
      return;
    case 'close':
      engine?.close();
      reply({ t: 'close' });
      process.disconnect();
      return;
  }
}

process.on('message', (msg: ToWorker) => {
  handle(msg).catch((err: unknown) => reply({ t: 'error', message: err instanceof Error ? err.message : String(err) }));
});
// Ctrl-C reaches the whole process group: the parent decides (it stops the run and asks
// for the reports), so a worker must not die of it.
process.on('SIGINT', () => {});
// The parent went away: nothing left to report to.
process.on('disconnect', () => {
  engine?.close();
  setTimeout(() => process.exit(0), 100).unref();
});
