/**
 * Live progress: a cli-progress bar on a TTY (connections while connecting, then elapsed
 * time with rate and p99), plain lines once per second otherwise (CI logs, pipes).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../coordinator.js';

export interface Progress {
  update(e: ProgressEvent): void;
  stop(): void;
}

function line(e: ProgressEvent, lastSent: { v: number }): string {
  const s = e.snapshot;
  const rate = s.sent - lastSent.v;
  lastSent.v = s.sent;
  const p99 = s.recentP99Ms === null ? '–' : `${s.recentP99Ms.toFixed(1)}ms`;
  return `[${e.phase}] ${(e.elapsedMs / 1000).toFixed(0)}s conns ${s.connected}/${e.planned} (failed ${s.failed}) sent ${s.sent} (+${rate}/s) delivered ${s.delivered} errors ${s.errors} p99 ${p99} loadgen cpu ${s.cpuPercent.toFixed(0)}%`;
}

export function createProgress(mode: 'auto' | 'off'): Progress {
  if (mode === 'off') return { update: () => {}, stop: () => {} };
  const lastSent = { v: 0 };
  if (!process.stderr.isTTY) {
    return { update: (e) => process.stderr.write(`${line(e, lastSent)}\n`), stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} |{bar}| {value}/{total} {unit} · conns {conns} · {rate} msg/s · p99 {p99} · errors {errors}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let phase = '';
  return {
    update(e) {
      const s = e.snapshot;
      const rate = s.sent - lastSent.v;
      lastSent.v = s.sent;
      const payload = {
        phase: e.phase.padEnd(7),
        unit: e.phase === 'connect' ? 'conns' : 's',
        conns: s.connected,
        rate,
        p99: s.recentP99Ms === null ? '–' : `${s.recentP99Ms.toFixed(1)}ms`,
        errors: s.errors,
      };
      const total = e.phase === 'connect' ? e.planned : Math.round(e.totalMs / 1000);
      const value = e.phase === 'connect' ? s.connected + s.failed : Math.min(total, Math.round(e.elapsedMs / 1000));
      if (!started || phase !== e.phase) {
        if (started) bar.stop();
        bar.start(total, value, payload);
        started = true;
        phase = e.phase;
      } else {
        bar.update(value, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
