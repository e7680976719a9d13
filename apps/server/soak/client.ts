/**
 * One soak client process (forked by run.ts): opens its share of the connections from a
 * few loopback source addresses, says hello, joins one room per connection, then sends
 * (if it holds senders) at a fixed rate and counts what it receives per room. Lean on
 * purpose, like bench/workers: no JSON parse of room messages, only their seq.
 */
import { connect, type Socket } from 'node:net';
import { isSender } from './sender.js';

export interface ClientPlan {
  port: number;
  index: number;
  connections: number;
  /** Global index of this process's first connection: room = global % rooms. */
  first: number;
  rooms: number;
  /** In each room, every `senderEvery`-th member sends (see isSender). */
  senderEvery: number;
  /** Messages per second per sender. */
  rate: number;
  addresses: string[];
}

export type ToParent =
  | { kind: 'ready'; opened: number; failed: number }
  | { kind: 'report'; received: Record<string, number>; acked: Record<string, number>; closed: number; gaps: number };
export type ToClient = { kind: 'go' } | { kind: 'stop' } | { kind: 'report' };

interface Conn {
  socket: Socket;
  room: string;
  sender: boolean;
  lastSeq: number;
  tail: string;
}

const plan = JSON.parse(process.argv[2]!) as ClientPlan;
const conns: Conn[] = [];
const received: Record<string, number> = {};
const acked: Record<string, number> = {};
let closed = 0;
let gaps = 0;
let sendTimer: NodeJS.Timeout | undefined;

function send(message: ToParent): void {
  process.send!(message);
}

function onLines(conn: Conn, chunk: string): void {
  const data = conn.tail + chunk;
  let start = 0;
  for (let nl = data.indexOf('\n'); nl !== -1; nl = data.indexOf('\n', start)) {
    const line = data.slice(start, nl);
    start = nl + 1;
    // A member that only listens still answers heartbeats, or the idle timeout reaps it.
    if (line.startsWith('{"type":"ping"')) {
      conn.socket.write('{"type":"pong"}\n');
      continue;
    }
    const seqAt = line.indexOf('"seq":');
    if (seqAt === -1) continue;
    const seq = parseInt(line.slice(seqAt + 6), 10);
    if (line.startsWith('{"type":"msg"')) {
      // Senders do not get their own messages back: only receivers can account for a room.
      if (conn.sender) continue;
      received[conn.room] = (received[conn.room] ?? 0) + 1;
      if (conn.lastSeq !== 0 && seq !== conn.lastSeq + 1) gaps++;
      conn.lastSeq = seq;
    } else if (line.startsWith('{"type":"ack"') && line.includes('"id":"m')) {
      acked[conn.room] = Math.max(acked[conn.room] ?? 0, seq);
    }
  }
  conn.tail = data.slice(start);
}

function open(global: number): Promise<boolean> {
  return new Promise((resolve) => {
    const room = `soak${global % plan.rooms}`;
    const localAddress = plan.addresses[global % plan.addresses.length]!;
    const socket = connect({ port: plan.port, host: '127.0.0.1', localAddress });
    const conn: Conn = { socket, room, sender: isSender(global, plan.rooms, plan.senderEvery), lastSeq: 0, tail: '' };
    socket.setEncoding('utf8');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => {
      socket.write(`{"type":"hello","nick":"s${global}","id":"h"}\n{"type":"join","room":"${room}","id":"j"}\n`);
    });
    const onJoin = (chunk: string): void => {
      if (!chunk.includes('"id":"j"')) return;
      socket.removeListener('data', onJoin);
      socket.on('data', (c: string) => onLines(conn, c));
      conns.push(conn);
      resolve(true);
    };
    socket.on('data', onJoin);
    socket.on('close', () => closed++);
  });
}

async function openAll(): Promise<void> {
  let failed = 0;
  for (let i = 0; i < plan.connections; i += 200) {
    const batch = Array.from({ length: Math.min(200, plan.connections - i) }, (_, j) => open(plan.first + i + j));
    failed += (await Promise.all(batch)).filter((ok) => !ok).length;
  }
  send({ kind: 'ready', opened: conns.length, failed });
}

/**
 * Steady traffic: every sender sends `rate` msgs/s, spread evenly over the second in 10 ms
 * ticks (round robin over the senders). Firing every sender on the same tick would make a
 * once-a-second burst of 10,000 one-message writes: a thundering herd, not chat traffic.
 */
const TICK_MS = 10;
let counter = 0;
let cursor = 0;
let owed = 0;
function sendTick(senders: Conn[]): void {
  owed += (senders.length * plan.rate * TICK_MS) / 1000;
  for (; owed >= 1; owed--) {
    const conn = senders[cursor]!;
    cursor = (cursor + 1) % senders.length;
    conn.socket.write(`{"type":"msg","room":"${conn.room}","text":"soak message ${counter}","id":"m${counter}"}\n`);
    counter++;
  }
}

process.on('message', (message: ToClient) => {
  if (message.kind === 'go') {
    const senders = conns.filter((c) => c.sender);
    if (senders.length > 0) sendTimer = setInterval(sendTick, TICK_MS, senders);
  } else if (message.kind === 'stop') {
    clearInterval(sendTimer);
  } else {
    send({ kind: 'report', received, acked, closed, gaps });
  }
});

void openAll();
