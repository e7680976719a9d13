/**
 * How the load generator speaks to each server under test: its `--driver`, `--transport`
 * and target flags. The memory and fan-out parts drive every server through this one table,
 * so a server kind and the protocol the loadgen speaks to it cannot drift apart.
 */
import type { RunningServer, ServerId } from './servers.js';

export type LoadgenDriver = 'loopchat' | 'naive-ws' | 'naive-net' | 'socketio' | 'none';

/**
 * The loadgen driver of each server. `none` speaks nothing (a connection is ready once TCP
 * connects): the bare node:net floor understands no protocol.
 */
export const LOADGEN_DRIVERS: Readonly<Record<ServerId, LoadgenDriver>> = {
  'bare-net': 'none',
  'loopchat-tcp': 'loopchat',
  'loopchat-ws': 'loopchat',
  'naive-ws': 'naive-ws',
  'naive-net': 'naive-net',
  'write-floor-net': 'naive-net',
  socketio: 'socketio',
};

/** `--driver D --transport T --tcp host:port` (or `--ws url`) for a running server. */
export function loadgenTargetArgs(server: RunningServer): string[] {
  const { transport } = server.kind;
  return [
    '--driver',
    LOADGEN_DRIVERS[server.kind.id],
    '--transport',
    transport,
    ...(transport === 'tcp' ? ['--tcp', `127.0.0.1:${server.tcpPort}`] : ['--ws', `ws://127.0.0.1:${server.httpPort}`]),
  ];
}

/** The command a loadgen run was, for the report (lib/loadgen.ts adds `--out <json> -q --no-progress`). */
export function loadgenCommandLine(args: readonly string[]): string {
  return `node apps/loadgen/dist/cli.js run ${args.join(' ')}`;
}
