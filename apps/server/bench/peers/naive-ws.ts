/**
 * The baseline a user would write from a tutorial: a `ws` WebSocketServer with default
 * options, closures per connection, JSON.parse of every message, rooms as
 * Map<string, Set<WebSocket>>, and a broadcast that does JSON.stringify + ws.send for each
 * member. Speaks enough of the loopchat protocol for the bench (hello, join, msg).
 * Deliberately not optimized: it is what loopchat is measured against.
 */
import { WebSocketServer, WebSocket } from 'ws';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
const rooms = new Map<string, Set<WebSocket>>();
const seqs = new Map<string, number>();

interface Frame {
  type?: string;
  nick?: string;
  room?: string;
  text?: string;
  id?: string | number;
}

wss.on('connection', (ws) => {
  let nick: string | null = null;
  const joined = new Set<string>();

  ws.on('message', (data) => {
    let frame: Frame;
    try {
      frame = JSON.parse(data.toString()) as Frame;
    } catch {
      ws.send(JSON.stringify({ type: 'error', code: 'bad_json', message: 'invalid JSON' }));
      return;
    }
    switch (frame.type) {
      case 'hello':
        nick = String(frame.nick);
        ws.send(JSON.stringify({ type: 'welcome', nick, server: 'naive-ws', v: 1, id: frame.id }));
        break;
      case 'join': {
        const name = String(frame.room);
        let room = rooms.get(name);
        if (!room) {
          room = new Set();
          rooms.set(name, room);
        }
        room.add(ws);
        joined.add(name);
        ws.send(JSON.stringify({ type: 'ack', id: frame.id, seq: seqs.get(name) ?? 0, ts: Date.now() }));
        break;
      }
      case 'msg': {
        const name = String(frame.room);
        const room = rooms.get(name);
        if (!room || !room.has(ws)) {
          ws.send(JSON.stringify({ type: 'error', code: 'not_in_room', message: 'join first', id: frame.id }));
          return;
        }
        const seq = (seqs.get(name) ?? 0) + 1;
        seqs.set(name, seq);
        const ts = Date.now();
        room.forEach((member) => {
          if (member !== ws && member.readyState === WebSocket.OPEN) {
            member.send(JSON.stringify({ type: 'msg', room: name, from: nick, text: frame.text, seq, ts, id: frame.id }));
          }
        });
        ws.send(JSON.stringify({ type: 'ack', id: frame.id, seq, ts }));
        break;
      }
      default:
        ws.send(JSON.stringify({ type: 'error', code: 'unknown_type', message: 'unknown type', id: frame.id }));
    }
  });

  ws.on('close', () => {
    for (const name of joined) rooms.get(name)?.delete(ws);
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  const address = wss.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'naive-ws listening', http: { port } })}\n`);
});
