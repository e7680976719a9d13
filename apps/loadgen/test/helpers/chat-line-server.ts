/**
 * A minimal loopchat-speaking TCP server for tests (hello, join, msg as JSON lines; acks with
 * seq; no echo to the sender). Several listeners can share one `ChatRooms`, which stands in
 * for two server instances on a shared bus. It counts accepted sockets and records what each
 * nick sent, so tests can assert on where connections went and what they said.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ChatRooms {
  rooms: Map<string, { seq: number; members: Set<Socket> }>;
  /** nick → every text it sent, in order. */
  textsByNick: Map<string, string[]>;
}

export function newChatRooms(): ChatRooms {
  return { rooms: new Map(), textsByNick: new Map() };
}

export interface ChatLineServer {
  port: number;
  /** Sockets accepted so far. */
  accepted(): number;
  /** Every text `nick` sent (through any listener sharing the rooms), in order. */
  textsByNick(nick: string): string[];
  close(): Promise<void>;
}

interface Frame {
  type: string;
  nick?: string;
  room?: string;
  text?: string;
  id?: number;
}

export async function startChatLineServer(shared: ChatRooms = newChatRooms()): Promise<ChatLineServer> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    let nick = '';
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const f = JSON.parse(buffered.slice(0, nl)) as Frame;
        buffered = buffered.slice(nl + 1);
        const ts = Date.now();
        if (f.type === 'hello') {
          nick = f.nick ?? '';
          socket.write(`${JSON.stringify({ type: 'welcome', nick, server: 'chat-line', v: 1 })}\n`);
        } else if (f.type === 'join') {
          const room = shared.rooms.get(f.room!) ?? { seq: 0, members: new Set<Socket>() };
          shared.rooms.set(f.room!, room);
          room.members.add(socket);
          socket.write(`${JSON.stringify({ type: 'ack', id: f.id, seq: room.seq, ts })}\n`);
        } else if (f.type === 'msg') {
          const texts = shared.textsByNick.get(nick) ?? [];
          shared.textsByNick.set(nick, texts);
          texts.push(f.text!);
          const room = shared.rooms.get(f.room!)!;
          const seq = ++room.seq;
          const out = `${JSON.stringify({ type: 'msg', room: f.room, from: nick, text: f.text, seq, ts, id: f.id })}\n`;
          for (const m of room.members) if (m !== socket && !m.destroyed) m.write(out);
          socket.write(`${JSON.stringify({ type: 'ack', id: f.id, seq, ts })}\n`);
        }
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      for (const room of shared.rooms.values()) room.members.delete(socket);
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    textsByNick: (nick) => shared.textsByNick.get(nick) ?? [],
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
