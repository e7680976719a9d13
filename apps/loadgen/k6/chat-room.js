// k6 scenario: chat rooms over WebSocket (run as-is: `k6 run apps/loadgen/k6/chat-room.js`).
//
// Each virtual user connects to WS_URL, says hello, joins one of ROOMS rooms and sends a
// message every SEND_INTERVAL_MS for SESSION_SECONDS, then reconnects (a new iteration).
// Measured:
//   chat_ack_latency       send → the server's ack (sequenced and stored)
//   chat_delivery_latency  send → another member receives it (all VUs share k6's clock)
//   chat_errors            error frames received, by code (tag)
// Environment: WS_URL (default ws://127.0.0.1:8080/ws), VUS, RAMP, HOLD, ROOMS,
// SEND_INTERVAL_MS, SESSION_SECONDS. In docker-compose, the `load` profile points it at HAProxy.
import ws from 'k6/ws';
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';

const WS_URL = __ENV.WS_URL || 'ws://127.0.0.1:8080/ws';
const VUS = Number(__ENV.VUS || 100);
const ROOMS = Number(__ENV.ROOMS || 10);
const SEND_INTERVAL_MS = Number(__ENV.SEND_INTERVAL_MS || 1000);
const SESSION_SECONDS = Number(__ENV.SESSION_SECONDS || 30);

const ackLatency = new Trend('chat_ack_latency', true);
const deliveryLatency = new Trend('chat_delivery_latency', true);
const chatErrors = new Counter('chat_errors');
const messagesSent = new Counter('chat_messages_sent');
const messagesReceived = new Counter('chat_messages_received');

export const options = {
  scenarios: {
    chat: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP || '30s', target: VUS },
        { duration: __ENV.HOLD || '1m', target: VUS },
        { duration: '10s', target: 0 },
      ],
      gracefulRampDown: '10s',
      gracefulStop: '10s',
    },
  },
  thresholds: {
    chat_ack_latency: ['p(95)<250', 'p(99)<1000'],
    chat_delivery_latency: ['p(95)<500'],
    chat_errors: ['count<10'],
    ws_connecting: ['p(95)<1000'],
    checks: ['rate>0.99'],
  },
};

export default function () {
  const vu = exec.vu.idInTest;
  const nick = `k6u${vu}i${exec.vu.iterationInScenario}`.slice(0, 24);
  const room = `load${vu % ROOMS}`;
  const sentAt = {};
  let counter = 0;

  const res = ws.connect(WS_URL, {}, (socket) => {
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'hello', nick, id: 'hello' }));
    });

    socket.on('message', (data) => {
      const frame = JSON.parse(data);
      const now = Date.now();
      if (frame.type === 'welcome') {
        socket.send(JSON.stringify({ type: 'join', room, id: 'join' }));
      } else if (frame.type === 'ack' && frame.id === 'join') {
        socket.setInterval(() => {
          const id = `m${++counter}`;
          sentAt[id] = Date.now();
          socket.send(JSON.stringify({ type: 'msg', room, id, text: `k6 ${sentAt[id]} ${nick} says hello #${counter}` }));
          messagesSent.add(1);
        }, SEND_INTERVAL_MS);
      } else if (frame.type === 'ack' && sentAt[frame.id] !== undefined) {
        ackLatency.add(now - sentAt[frame.id]);
        delete sentAt[frame.id];
      } else if (frame.type === 'msg' && frame.from !== nick) {
        messagesReceived.add(1);
        const sent = Number(String(frame.text).split(' ')[1]);
        if (String(frame.text).startsWith('k6 ') && Number.isFinite(sent)) deliveryLatency.add(now - sent);
      } else if (frame.type === 'error') {
        chatErrors.add(1, { code: String(frame.code) });
      }
    });

    socket.on('error', (e) => {
      chatErrors.add(1, { code: 'socket' });
      console.error(`${nick}: ${e.error()}`);
    });

    socket.setTimeout(() => socket.close(), SESSION_SECONDS * 1000);
  });

  check(res, { 'websocket upgrade answered 101': (r) => r && r.status === 101 });
}
