/** Worker side of the runner ↔ worker IPC: typed send, and exit when the runner goes away. */
import type { WorkerCommand, WorkerReply } from '../lib/messages.js';

export function reply(message: WorkerReply): void {
  process.send!(message);
}

export function onCommand(handler: (command: WorkerCommand) => Promise<void> | void): void {
  if (process.send === undefined) throw new Error('bench workers run under the bench runner (child_process.fork)');
  process.on('message', (command: WorkerCommand) => {
    Promise.resolve(handler(command)).catch((err: unknown) => {
      process.stderr.write(`bench worker ${process.pid}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
  });
  // The runner died or let go of us: never linger holding thousands of sockets.
  process.on('disconnect', () => process.exit(0));
}

export function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}
