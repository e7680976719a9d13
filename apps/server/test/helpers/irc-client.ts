/**
 * irc-framework (the library IRC bots and The Lounge's server are built on) as a scripted
 * test client: a real IRC client doing its own registration, CAP negotiation, PING answers
 * and parsing. Every raw line and every event it emits lands in an inbox to wait on.
 */
import IRC from 'irc-framework';
import WebSocketTransport from 'irc-framework/src/transports/websocket.js';
import WebSocket from 'ws';
import { Inbox } from './inbox.js';

/** Events the tests wait for (irc-framework's names). */
const EVENTS = [
  'registered',
  'message',
  'join',
  'part',
  'quit',
  'userlist',
  'wholist',
  'irc error',
  'nick in use',
  'nick',
  'topic',
  'kick',
  'mode',
  'batch end chathistory',
  'motd',
  'close',
] as const;

export interface IrcEvent {
  name: (typeof EVENTS)[number];
  event: Record<string, unknown>;
}

export interface IrcClientOptions {
  echo?: boolean;
  password?: string;
  account?: { account: string; password: string };
  /** Seconds between the client's own PINGs (irc-framework's ping_interval). */
  pingInterval?: number;
  /** Connect through this function instead of TCP (TLS tests). */
  tls?: boolean;
  /** Over WebSocket at /ws (subprotocol text.ircv3.net); `port` is then the HTTP port. */
  websocket?: boolean;
  /** Registration must fail: resolve on close instead. */
  expectFailure?: boolean;
}

export class IrcClient {
  // irc-framework ships no types.
  readonly client: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly raw = new Inbox<string>();
  readonly events = new Inbox<IrcEvent>();
  readonly nick: string;

  private constructor(nick: string) {
    this.nick = nick;
    this.client = new IRC.Client();
    this.client.on('raw', (e: { line: string; from_server: boolean }) => {
      if (e.from_server) this.raw.push(e.line.replace(/\r?\n$/, ''));
    });
    for (const name of EVENTS) this.client.on(name, (event: Record<string, unknown>) => this.events.push({ name, event }));
  }

  static async connect(port: number, nick: string, options: IrcClientOptions = {}): Promise<IrcClient> {
    // irc-framework's WebSocket transport is written for browsers: it uses the global WebSocket.
    if (options.websocket) (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
    const irc = new IrcClient(nick);
    irc.client.connect({
      host: '127.0.0.1',
      port,
      nick,
      username: nick,
      gecos: `${nick} (test)`,
      tls: options.tls ?? false,
      rejectUnauthorized: false,
      auto_reconnect: false,
      enable_echomessage: options.echo ?? false,
      ping_interval: options.pingInterval ?? 30,
      ping_timeout: 120,
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.websocket ? { transport: WebSocketTransport, path: '/ws' } : {}),
      ...(options.account === undefined ? {} : { account: options.account }),
    });
    await irc.events.until(
      (e) => e.name === (options.expectFailure ? 'close' : 'registered'),
      8000,
      options.expectFailure ? 'close' : 'registered',
    );
    return irc;
  }

  /** The next event `name` (after the cursor) whose fields include `shape`. */
  waitFor(
    name: IrcEvent['name'],
    shape: Record<string, unknown> = {},
    timeoutMs?: number,
  ): Promise<Record<string, unknown>> {
    return this.events
      .waitFor(
        (e) => e.name === name && Object.entries(shape).every(([k, v]) => e.event[k] === v),
        timeoutMs,
        `${name} ${JSON.stringify(shape)}`,
      )
      .then((e) => e.event);
  }

  /** The first raw line received (ever) matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string> {
    return this.raw.until((l) => pattern.test(l), timeoutMs, String(pattern));
  }

  /** A PING round trip: every line the server sent before the PONG has arrived. */
  async sync(): Promise<void> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    this.client.raw('PING', token);
    await this.line(new RegExp(`PONG \\S+ :?${token}$`));
  }

  async join(channel: string): Promise<void> {
    this.client.join(channel);
    // The server names the channel as the room is stored: folded (CASEMAPPING=ascii).
    await this.waitFor('userlist', { channel: channel.toLowerCase() });
  }

  quit(): void {
    this.client.quit('bye');
  }

  close(): void {
    this.client.connection?.end?.();
    const socket = this.client.connection?.transport?.socket;
    socket?.destroy?.();
    socket?.terminate?.();
  }
}
