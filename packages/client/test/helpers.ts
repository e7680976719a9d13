/** Shared by the client's integration tests: a real server, both transports, event recorders. */
import WebSocket from 'ws';
import type { LoopchatServer } from '../../../apps/server/src/server.js';
import { ChatClient, webSocketTransport, type ClientEvents, type ClientOptions, type Transport } from '../src/index.js';
import { tcpTransport } from '../src/node/index.js';

export { startTestServer } from '../../../apps/server/test/helpers/server.js';
export { sleep, waitUntil } from '../../../apps/server/test/helpers/clients.js';

export interface TransportCase {
  name: string;
  transport(server: LoopchatServer): Transport;
}

export const TRANSPORTS: TransportCase[] = [
  { name: 'TCP JSON lines', transport: (server) => tcpTransport({ port: server.tcpPort }) },
  {
    name: 'WebSocket (ws)',
    transport: (server) => webSocketTransport(`ws://127.0.0.1:${server.httpPort}/ws`, { WebSocket }),
  },
];

/** A client with every event it emits recorded, in order. */
export interface Recorded {
  client: ChatClient;
  events: { [K in keyof ClientEvents]: ClientEvents[K][] };
}

export function recorded(transport: Transport, options: Partial<ClientOptions> = {}): Recorded {
  const client = new ChatClient({ transport, ...options });
  const names: (keyof ClientEvents)[] = [
    'open',
    'welcome',
    'message',
    'dm',
    'presence',
    'typing',
    'topic',
    'mod',
    'delete',
    'notice',
    'error',
    'gap',
    'reset',
    'close',
    'reconnecting',
    'reconnected',
  ];
  const events = Object.fromEntries(names.map((name) => [name, []])) as unknown as Recorded['events'];
  for (const name of names) client.on(name, (payload) => (events[name] as unknown[]).push(payload));
  return { client, events };
}

/** Connects and says hello as `nick`. */
export async function registered(transport: Transport, nick: string, options: Partial<ClientOptions> = {}) {
  const r = recorded(transport, options);
  await r.client.connect();
  await r.client.hello(nick);
  return r;
}

/** The rejection's `code` (tests branch on codes, never on message text). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'resolved';
}

/** Wraps a transport so that incoming frames pass through `edit`: changed, or dropped (undefined). */
export function tampered(transport: Transport, edit: (text: string) => string | undefined): Transport {
  return (handlers) =>
    transport({
      onClose: (info) => handlers.onClose(info),
      onFrame: (text) => {
        const edited = edit(text);
        if (edited !== undefined) handlers.onFrame(edited);
      },
    });
}
