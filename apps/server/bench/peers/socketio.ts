/**
 * Socket.IO 4 as a user would write a chat room with it: the documented `Server` on a
 * node:http server, WebSocket transport only (no long-polling upgrade dance), rooms with
 * `socket.join`, broadcasts with `io.to(room).emit`. Nothing tuned: it is a peer loopchat is
 * measured against, like naive-ws.ts. (Socket.IO encodes a broadcast once per packet and
 * writes the same frame to every member, the "encode once" loopchat also does.)
 *
 * Contract (the loadgen's socketio driver is written to it), all events on the default
 * namespace `/`:
 *
 *   client emits                  server emits
 *   hello {nick}              →   welcome {nick, server: 'socketio'}          to the sender
 *   join  {room}              →   joined  {room}                              to the sender
 *   msg   {room, text, id}    →   ack {id, seq}                               to the sender
 *                                 msg {room, from, text, id, seq, ts}         to the room, sender included
 *
 * `seq` starts at 1 per room and grows by 1 per message; `ts` is the server's Date.now().
 * A msg before hello, or to a room the socket has not joined, is dropped without an answer.
 *
 * Started as `node dist-bench/peers/socketio.js`; it listens on 127.0.0.1, port 0 (or
 * PORT), and prints one JSON line `{"msg":"socketio listening","http":{"port":N}}` as the
 * other peers do (bench/lib/servers.ts reads it). Clients connect to
 * `ws://127.0.0.1:N/socket.io/?EIO=4&transport=websocket`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

interface Hello {
  nick?: unknown;
}
interface Join {
  room?: unknown;
}
interface Msg {
  room?: unknown;
  text?: unknown;
  id?: unknown;
}

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'] });
const seqs = new Map<string, number>();

io.on('connection', (socket) => {
  let nick: string | null = null;

  socket.on('hello', (frame: Hello) => {
    nick = String(frame?.nick);
    socket.emit('welcome', { nick, server: 'socketio' });
  });

  socket.on('join', (frame: Join) => {
    const room = String(frame?.room);
    void socket.join(room);
    socket.emit('joined', { room });
  });

  socket.on('msg', (frame: Msg) => {
    const room = String(frame?.room);
    if (nick === null || !socket.rooms.has(room)) return;
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    socket.emit('ack', { id: frame.id, seq });
    io.to(room).emit('msg', { room, from: nick, text: frame.text, id: frame.id, seq, ts: Date.now() });
  });
});

httpServer.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'socketio listening', http: { port } })}\n`);
});
