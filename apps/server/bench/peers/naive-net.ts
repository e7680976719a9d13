/**
 * The node:net baseline a user would write from a tutorial: string buffering with concat
 * and split('\n'), JSON.parse per line, closures per connection, rooms as
 * Map<string, Set<Socket>>, and socket.write(JSON.stringify(frame) + '\n') per member.
 * Speaks enough of the loopchat protocol for the bench (hello, join, msg). Deliberately
 * not optimized: it is what loopchat is measured against.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

const rooms = new Map<string, Set<Socket>>();
const seqs = new Map<string, number>();

interface Frame {
  type?: string;
  nick?: string;
  room?: string;
  text?: string;
  id?: string | number;
}

const server = createServer((socket) => {
  socket.setEncoding('utf8');
  let buffer = '';
  let nick: string | null = null;
  const joined = new Set<string>();

  const send = (frame: object): void => {
    socket.write(JSON.stringify(frame) + '\n');
  };

  const handle = (frame: Frame): void => {
    switch (frame.type) {
      case 'hello':
        nick = String(frame.nick);
        send({ type: 'welcome', nick, server: 'naive-net', v: 1, id: frame.id });
        break;
      case 'join': {
        const name = String(frame.room);
        let room = rooms.get(name);
        if (!room) {
          room = new Set();
          rooms.set(name, room);
        }
        room.add(socket);
        joined.add(name);
        send({ type: 'ack', id: frame.id, seq: seqs.get(name) ?? 0, ts: Date.now() });
        break;
      }
      case 'msg': {
        const name = String(frame.room);
        const room = rooms.get(name);
        if (!room || !room.has(socket)) {
          send({ type: 'error', code: 'not_in_room', message: 'join first', id: frame.id });
          return;
        }
        const seq = (seqs.get(name) ?? 0) + 1;
        seqs.set(name, seq);
        const ts = Date.now();
        for (const member of room) {
          if (member !== socket && !member.destroyed) {
            member.write(
              JSON.stringify({ type: 'msg', room: name, from: nick, text: frame.text, seq, ts, id: frame.id }) + '\n',
            );
          }
        }
        send({ type: 'ack', id: frame.id, seq, ts });
        break;
      }
      default:
        send({ type: 'error', code: 'unknown_type', message: 'unknown type', id: frame.id });
    }
  };

  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let frame: Frame;
      try {
        frame = JSON.parse(line) as Frame;
      } catch {
        send({ type: 'error', code: 'bad_json', message: 'invalid JSON' });
        continue;
      }
      handle(frame);
    }
  });

  socket.on('close', () => {
    for (const name of joined) rooms.get(name)?.delete(socket);
  });
  socket.on('error', () => {});
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'naive-net listening', tcp: { port } })}\n`);
});
