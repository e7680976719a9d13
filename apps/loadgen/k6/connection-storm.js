// @ts-check
// k6 scenario: a storm of short connections (a deploy, a reconnect wave after an outage).
// Run as-is:
//   k6 run apps/loadgen/k6/connection-storm.js
//
// Arrivals ramp up to PEAK_RATE new connections per second (ramping-arrival-rate: k6 opens
// them whether or not the server keeps up, so a slow server shows as slower connects, not
// as fewer attempts). Each one: WebSocket connect → hello → join → close.
//
// Measured (custom metrics):
//   storm_connect_time   connect call → WebSocket open (TCP + upgrade handshake)
//   storm_ready_time     connect call → join acknowledged (the client can chat)
//   chat_errors          error frames, tagged by `code` (server_full, too_many_connections…)
//
// Environment: LOOPCHAT_WS_URL (or WS_URL; default ws://127.0.0.1:8080/ws), PEAK_RATE
// (default 200/s), RAMP (30s), HOLD (30s), ROOMS (50), MAX_VUS (1000). From one address the
// server's per-IP limit applies (loopback is exempt by default); see ./README.md.
import ws from 'k6/ws';
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { DEFAULT_WS_URL, nickFor, parseFrame } from './lib/loopchat.js';

const WS_URL = __ENV.LOOPCHAT_WS_URL || __ENV.WS_URL || DEFAULT_WS_URL;

const PEAK_RATE = Number(__ENV.PEAK_RATE || 200);
const ROOMS = Number(__ENV.ROOMS || 50);
const MAX_VUS = Number(__ENV.MAX_VUS || 1000);
/** A connection not ready by then is closed and fails its check. */
const READY_TIMEOUT_MS = 10_000;

const connectTime = new Trend('storm_connect_time', true);
const readyTime = new Trend('storm_ready_time', true);
const chatErrors = new Counter('chat_errors');

export const options = {
  scenarios: {
    storm: {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: '1s',
      preAllocatedVUs: Math.min(100, MAX_VUS),
      maxVUs: MAX_VUS,
      stages: [
        { duration: __ENV.RAMP || '30s', target: PEAK_RATE },
        { duration: __ENV.HOLD || '30s', target: PEAK_RATE },
        { duration: '5s', target: 0 },
      ],
    },
  },
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

  const res = ws.connect(WS_URL, {}, (socket) => {
    socket.on('open', () => {
      opened = true;
      connectTime.add(Date.now() - started);
      socket.send(JSON.stringify({ type: 'hello', nick, id: 'hello' }));
    });
    socket.on('message', (data) => {
      const frame = parseFrame(data);
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
    });
    socket.on('error', () => chatErrors.add(1, { code: 'socket' }));
    socket.setTimeout(() => socket.close(), READY_TIMEOUT_MS);
  });

  check(res, { 'websocket upgrade answered 101': (r) => r !== undefined && r.status === 101 });
  check(opened, { 'connection opened': (o) => o });
  check(ready, { 'hello and join answered': (r) => r });
}
