/**
 * Prometheus metrics. Hot-path counts live as plain numbers in Stats and are read here at
 * scrape time (collect callbacks: reset, then set to the true total), so a delivery never
 * pays for a labelled counter.
 * Each server instance has its own Registry (tests run several servers in one process).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServerContext } from '../core/context.js';
import type { Stats, TransportName } from '../core/stats.js';
import { loopDelayMs } from './loop-delay.js';

const TRANSPORTS: TransportName[] = ['tcp', 'ws'];

export function createMetrics(ctx: ServerContext): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'loopchat_', eventLoopMonitoringPrecision: 10 });
  const { stats } = ctx;
  registry.registerMetric(stats.filterSeconds);
  byCodeCounter(registry, 'loopchat_filter_verdicts_total', 'Moderation verdicts', 'verdict', stats.verdicts);

  new Gauge({
    name: 'loopchat_connections',
    help: 'Open client connections by transport',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      for (const t of TRANSPORTS) this.set({ transport: t }, stats.connectionsOpen[t]);
    },
  });
  perTransportCounter(registry, 'loopchat_connections_opened_total', 'Connections accepted', stats.connectionsOpened);
  perTransportCounter(registry, 'loopchat_frames_in_total', 'Client lines/frames received', stats.framesIn);
  perTransportCounter(registry, 'loopchat_frames_out_total', 'Frames queued to clients', stats.framesOut);
  perTransportCounter(registry, 'loopchat_bytes_out_total', 'Bytes written to clients', stats.bytesOut);
  new Counter({
    name: 'loopchat_deliveries_total',
    help: 'Messages (room and DM) handed to a recipient',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.deliveries);
    },
  });
  new Counter({
    name: 'loopchat_reads_deferred_total',
    help: "Times a connection's input waited for a later event-loop turn (the turn's read budget was spent)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.readsDeferred);
    },
  });
  byCodeCounter(registry, 'loopchat_drops_total', 'Frames dropped, by reason', 'reason', stats.drops);
  byCodeCounter(registry, 'loopchat_errors_sent_total', 'Error frames sent, by code', 'code', stats.errors);
  byCodeCounter(
    registry,
    'loopchat_disconnects_total',
    'Connections closed by the server, by reason',
    'reason',
    stats.disconnects,
  );
  byCodeCounter(registry, 'loopchat_refused_total', 'Connections refused at accept, by reason', 'reason', stats.refused);
  new Counter({
    name: 'loopchat_slow_consumer_disconnects_total',
    help: 'Connections dropped for exceeding the outbound byte budget',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.disconnects['slow_consumer'] ?? 0);
    },
  });
  // Only where this process holds every room (bus.ts roomCount): the cluster primary reports its own.
  const roomCount = ctx.hub.bus.roomCount?.bind(ctx.hub.bus);
  if (roomCount !== undefined) {
    new Gauge({
      name: 'loopchat_rooms',
      help: 'Rooms that exist (with members or retained history)',
      registers: [registry],
      collect() {
        this.set(roomCount());
      },
    });
  }
  // In cluster mode the primary reports loopchat_rooms; summing workers would count a room
  // with members on two workers twice.
  new Gauge({
    name: 'loopchat_local_rooms',
    help: 'Rooms with members on this process',
    registers: [registry],
    collect() {
      this.set(ctx.hub.rooms.size);
    },
  });
  loopDelayGauge(
    registry,
    'loopchat_event_loop_delay_seconds',
    'Event-loop delay over the last 5 s window (timer resolution subtracted), by quantile',
  );
  return registry;
}

/** This process's event-loop delay (loop-delay.ts) as a gauge by quantile; the worst worker wins in a cluster. */
export function loopDelayGauge(registry: Registry, name: string, help: string): void {
  new Gauge({
    name,
    help,
    aggregator: 'max',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      const delay = loopDelayMs();
      this.set({ quantile: '0.5' }, delay.p50 / 1000);
      this.set({ quantile: '0.99' }, delay.p99 / 1000);
      this.set({ quantile: '1' }, delay.max / 1000);
    },
  });
}

function perTransportCounter(registry: Registry, name: string, help: string, values: Stats['framesIn']): void {
  new Counter({
    name,
    help,
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of TRANSPORTS) this.inc({ transport: t }, values[t]);
    },
  });
}

function byCodeCounter(registry: Registry, name: string, help: string, label: string, values: Record<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of Object.entries(values)) this.inc({ [label]: key }, value);
    },
  });
}
