/** `run` flags → RunConfig (+ output options). Kept apart from commander so tests can call it. */
import { autoProcs, resolveRunConfig, type RunConfig } from '../config.js';
import type { DriverName, Transport } from '../drivers/driver.js';
import { DRIVERS, isDriverName } from '../drivers/index.js';
import { invalidOption } from '../errors.js';
import {
  parseDurationMs,
  parseFraction,
  parseHostPort,
  parseMix,
  parsePositiveInt,
  parseRates,
  parseRoomDistribution,
  parseSourceIps,
} from '../options.js';
import { readTexts } from '../texts.js';
import { parseThreshold, type Threshold } from '../thresholds.js';
import { outputPath } from '../report/output-path.js';

/** Flag values as commander hands them over (strings, booleans, repeated lists). */
export interface RunFlags {
  driver?: string;
  transport?: string;
  mix?: string;
  tcp?: string;
  ws?: string;
  receiverTcp?: string;
  receiverWs?: string;
  connections?: string;
  rooms?: string;
  roomSize?: string;
  senders?: string;
  size?: string;
  texts?: string;
  rate?: string;
  stepDuration?: string;
  duration?: string;
  warmup?: string;
  connectRate?: string;
  connectTimeout?: string;
  drain?: string;
  procs?: string;
  sourceIps?: string;
  http?: string;
  serverPid?: string;
  ackedLog?: string;
  allowRemote?: boolean;
  threshold?: string[];
  out?: string;
  md?: string;
  svg?: string;
  progress?: boolean;
  quiet?: boolean;
}

export interface RunOutputs {
  out: string | null;
  md: string | null;
  svg: string | null;
  progress: boolean;
  quiet: boolean;
}

export interface ParsedRun {
  cfg: Readonly<RunConfig>;
  thresholds: Threshold[];
  outputs: RunOutputs;
}

export function parseRunFlags(f: RunFlags): ParsedRun {
  const driverName = f.driver ?? 'loopchat';
  if (!isDriverName(driverName))
    throw invalidOption(`--driver: expected one of ${Object.keys(DRIVERS).join(', ')}, got "${driverName}"`);
  const driver = DRIVERS[driverName as DriverName];
  let mix: Record<Transport, number>;
  if (f.mix !== undefined) mix = parseMix(f.mix);
  else {
    const t = f.transport ?? driver.transports[0]!;
    if (t !== 'tcp' && t !== 'ws') throw invalidOption(`--transport: expected tcp or ws, got "${t}"`);
    mix = t === 'tcp' ? { tcp: 1, ws: 0 } : { tcp: 0, ws: 1 };
  }
  const rates = parseRates(f.rate ?? '1000');
  let stepMs: number;
  if (f.stepDuration !== undefined) stepMs = parseDurationMs(f.stepDuration, '--step-duration');
  else stepMs = Math.round(parseDurationMs(f.duration ?? '10s', '--duration') / rates.length);
  const connections = parsePositiveInt(f.connections ?? '100', '--connections');
  const partial: Partial<RunConfig> = {
    driver: driverName as DriverName,
    mix,
    tcp: parseHostPort(f.tcp ?? '127.0.0.1:4000', '--tcp'),
    ws: wsUrl(f.ws, driver.wsPath, '--ws'),
    receiverTcp: f.receiverTcp === undefined ? null : parseHostPort(f.receiverTcp, '--receiver-tcp'),
    receiverWs: f.receiverWs === undefined ? null : wsUrl(f.receiverWs, driver.wsPath, '--receiver-ws'),
    connections,
    rooms: parsePositiveInt(f.rooms ?? String(Math.min(10, connections)), '--rooms'),
    roomSize: parseRoomDistribution(f.roomSize ?? 'uniform'),
    senders: parseFraction(f.senders ?? '1', '--senders'),
    messageBytes: parsePositiveInt(f.size ?? '64', '--size'),
    texts: f.texts === undefined ? null : readTexts(f.texts),
    textsFile: f.texts ?? null,
    rates,
    stepMs,
    warmupMs: parseDurationMs(f.warmup ?? '2s', '--warmup'),
    connectRate: parsePositiveInt(f.connectRate ?? '2000', '--connect-rate'),
    connectTimeoutMs: parseDurationMs(f.connectTimeout ?? '10s', '--connect-timeout'),
    drainMs: parseDurationMs(f.drain ?? '5s', '--drain'),
    sourceIps: f.sourceIps === undefined ? [] : parseSourceIps(f.sourceIps),
    http: f.http ?? null,
    serverPid: f.serverPid === undefined ? null : parsePositiveInt(f.serverPid, '--server-pid'),
    ackedLog: f.ackedLog === undefined ? null : outputPath(f.ackedLog),
    allowRemote: f.allowRemote === true,
  };
  if (partial.http !== null) {
    try {
      new URL(partial.http!);
    } catch {
      throw invalidOption(`--http: expected a URL such as http://127.0.0.1:8080, got "${partial.http}"`);
    }
  }
  const procsFlag = f.procs ?? '1';
  if (procsFlag === 'auto') {
    // Deliveries per second ≈ rate × (average room size − 1).
    const perRoom = connections / partial.rooms!;
    partial.procs = autoProcs(connections, Math.max(...rates) * Math.max(1, perRoom - 1));
  } else {
    partial.procs = parsePositiveInt(procsFlag, '--procs');
  }
  const cfg = resolveRunConfig(partial);
  const thresholds = (f.threshold ?? []).map(parseThreshold);
  return {
    cfg,
    thresholds,
    outputs: {
      out: f.out === undefined ? null : outputPath(f.out),
      md: f.md === undefined ? null : outputPath(f.md),
      svg: f.svg === undefined ? null : outputPath(f.svg),
      progress: f.progress !== false,
      quiet: f.quiet === true,
    },
  };
}

/** `ws://host:port` gets the driver's path; a full URL is taken as is. */
function wsUrl(value: string | undefined, path: string, flag: string): string {
  const raw = value ?? 'ws://127.0.0.1:8080';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidOption(`${flag}: expected a URL such as ws://127.0.0.1:8080/ws, got "${raw}"`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw invalidOption(`${flag}: expected ws:// or wss://, got "${raw}"`);
  if (url.pathname === '/' && url.search === '') return `${raw.replace(/\/$/, '')}${path}`;
  return raw;
}
