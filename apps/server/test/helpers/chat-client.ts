/**
 * A test user that is a real `@loopchat/client` ChatClient, for tests that act as a user
 * (hello, join, send with an ack, history, read markers) rather than probe the wire: the
 * server is then held to what the client library relies on, and a test reads as a user
 * story. Every event the client emits is kept in order in an Inbox, so a test waits for
 * one as it waits for a frame. Tests about bytes and invalid frames keep clients.ts.
 */
import WebSocket from 'ws';
import { ChatClient, webSocketTransport, type ClientEvents, type ClientOptions } from '@loopchat/client';
import { tcpTransport } from '@loopchat/client/node';
import { Inbox, matches, type Shape } from './inbox.js';

type EventName = keyof ClientEvents;

/** One event as the client emitted it. */
export type ClientEvent = { [K in EventName]: { event: K; payload: ClientEvents[K] } }[EventName];

/** Every event a ChatClient emits (`satisfies`: a new event in ClientEvents must be added here). */
const EVENT_NAMES = Object.keys({
  open: true,
  welcome: true,
  message: true,
  dm: true,
  presence: true,
  topic: true,
  mod: true,
  delete: true,
  typing: true,
  notice: true,
  error: true,
  recovering: true,
  gap: true,
  reset: true,
  close: true,
  reconnecting: true,
  reconnected: true,
} satisfies Record<EventName, true>) as EventName[];

export class TestChatClient extends ChatClient {
  readonly events = new Inbox<ClientEvent>();

  constructor(options: ClientOptions) {
    super(options);
    for (const event of EVENT_NAMES) this.on(event, (payload) => this.events.push({ event, payload } as ClientEvent));
  }

  /** The next `event` after the cursor whose payload has the fields of `shape` (and moves the cursor past it). */
  async next<K extends EventName>(event: K, shape: Shape = {}, timeoutMs?: number): Promise<ClientEvents[K]> {
    const found = await this.events.waitFor(
      (e) => e.event === event && matches(e.payload ?? {}, shape),
      timeoutMs,
      `${event} ${JSON.stringify(shape)}`,
    );
    return found.payload as ClientEvents[K];
  }

  /** Every `event` so far whose payload has the fields of `shape` (the cursor does not move). */
  seen<K extends EventName>(event: K, shape: Shape = {}): ClientEvents[K][] {
    return this.events.items
      .filter((e) => e.event === event && matches(e.payload ?? {}, shape))
      .map((e) => e.payload as ClientEvents[K]);
  }
}

export interface ConnectClientOptions extends Partial<Omit<ClientOptions, 'transport'>> {
  /** TCP JSON lines or WebSocket. @default 'tcp' */
  via?: 'tcp' | 'ws';
}

/**
 * A ChatClient connected to `server`, registered as `nick` when one is given. It does not
 * reconnect unless `reconnect` says so: a test that drops a connection means it.
 */
export async function connectClient(
  server: { tcpPort: number; httpPort: number },
  nick?: string,
  options: ConnectClientOptions = {},
): Promise<TestChatClient> {
  const { via = 'tcp', reconnect = false, ...rest } = options;
  const transport =
    via === 'tcp'
      ? tcpTransport({ port: server.tcpPort })
      : webSocketTransport(`ws://127.0.0.1:${server.httpPort}/ws`, { WebSocket });
  const client = new TestChatClient({ transport, reconnect, ...rest });
  await client.connect();
  if (nick !== undefined) await client.hello(nick);
  return client;
}
