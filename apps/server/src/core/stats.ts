/**
 * Hot-path counters as plain numbers: a property increment costs a nanosecond where a
 * labelled prom-client counter costs far more per delivery. /metrics reads these at
 * scrape time (http/metrics.ts).
 */
import { Histogram } from 'prom-client';

export type TransportName = 'tcp' | 'ws';

export class Stats {
  readonly startedAt = Date.now();
  readonly connectionsOpened: Record<TransportName, number> = { tcp: 0, ws: 0 };
  readonly connectionsOpen: Record<TransportName, number> = { tcp: 0, ws: 0 };
  readonly framesIn: Record<TransportName, number> = { tcp: 0, ws: 0 };
  readonly framesOut: Record<TransportName, number> = { tcp: 0, ws: 0 };
  readonly bytesOut: Record<TransportName, number> = { tcp: 0, ws: 0 };
  /** Messages handed to a member's outbound queue (room messages and DMs). */
  deliveries = 0;
  /** Times a connection's input waited for a later event-loop turn (read-throttle.ts). */
  readsDeferred = 0;
  /** Frames not processed or not delivered, by reason (rate_limited, slow_consumer, …). */
  readonly drops: Record<string, number> = {};
  /** Error frames sent, by code. */
  readonly errors: Record<string, number> = {};
  /** Connections closed by the server, by reason code. */
  readonly disconnects: Record<string, number> = {};
  /** Connections refused at accept time, by reason code. */
  readonly refused: Record<string, number> = {};
  /** Moderation verdicts: allow, mask, reject:<reason>. */
  readonly verdicts: Record<string, number> = {};
  /** Moderation time per message (one observe per message, registered by http/metrics.ts). */
  readonly filterSeconds = new Histogram({
    name: 'loopchat_filter_seconds',
    help: 'Moderation filter time per message',
    buckets: [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 5e-3],
    registers: [],
  });
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
