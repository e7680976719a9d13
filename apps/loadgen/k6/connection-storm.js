// @ts-check
// k6 scenario: a storm of short connections (a deploy, a reconnect wave after an outage).
// Run as-is:
//   k6 run apps/loadgen/k6/connection-storm.js
//
// Arrivals ramp up to PEAK_RATE new connections per second over 45 % of DURATION, hold for
// 45 % and ramp down (lib/timing.js; ramping-arrival-rate: k6 opens them whether or not the
// server keeps up, so a slow server shows as slower connects, not as fewer attempts). Each
// one: WebSocket connect → hello → join → close, given up after 10 s. The run ends within
// DURATION + 30 s.
//
// Measured (custom metrics):
//   storm_connect_time   connect call → WebSocket open (TCP + upgrade handshake)
//   storm_ready_time     connect call → join acknowledged (the client can chat)
//   chat_errors          error frames, tagged by `code` (server_full, too_many_connections…)
//
// Environment: LOOPCHAT_WS_URL (or WS_URL; default ws://127.0.0.1:8080/ws), DURATION (1m),
// PEAK_RATE (default 200/s), ROOMS (50), MAX_VUS (1000). From one address the
// server's per-IP limit applies (loopback is exempt by default); see ./README.md.
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { clearTimeout, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import { DEFAULT_WS_URL, nickFor, parseFrame } from './lib/loopchat.js';
import { GRACEFUL_STOP_MS, parseDurationMs, stormScenario } from './lib/timing.js';

const WS_URL = __ENV.LOOPCHAT_WS_URL || __ENV.WS_URL || DEFAULT_WS_URL;

const DURATION_MS = parseDurationMs(__ENV.DURATION || '1m');
const PEAK_RATE = Number(__ENV.PEAK_RATE || 200);
const ROOMS = Number(__ENV.ROOMS || 50);
const MAX_VUS = Number(__ENV.MAX_VUS || 1000);
/** A connection not ready by then is closed and fails its check (within the graceful stop). */
const READY_TIMEOUT_MS = Math.min(10_000, GRACEFUL_STOP_MS);

const connectTime = new Trend('storm_connect_time', true);
const readyTime = new Trend('storm_ready_time', true);
const chatErrors = new Counter('chat_errors');

export const options = {
  scenarios: { storm: stormScenario(DURATION_MS, PEAK_RATE, MAX_VUS) },
  thresholds: {
    storm_connect_time: ['p(95)<100', 'p(99)<250'],
    storm_ready_time: ['p(95)<200', 'p(99)<500'],
    chat_errors: ['count==0'],
    checks: ['rate>0.999'],
  },
};

export default function () {
  const nick = nickFor('st', exec.vu.idInTest, exec.vu.iterationInScenario);
  const room = `storm${exec.scenario.iterationInTest % ROOMS}`;
  const started = Date.now();
  let opened = false;
  let ready = false;

  const socket = new WebSocket(WS_URL);
  socket.onopen = () => {
    opened = true;
    connectTime.add(Date.now() - started);
    socket.send(JSON.stringify({ type: 'hello', nick, id: 'hello' }));
  };
  socket.onmessage = (event) => {
    const frame = parseFrame(typeof event?.data === 'string' ? event.data : '');
    if (frame === undefined) return;
    if (frame.type === 'welcome') {
      socket.send(JSON.stringify({ type: 'join', room, id: 'join' }));
    } else if (frame.type === 'ack' && frame.id === 'join') {
      ready = true;
      readyTime.add(Date.now() - started);
      socket.close();
    } else if (frame.type === 'error') {
      chatErrors.add(1, { code: String(frame.code) });
      socket.close();
    }
  };
  socket.onerror = () => chatErrors.add(1, { code: 'socket' });
  const giveUp = setTimeout(() => socket.close(), READY_TIMEOUT_MS);
  socket.onclose = () => {
    // The iteration ends when nothing is left: the socket, and this timer.
    clearTimeout(giveUp);
    check(opened, { 'connection opened': (o) => o });
    check(ready, { 'hello and join answered': (r) => r });
  };
}
