// @ts-check
// k6 scenario: people chatting in rooms over WebSocket. Run as-is (k6 v1.6.0 or newer, for
// the stable `k6/websockets` module):
//   k6 run apps/loadgen/k6/chat-room.js
//   k6 run -e DURATION=5m -e VUS=500 apps/loadgen/k6/chat-room.js
//
// VUs ramp up over the first quarter of DURATION, hold, and ramp down over its last tenth
// (lib/timing.js). Each VU connects, says hello, joins room `load<vu % ROOMS>`, sends a
// message every SEND_INTERVAL_MS for SESSION_SECONDS (cut short so that the session ends
// before DURATION does), stops sending, waits for what is still on its way, counts what it
// never got, and reconnects (a new iteration). The run ends within DURATION + 30 s.
//
// Measured (custom metrics):
//   chat_latency           send → another member receives it (send time carried in the msg id)
//   chat_ack_latency       send → the sender's ack (sequenced and stored)
//   chat_lost              seqs a member never received: gaps in the room's seq stream
//   chat_errors            error frames received, tagged by `code` (and socket errors)
//   chat_messages_sent / chat_messages_received
// The run fails (exit 99) when a threshold below is breached: the SLO of the scenario.
//
// Environment: LOOPCHAT_WS_URL (or WS_URL; default ws://127.0.0.1:8080/ws), DURATION (2m),
// VUS (100), ROOMS (10), SEND_INTERVAL_MS (2000), SESSION_SECONDS (30), SLO_P99_MS (100).
// The default send interval (2 s) stays under the server's moderation flood rule
// (FILTER_FLOOD_MAX messages per FILTER_FLOOD_WINDOW_MS, 10 per 10 s) and its rate limit; for
// more traffic add VUs, or start the server with `--filter off --rate 0`.
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import { DEFAULT_WS_URL, SeqTracker, nickFor, parseFrame, sentAtOf, timedId } from './lib/loopchat.js';
import { DRAIN_MS, chatRoomScenario, parseDurationMs, sendWindowMs } from './lib/timing.js';

export const WS_URL = __ENV.LOOPCHAT_WS_URL || __ENV.WS_URL || DEFAULT_WS_URL;

const DURATION_MS = parseDurationMs(__ENV.DURATION || '2m');
const VUS = Number(__ENV.VUS || 100);
const ROOMS = Number(__ENV.ROOMS || 10);
const SEND_INTERVAL_MS = Number(__ENV.SEND_INTERVAL_MS || 2000);
const SESSION_SECONDS = Number(__ENV.SESSION_SECONDS || 30);
const SLO_P99_MS = Number(__ENV.SLO_P99_MS || 100);

export const chatLatency = new Trend('chat_latency', true);
export const ackLatency = new Trend('chat_ack_latency', true);
export const chatLost = new Counter('chat_lost');
export const chatErrors = new Counter('chat_errors');
export const messagesSent = new Counter('chat_messages_sent');
export const messagesReceived = new Counter('chat_messages_received');

/** The thresholds every chat scenario shares (soak.js tightens the check rate). */
export const CHAT_THRESHOLDS = {
  chat_latency: [`p(95)<${SLO_P99_MS / 2}`, `p(99)<${SLO_P99_MS}`],
  chat_ack_latency: [`p(99)<${SLO_P99_MS}`],
  chat_lost: ['count==0'],
  chat_errors: ['count==0'],
  ws_connecting: ['p(95)<1000'],
  checks: ['rate>0.99'],
};

export const options = {
  scenarios: { chat: chatRoomScenario(DURATION_MS, VUS) },
  thresholds: CHAT_THRESHOLDS,
};

export default function () {
  chatSession({
    prefix: 'k6u',
    rooms: ROOMS,
    sendIntervalMs: SEND_INTERVAL_MS,
    sessionSeconds: SESSION_SECONDS,
    durationMs: DURATION_MS,
  });
}

/**
 * @typedef {object} SessionOptions
 * @property {string} prefix nick prefix (a letter first)
 * @property {number} rooms the VU joins room `load<vu % rooms>`
 * @property {number} sendIntervalMs
 * @property {number} sessionSeconds how long the VU sends before it drains and reconnects
 * @property {number} durationMs the scenario's DURATION: no session outlives it
 */

