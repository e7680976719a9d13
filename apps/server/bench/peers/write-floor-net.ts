/**
 * The floor of "one write per delivery" in Node: a node:net server that does the least a
 * chat server can do per message — parse the line, encode the msg frame once into a Buffer,
 * and `socket.write` that same Buffer to every other member, then ack. No limits, no
 * history, no coalescing, no validation beyond JSON.parse. It speaks the protocol of
 * naive-net.ts (hello, join, msg), so the loadgen's `naive-net` driver drives it.
 *
 * What it costs per delivery is what any server that writes each delivery on its own pays
 * here (the write syscall and Node's stream machinery around it); a server can only go
 * below it by putting several deliveries in one write. It is a measuring stick, not a peer
 * anyone would deploy.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

const rooms = new Map<string, Set<Socket>>();
const seqs = new Map<string, number>();
const NL = 0x0a;

interface Frame {
  type?: string;
  nick?: string;
  room?: string;
  text?: string;
  id?: string | number;
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let pending: Buffer | null = null;
  let nick = '';
  const joined = new Set<string>();
  const send = (frame: object): boolean => socket.write(`${JSON.stringify(frame)}\n`);

  const handle = (frame: Frame): void => {
    if (frame.type === 'msg') {
      const name = String(frame.room);
      const room = rooms.get(name);
      if (room === undefined || !room.has(socket)) {
        send({ type: 'error', code: 'not_in_room', message: 'join first', id: frame.id });
        return;
      }
      const seq = (seqs.get(name) ?? 0) + 1;
      seqs.set(name, seq);
      const ts = Date.now();
      const bytes = Buffer.from(
        `${JSON.stringify({ type: 'msg', room: name, from: nick, text: frame.text, seq, ts, id: frame.id })}\n`,
      );
      for (const member of room) if (member !== socket) member.write(bytes);
      send({ type: 'ack', id: frame.id, seq, ts });
    } else if (frame.type === 'hello') {
      nick = String(frame.nick);
      send({ type: 'welcome', nick, server: 'write-floor-net', v: 1, id: frame.id });
    } else if (frame.type === 'join') {
      const name = String(frame.room);
      let room = rooms.get(name);
      if (room === undefined) rooms.set(name, (room = new Set()));
      room.add(socket);
      joined.add(name);
      send({ type: 'ack', id: frame.id, seq: seqs.get(name) ?? 0, ts: Date.now() });
    } else {
      send({ type: 'error', code: 'unknown_type', message: 'unknown type', id: frame.id });
    }
  };

  socket.on('data', (chunk: Buffer) => {
    const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let start = 0;
    for (let nl = buf.indexOf(NL); nl !== -1; nl = buf.indexOf(NL, start)) {
      if (nl > start) {
        try {
          handle(JSON.parse(buf.toString('utf8', start, nl)) as Frame);
        } catch {
          send({ type: 'error', code: 'bad_json', message: 'invalid JSON' });
        }
      }
      start = nl + 1;
    }
    pending = start < buf.length ? buf.subarray(start) : null;
  });
  socket.on('close', () => {
    for (const name of joined) rooms.get(name)?.delete(socket);
  });
  socket.on('error', () => {});
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'write-floor-net listening', tcp: { port } })}\n`);
});
