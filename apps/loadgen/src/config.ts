/**
 * A run's configuration: validated once, defaults in one object, frozen. It is plain data
 * so the parent can hand it to forked workers over IPC unchanged.
 */
import { randomBytes } from 'node:crypto';
import type { DriverName, Transport } from './drivers/driver.js';
import { DRIVERS } from './drivers/index.js';
import { invalidOption } from './errors.js';
import { assertLoopback } from './loopback.js';
import type { RoomDistribution } from './options.js';

export interface RunConfig {
  driver: DriverName;
  /** TCP target. */
  tcp: { host: string; port: number };
  /** WebSocket URL. */
  ws: string;
  /**
   * Where members that do not send connect over TCP (`--receiver-tcp`); null: `tcp`. With two
   * server instances sharing a bus this measures cross-instance delivery.
   */
  receiverTcp: { host: string; port: number } | null;
  /** Where members that do not send connect over WebSocket (`--receiver-ws`); null: `ws`. */
  receiverWs: string | null;
  /** Share of connections per transport (sums to 1). */
  mix: Record<Transport, number>;
  connections: number;
  rooms: number;
  roomSize: RoomDistribution;
  /** Fraction of each room's members that send (at least one per room when > 0). */
  senders: number;
  /** Message text length, bytes (ASCII); unused with `texts`. */
  messageBytes: number;
  /**
   * Message texts (`--texts`): sender k (k-th sender by connection index) always sends
   * texts[k mod n]. Null: generated ASCII texts of `messageBytes`.
   */
  texts: string[] | null;
  /** The file `texts` came from, for the result's record. */
  textsFile: string | null;
  /** Arrival rate per step, messages/s over all senders. */
  rates: number[];
  stepMs: number;
  /** Sent at the first step's rate before measuring; excluded from latency, included in accounting. */
  warmupMs: number;
  /** New connections per second (over all processes). */
  connectRate: number;
  connectTimeoutMs: number;
  /** Longest wait after the schedule for acks and deliveries. */
  drainMs: number;
  procs: number;
  sourceIps: string[];
  /** Unique per run, so rooms start fresh even on a long-lived server. */
  roomPrefix: string;
  nickPrefix: string;
  /** Base URL of the server's HTTP port for /stats and /metrics, or null. */
  http: string | null;
  /** Server pid for /proc CPU/RSS sampling (scale sets it), or null. */
  serverPid: number | null;
  /** Where to write every acked message as JSON lines (`--acked-log`, acked-ledger.ts), or null. */
  ackedLog: string | null;
  allowRemote: boolean;
}

export const RUN_DEFAULTS: Readonly<RunConfig> = Object.freeze({
  driver: 'loopchat',
  tcp: { host: '127.0.0.1', port: 4000 },
  ws: 'ws://127.0.0.1:8080/ws',
  receiverTcp: null,
  receiverWs: null,
  mix: { tcp: 1, ws: 0 },
  connections: 100,
  rooms: 10,
  roomSize: { kind: 'uniform' },
  senders: 1,
  messageBytes: 64,
  texts: null,
  textsFile: null,
  rates: [1000],
  stepMs: 10_000,
  warmupMs: 2_000,
  connectRate: 2_000,
  connectTimeoutMs: 10_000,
  drainMs: 5_000,
  procs: 1,
  sourceIps: [],
  roomPrefix: '',
  nickPrefix: '',
  http: null,
  serverPid: null,
  ackedLog: null,
  allowRemote: false,
} satisfies RunConfig);

/** Each loadgen process stays below the 20,000 open files this machine allows per process. */
export const MAX_SOCKETS_PER_PROC = 19_000;

export function resolveRunConfig(partial: Partial<RunConfig>): Readonly<RunConfig> {
  const tag = randomBytes(3).toString('hex');
  const c: RunConfig = {
    ...RUN_DEFAULTS,
    roomPrefix: `lg${tag}-r`,
    nickPrefix: `lg${tag}u`,
    ...partial,
  };
  const driver = DRIVERS[c.driver];
  if (driver === undefined) throw invalidOption(`--driver: unknown driver "${String(c.driver)}"`);
  for (const t of ['tcp', 'ws'] as const) {
    if (c.mix[t] > 0 && !driver.transports.includes(t)) throw invalidOption(`--driver ${c.driver} does not speak ${t}`);
  }
  if (!Number.isInteger(c.connections) || c.connections < 1) throw invalidOption('--connections must be a whole number ≥ 1');
  if (!Number.isInteger(c.rooms) || c.rooms < 1) throw invalidOption('--rooms must be a whole number ≥ 1');
  if (c.rooms > c.connections) throw invalidOption(`--rooms (${c.rooms}) cannot exceed --connections (${c.connections})`);
  if (c.rates.length === 0 || c.rates.some((r) => !(r >= 0))) throw invalidOption('--rate needs one or more rates ≥ 0');
  if (!(c.stepMs > 0)) throw invalidOption('--duration / --step-duration must be > 0');
  if (!(c.warmupMs >= 0)) throw invalidOption('--warmup must be ≥ 0');
  if (!(c.connectRate > 0)) throw invalidOption('--connect-rate must be > 0');
  if (!Number.isInteger(c.procs) || c.procs < 1) throw invalidOption('--procs must be a whole number ≥ 1');
  if (!Number.isInteger(c.messageBytes) || c.messageBytes < 1) throw invalidOption('--size must be ≥ 1 byte');
  if (c.texts !== null && c.texts.length === 0) throw invalidOption('--texts: no text to send');
  // Checked here rather than left to the engine: a none run that was asked to send would
  // otherwise hold its connections and quietly report zero messages.
  if (driver.holdsOnly && c.senders > 0 && c.rates.some((r) => r > 0))
    throw invalidOption(`--driver ${c.driver} only holds connections: pass --senders 0 or --rate 0`);
  const perProc = Math.ceil(c.connections / c.procs);
  if (perProc > MAX_SOCKETS_PER_PROC)
    throw invalidOption(
      `${perProc} connections per process is over ${MAX_SOCKETS_PER_PROC}: raise --procs (or use --procs auto)`,
    );
  // Budget: the schedule must end by itself (runs are bounded).
  if (c.rates.length * c.stepMs + c.warmupMs > 3_600_000) throw invalidOption('a run is limited to one hour');
  if (c.mix.tcp > 0) assertLoopback(c.tcp.host, c.allowRemote, 'TCP target');
  if (c.mix.ws > 0) assertLoopback(new URL(c.ws).hostname, c.allowRemote, 'WebSocket target');
  if (c.mix.tcp > 0 && c.receiverTcp !== null) assertLoopback(c.receiverTcp.host, c.allowRemote, '--receiver-tcp');
  if (c.mix.ws > 0 && c.receiverWs !== null) assertLoopback(new URL(c.receiverWs).hostname, c.allowRemote, '--receiver-ws');
  if (c.http !== null) assertLoopback(new URL(c.http).hostname, c.allowRemote, '--http');
  return Object.freeze(c);
}

/** `--procs auto`: enough processes for the sockets and for ~600k received frames/s each. */
export function autoProcs(connections: number, framesPerSecond: number): number {
  return Math.max(1, Math.ceil(connections / MAX_SOCKETS_PER_PROC), Math.ceil(framesPerSecond / 600_000));
}