/**
 * One connection's life: hello, join, send at a steady rate, drain, count losses, close.
 * With k6/websockets the iteration lasts while the socket or a timer is alive: every timer
 * is cleared on close, so the iteration ends with the connection.
 * @param {SessionOptions} o
 */
export function chatSession(o) {
  const now = Date.now();
  const sendMs = sendWindowMs({
    sessionMs: o.sessionSeconds * 1000,
    nowMs: now,
    scenarioStartMs: exec.scenario.startTime,
    durationMs: o.durationMs,
  });
  if (sendMs === 0) {
    // Too late for a session that would end in time: idle to the end instead of spinning.
    sleep(Math.max(1, (exec.scenario.startTime + o.durationMs - now) / 1000));
    return;
  }
  const vu = exec.vu.idInTest;
  const nick = nickFor(o.prefix, vu, exec.vu.iterationInScenario);
  const room = `load${vu % o.rooms}`;
  /** @type {SeqTracker | undefined} */
  let seqs;
  /**
   * Seqs that arrived before the join ack: in cluster mode a message sequenced just after
   * our join can overtake the ack. Fed to the tracker once it exists.
   * @type {number[]}
   */
  const early = [];
  let sending = true;
  let counted = false;
  let n = 0;

  /** Gaps still open at the end are lost; a sample of 0 keeps `count==0` evaluated. */
  const countLosses = () => {
    if (counted) return;
    counted = true;
    chatLost.add(seqs === undefined ? 0 : seqs.finish());
  };

  let opened = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let sender;
  const socket = new WebSocket(WS_URL);

  socket.onopen = () => {
    opened = true;
    socket.send(JSON.stringify({ type: 'hello', nick, id: 'hello' }));
  };

  socket.onmessage = (event) => {
    const frame = parseFrame(typeof event?.data === 'string' ? event.data : '');
    if (frame === undefined) return;
    const now = Date.now();
    if (frame.type === 'welcome') {
      socket.send(JSON.stringify({ type: 'join', room, id: 'join' }));
    } else if (frame.type === 'ack' && frame.id === 'join') {
      const tracker = new SeqTracker(frame.seq ?? 0);
      for (const seq of early) addLost(tracker.see(seq));
      seqs = tracker;
      sender = setInterval(() => {
        if (!sending) return;
        const sentAt = Date.now();
        socket.send(JSON.stringify({ type: 'msg', room, id: timedId(sentAt, ++n), text: `k6 load ${nick} message ${n}` }));
        messagesSent.add(1);
      }, o.sendIntervalMs);
    } else if (frame.type === 'ack') {
      const sentAt = sentAtOf(frame.id);
      if (sentAt !== undefined) ackLatency.add(now - sentAt);
      if (seqs !== undefined && frame.seq !== undefined) addLost(seqs.see(frame.seq));
    } else if (frame.type === 'msg' && frame.room === room) {
      messagesReceived.add(1);
      const sentAt = sentAtOf(frame.id);
      if (sentAt !== undefined) chatLatency.add(now - sentAt);
      if (frame.seq === undefined) return;
      if (seqs === undefined) early.push(frame.seq);
      else addLost(seqs.see(frame.seq));
    } else if (frame.type === 'error') {
      chatErrors.add(1, { code: String(frame.code) });
    }
  };

  socket.onerror = (event) => {
    chatErrors.add(1, { code: 'socket' });
    console.error(`${nick}: ${event?.error ?? 'websocket error'}`);
  };

  const stopSending = setTimeout(() => {
    sending = false;
  }, sendMs);
  const hangUp = setTimeout(() => {
    countLosses();
    socket.close();
  }, sendMs + DRAIN_MS);

  socket.onclose = () => {
    // Nothing may keep the iteration alive once the connection is gone.
    if (sender !== undefined) clearInterval(sender);
    clearTimeout(stopSending);
    clearTimeout(hangUp);
    countLosses();
    check(opened, { 'websocket opened': (o) => o });
    check(seqs, { 'hello and join answered': (s) => s !== undefined });
  };
}

/** @param {number} lost */
function addLost(lost) {
  if (lost > 0) chatLost.add(lost);
}
