/**
 * What the primary says about itself in /stats and /metrics: its memory, its event loop,
 * the rooms it holds, and what it costs per message. The primary sequences every message of
 * the cluster, so its CPU per message bounds the whole cluster's throughput (1 ÷ that cost
 * per second of one core); it is measured here over 5 s windows from process.cpuUsage().
 */
import { Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { loopDelayMs, monitorLoopDelay, type LoopDelay } from '../http/loop-delay.js';
import { loopDelayGauge } from '../http/metrics.js';
import type { PrimaryBus } from './primary-bus.js';

const WINDOW_MS = 5_000;

/** The primary's own entry in a gathered /stats (http/stats-report.ts merges it). */
export interface PrimaryStats {
  rooms: number;
  /** Worker slots, and how many answered this gather (fewer: starting, restarting or slow). */
  workers: number;
  answered: number;
  rssBytes: number;
  eventLoopDelayMs: LoopDelay;
  /** Room messages sequenced since start. */
  messages: number;
  /** CPU (user + system) since start, seconds. */
  cpuSeconds: number;
  /** Over the last completed 5 s window: messages per second, and the primary's CPU µs per message (null without messages). */
  lastWindow: { messagesPerSecond: number; cpuMicrosPerMessage: number | null };
}

export class PrimaryReport {
  readonly #bus: PrimaryBus;
  readonly #registry = new Registry();
  readonly #timer: NodeJS.Timeout;
  #windowStart = { cpuUs: cpuMicros(), messages: 0, at: Date.now() };
  #lastWindow: PrimaryStats['lastWindow'] = { messagesPerSecond: 0, cpuMicrosPerMessage: null };

  constructor(bus: PrimaryBus) {
    this.#bus = bus;
    monitorLoopDelay();
    this.#timer = setInterval(() => this.#roll(), WINDOW_MS);
    this.#timer.unref();
    this.#defineMetrics();
  }

  stats(workers: number, answered: number): PrimaryStats {
    return {
      rooms: this.#bus.state.roomCount,
      workers,
      answered,
      rssBytes: process.memoryUsage().rss,
      eventLoopDelayMs: loopDelayMs(),
      messages: this.#bus.messages,
      cpuSeconds: cpuMicros() / 1e6,
      lastWindow: this.#lastWindow,
    };
  }

  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.#registry.getMetricsAsJSON();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #roll(): void {
    const now = { cpuUs: cpuMicros(), messages: this.#bus.messages, at: Date.now() };
    const messages = now.messages - this.#windowStart.messages;
    const seconds = (now.at - this.#windowStart.at) / 1000;
    this.#lastWindow = {
      messagesPerSecond: seconds > 0 ? Math.round(messages / seconds) : 0,
      cpuMicrosPerMessage: messages > 0 ? Math.round(((now.cpuUs - this.#windowStart.cpuUs) / messages) * 100) / 100 : null,
    };
    this.#windowStart = now;
  }

  #defineMetrics(): void {
    const registers = [this.#registry];
    const bus = this.#bus;
    const perMessage = (): number => (this.#lastWindow.cpuMicrosPerMessage ?? 0) / 1e6;
    loopDelayGauge(
      this.#registry,
      'loopchat_primary_event_loop_delay_seconds',
      "The cluster primary's event-loop delay over the last 5 s window, by quantile",
    );
    new Gauge({
      name: 'loopchat_primary_resident_memory_bytes',
      help: "The cluster primary's resident set size",
      registers,
      collect() {
        this.set(process.memoryUsage().rss);
      },
    });
    new Gauge({
      name: 'loopchat_rooms',
      help: 'Rooms that exist in the cluster (with members or retained history)',
      registers,
      collect() {
        this.set(bus.state.roomCount);
      },
    });
    new Counter({
      name: 'loopchat_primary_messages_total',
      help: 'Room messages the cluster primary sequenced',
      registers,
      collect() {
        this.reset();
        this.inc(bus.messages);
      },
    });
    new Counter({
      name: 'loopchat_primary_cpu_seconds_total',
      help: "The cluster primary's CPU time (user + system); ÷ loopchat_primary_messages_total is its cost per message",
      registers,
      collect() {
        this.reset();
        this.inc(cpuMicros() / 1e6);
      },
    });
    new Gauge({
      name: 'loopchat_primary_cpu_seconds_per_message',
      help: "The cluster primary's CPU per room message over the last 5 s window (0 without messages)",
      registers,
      collect() {
        this.set(perMessage());
      },
    });
  }
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}
