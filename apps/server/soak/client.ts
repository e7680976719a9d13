/**
 * One soak client process (forked by run.ts): opens its share of the connections from a
 * few loopback source addresses as `@loopchat/client` ChatClients (hello, join, send with an
 * ack, heartbeats answered), then sends (if it holds senders) at a fixed rate and counts
 * what it receives per room. No reconnect: a connection the server drops counts as closed.
 */
import { ChatClient, tcpTransport } from '@loopchat/client/node';
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
  chat: ChatClient;
  room: string;
}

const plan = JSON.parse(process.argv[2]!) as ClientPlan;
const senders: Conn[] = [];
let opened = 0;
const received: Record<string, number> = {};
const acked: Record<string, number> = {};
let closed = 0;
/** Holes in a receiver's live stream (the client recovers them from history) and messages history no longer held. */
let gaps = 0;
let sendTimer: NodeJS.Timeout | undefined;

function send(message: ToParent): void {
  process.send!(message);
}

async function open(global: number): Promise<boolean> {
  const room = `soak${global % plan.rooms}`;
  const localAddress = plan.addresses[global % plan.addresses.length]!;
  const chat = new ChatClient({ transport: tcpTransport({ port: plan.port, localAddress }), reconnect: false });
  const sender = isSender(global, plan.rooms, plan.senderEvery);
  try {
    await chat.connect();
    await chat.hello(`s${global}`);
    await chat.join(room);
  } catch {
    chat.close();
    return false;
  }
  chat.on('close', () => closed++);
  // Senders' own messages come back from their acks: only receivers account for a room.
  if (sender) senders.push({ chat, room });
  else {
    chat.on('message', (m) => void (received[m.room] = (received[m.room] ?? 0) + 1));
    chat.on('recovering', () => gaps++);
    chat.on('gap', (g) => void (gaps += g.to - g.from + 1));
  }
  opened++;
  return true;
}

async function openAll(): Promise<void> {
  let failed = 0;
  for (let i = 0; i < plan.connections; i += 200) {
    const batch = Array.from({ length: Math.min(200, plan.connections - i) }, (_, j) => open(plan.first + i + j));
    failed += (await Promise.all(batch)).filter((ok) => !ok).length;
  }
  send({ kind: 'ready', opened, failed });
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
function sendTick(): void {
  owed += (senders.length * plan.rate * TICK_MS) / 1000;
  for (; owed >= 1; owed--) {
    const { chat, room } = senders[cursor]!;
    cursor = (cursor + 1) % senders.length;
    chat.send(room, `soak message ${counter++}`).then(
      ({ seq }) => void (acked[room] = Math.max(acked[room] ?? 0, seq)),
      () => {}, // refused or unanswered: the report's acked seq says what the server took
    );
  }
}

process.on('message', (message: ToClient) => {
  if (message.kind === 'go') {
    if (senders.length > 0) sendTimer = setInterval(sendTick, TICK_MS);
  } else if (message.kind === 'stop') {
    clearInterval(sendTimer);
  } else {
    send({ kind: 'report', received, acked, closed, gaps });
  }
});

void openAll();
