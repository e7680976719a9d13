// @ts-check
// k6 scenario: a long, steady chat load (leaks, slow drift, timers, history rings filling).
// Run as-is:
//   k6 run apps/loadgen/k6/soak.js
//   k6 run -e DURATION=2h apps/loadgen/k6/soak.js
//
// VUS connections chat at a constant rate for DURATION; each reconnects every
// SESSION_SECONDS (the last session of each VU is cut short so that it ends within DURATION,
// and the run within DURATION + 30 s), so nick release and re-join are soaked too. The per-connection session
// (and the chat_* metrics) are chat-room.js's; only the shape of the load differs.
// Before and after, it reads the server's RSS from /stats (derived from the WebSocket URL)
// and records the growth as server_rss_growth_mb (when /stats is reachable).
//
// Environment: LOOPCHAT_WS_URL (or WS_URL; default ws://127.0.0.1:8080/ws), VUS (200),
// DURATION (30m), ROOMS (20), SEND_INTERVAL_MS (2000), SESSION_SECONDS (600), SLO_P99_MS
// (100), RSS_GROWTH_MB (256).
import http from 'k6/http';
import { Trend } from 'k6/metrics';
import { CHAT_THRESHOLDS, WS_URL, chatSession } from './chat-room.js';
import { httpBase } from './lib/loopchat.js';
import { parseDurationMs, soakScenario } from './lib/timing.js';

const DURATION_MS = parseDurationMs(__ENV.DURATION || '30m');
const VUS = Number(__ENV.VUS || 200);
const ROOMS = Number(__ENV.ROOMS || 20);
const SEND_INTERVAL_MS = Number(__ENV.SEND_INTERVAL_MS || 2000);
const SESSION_SECONDS = Number(__ENV.SESSION_SECONDS || 600);
const RSS_GROWTH_MB = Number(__ENV.RSS_GROWTH_MB || 256);

const rssGrowth = new Trend('server_rss_growth_mb');

export const options = {
  scenarios: { soak: soakScenario(DURATION_MS, VUS) },
  thresholds: {
    ...CHAT_THRESHOLDS,
    // Over hours, one failed connect in a thousand is already a finding.
    checks: ['rate>0.999'],
    server_rss_growth_mb: [`max<${RSS_GROWTH_MB}`],
  },
};

export function setup() {
  return { rssBefore: serverRss() };
}

export default function () {
  chatSession({
    prefix: 'soak',
    rooms: ROOMS,
    sendIntervalMs: SEND_INTERVAL_MS,
    sessionSeconds: SESSION_SECONDS,
    durationMs: DURATION_MS,
  });
}

/** @param {{ rssBefore: number | undefined }} data */
export function teardown(data) {
  const after = serverRss();
  if (data.rssBefore === undefined || after === undefined) {
    console.warn(`soak: ${httpBase(WS_URL)}/stats not readable; server RSS growth not measured`);
    return;
  }
  rssGrowth.add((after - data.rssBefore) / (1024 * 1024));
}

/**
 * The server's RSS in bytes from /stats: one process's, or the cluster's sum.
 * @returns {number | undefined}
 */
function serverRss() {
  const res = http.get(`${httpBase(WS_URL)}/stats`, { timeout: '5s' });
  if (res.status !== 200 || typeof res.body !== 'string') return undefined;
  try {
    const stats = JSON.parse(res.body);
    const rss = stats.rssBytes ?? stats.process?.rssBytes;
    return typeof rss === 'number' ? rss : undefined;
  } catch (_) {
    return undefined;
  }
}
