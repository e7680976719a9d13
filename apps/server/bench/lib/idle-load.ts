/**
 * Idle connections, held: the loadgen run of the memory and connections parts. Each
 * connection says hello and joins one of the rooms (on a chat server) and sends nothing; the
 * loadgen holds them until told to stop, or until `holdS` has passed. They connect from
 * 127.0.0.2–9, so one loadgen can open far more than one source address has ports for.
 */
import { loadgenTargetArgs } from './loadgen-target.js';
import type { RunningServer } from './servers.js';

/** Each loadgen process holds at most this many sockets (20,000 open files per process here). */
export const LOADGEN_PER_PROCESS = 19_000;
export const IDLE_CONNECT_TIMEOUT_S = 30;

export interface IdleLoad {
  connections: number;
  rooms: number;
  holdS: number;
  connectRate: number;
  procs: number;
}

/** `loadgen run` arguments (besides `--out`) for `o` against `server`. */
export function idleLoadgenArgs(server: RunningServer, o: IdleLoad): string[] {
  return [
    ...loadgenTargetArgs(server),
    ['--connections', String(o.connections)],
    ['--rooms', String(o.rooms)],
    ['--senders', '0'],
    ['--rate', '0'],
    ['--warmup', '0'],
    ['--duration', `${o.holdS}s`],
    ['--connect-rate', String(o.connectRate)],
    ['--connect-timeout', `${IDLE_CONNECT_TIMEOUT_S}s`],
    ['--drain', '1s'],
    ['--procs', String(o.procs)],
    ['--source-ips', '127.0.0.2-127.0.0.9'],
  ].flat();
}
