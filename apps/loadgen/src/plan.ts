/**
 * Who is where: the deterministic connection plan every process computes from the same
 * RunConfig. Rooms are contiguous blocks of connection indices and process p takes the
 * indices i ≡ p (mod procs), so the members of a room are spread over every process and the
 * per-room accounting has to be merged across them.
 */
import type { RunConfig } from './config.js';
import type { Transport } from './drivers/driver.js';

export interface ConnPlan {
  index: number;
  room: number;
  transport: Transport;
  sender: boolean;
  /** Among all senders (every process), this one's rank by connection index; -1 for a receiver. */
  senderRank: number;
  localAddress: string | undefined;
  /** With source addresses: the local port, chosen here rather than by the kernel (see below). */
  localPort: number | undefined;
}

/**
 * Local ports handed out per source address when --source-ips is given. bind(address, 0)
 * makes the kernel search for a free port, and that search walks every socket already bound
 * on the address, TIME_WAIT ones from earlier runs included: measured here, 19,000 connects
 * from one address took 15.8 s (5.1 s of system CPU) with a few runs' TIME_WAITs about,
 * against 1.7 s (0.55 s) with the ports chosen up front. The plan gives each connection
 * index its own port (disjoint across loadgen processes); a port that is taken anyway
 * falls back to the kernel's choice (connection.ts).
 */
export const SOURCE_PORT_FIRST = 16_384;
export const SOURCE_PORT_LAST = 60_999;

function sourcePort(index: number, addresses: number): number | undefined {
  if (addresses === 0) return undefined;
  const port = SOURCE_PORT_FIRST + Math.floor(index / addresses);
  return port <= SOURCE_PORT_LAST ? port : undefined;
}

/** Members per room: equal (±1) for uniform, ∝ 1/(k+1)^s for zipf, each room at least one. */
export function roomSizes(cfg: Pick<RunConfig, 'connections' | 'rooms' | 'roomSize'>): number[] {
  const { connections: n, rooms } = cfg;
  if (cfg.roomSize.kind === 'uniform') {
    return Array.from({ length: rooms }, (_, k) => Math.floor(((k + 1) * n) / rooms) - Math.floor((k * n) / rooms));
  }
  const s = cfg.roomSize.s;
  const weights = Array.from({ length: rooms }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const spare = n - rooms;
  // Largest remainder over the members beyond the first of each room.
  const raw = weights.map((w) => (w / total) * spare);
  const sizes = raw.map((r) => 1 + Math.floor(r));
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const order = raw.map((r, k) => [r - Math.floor(r), k] as const).sort((a, b) => b[0] - a[0]);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) sizes[order[j]![1]]!++;
  return sizes;
}

export function buildPlan(cfg: RunConfig): ConnPlan[] {
  const sizes = roomSizes(cfg);
  const plan: ConnPlan[] = [];
  const ws = cfg.mix.ws;
  let i = 0;
  let senderRank = 0;
  for (let room = 0; room < sizes.length; room++) {
    const size = sizes[room]!;
    const senders = cfg.senders <= 0 ? 0 : Math.max(1, Math.round(cfg.senders * size));
    for (let m = 0; m < size; m++, i++) {
      // Spread ws connections evenly through the index range (and so through the rooms).
      const transport: Transport = Math.floor((i + 1) * ws) > Math.floor(i * ws) ? 'ws' : 'tcp';
      const localAddress = cfg.sourceIps.length === 0 ? undefined : cfg.sourceIps[i % cfg.sourceIps.length];
      const sender = m < senders;
      const localPort = sourcePort(i, cfg.sourceIps.length);
      plan.push({ index: i, room, transport, sender, senderRank: sender ? senderRank++ : -1, localAddress, localPort });
    }
  }
  return plan;
}

/** The part of the plan process `proc` of `procs` runs. */
export function planForProc(plan: readonly ConnPlan[], proc: number, procs: number): ConnPlan[] {
  return plan.filter((c) => c.index % procs === proc);
}

/** The schedule's length and the measured window, ms. */
export function runLengthMs(cfg: Pick<RunConfig, 'rates' | 'stepMs' | 'warmupMs'>): number {
  return cfg.warmupMs + cfg.rates.length * cfg.stepMs;
}
