/**
 * The loopchat client: typed requests over any transport, events for what the server
 * pushes, reconnect with backoff and recovery of missed messages by seq.
 *
 * It composes parts that each own their state: `PendingRequests` (correlation ids,
 * timeouts, the bound), a `RoomLog` per joined room (order, duplicates, gaps), `Backoff`
 * (reconnect delays) and the `Transport` (the socket). This file only wires them.
 */
import type {
  AckFrame,
  ClientFrame,
  ClientFrameOf,
  HistoryFrame,
  MembersFrame,
  MsgFrame,
  RoomsFrame,
  ServerFrame,
  TopicFrame,
  WelcomeFrame,
} from '@loopchat/protocol';
import { Backoff } from './backoff.js';
import type { ClientEvents } from './client-events.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './client-options.js';
import { Emitter } from './emitter.js';
import { decodeServerFrame } from './decode.js';
import { encodeClientFrame } from './encode.js';
import { ClientError } from './errors.js';
import { PendingRequests, type OnAnswer } from './pending-requests.js';
import { RoomLog, type RoomLogSink } from './room-log.js';
import { TypingThrottle } from './typing-throttle.js';
import type { CloseInfo, Connection } from './transport.js';

/** Server error codes after which reconnecting would only be refused again. */
const FINAL_CODES: ReadonlySet<string> = new Set(['unauthorized', 'kicked']);

/** The room commands an operator sends (and `delete`, which a message's author may send too). */
export type ModerationCommand = 'op' | 'deop' | 'kick' | 'ban' | 'unban' | 'mute' | 'unmute' | 'slow' | 'delete';

/** A client frame before the client gives it its correlation id. */
type Request = ClientFrame extends infer F ? (F extends { id?: unknown } ? Omit<F, 'id'> : never) : never;

/**
 * A loopchat client over one transport.
 *
 * @example
 * const chat = new ChatClient({ transport: webSocketTransport('ws://127.0.0.1:8080/ws') });
 * chat.on('message', (m) => console.log(`[${m.room}] ${m.from}: ${m.text}`));
 * await chat.connect();
 * await chat.hello('alice');
 * await chat.join('general');
 * await chat.send('general', 'hello');
 */
export class ChatClient {
  readonly #options: ResolvedOptions;
  readonly #events = new Emitter<ClientEvents>();
  readonly #pending: PendingRequests;
  readonly #rooms = new Map<string, RoomLog>();
  readonly #backoff: Backoff | undefined;
  readonly #sink: RoomLogSink;
  #connection: Connection | undefined;
  /** Counts connections, so events from a replaced one are ignored. */
  #generation = 0;
  /** The user wants a connection: connect() was called and close() was not. */
  #wanted = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #connecting: Promise<void> | undefined;
  #registration: { nick: string; token: string | undefined } | undefined;
  #welcome: WelcomeFrame | undefined;
  /** The server's history epoch at the last welcome (README "Where history lives"). */
  #epoch: string | undefined;
  readonly #typing = new TypingThrottle();
  /** room → your read marker there: from the join ack, then from markRead. */
  readonly #read = new Map<string, number>();

  constructor(options: ClientOptions) {
    this.#options = resolveOptions(options);
    this.#pending = new PendingRequests(this.#options.maxPending, this.#options.requestTimeoutMs);
    this.#backoff = this.#options.reconnect === false ? undefined : new Backoff(this.#options.reconnect);
    this.#sink = {
      deliver: (message) => this.#events.emit('message', message),
      gap: (room, from, to) => this.#events.emit('gap', { room, from, to }),
      reset: (room, seq) => this.#events.emit('reset', { room, seq }),
    };
  }

  /** Listens to `event`; returns the function that stops listening. */
  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Listens to the next `event` only; returns the function that stops listening. */
  once<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.#events.once(event, listener);
  }

  /** Stops `listener` listening to `event`. */
  off<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /** A connection is open (it may not be registered yet). */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /** The nick the server confirmed in the last `welcome`, while connected. */
  get nick(): string | undefined {
    return this.#welcome?.nick;
  }

  /** The rooms this client is in (or joining), lower case: those it re-joins after a reconnect. */
  get joinedRooms(): string[] {
    return [...this.#rooms.keys()];
  }

  /** The last seq delivered in `room` (the `since` a recovery would use). */
  lastSeq(room: string): number | undefined {
    return this.#rooms.get(room.toLowerCase())?.lastSeq;
  }

  /**
   * Your read marker in `room`: the last seq you marked as seen (`markRead`), as the
   * server stored it, so it survives reconnects and other devices. Undefined until a
   * marker was stored. Unread = the room's latest seq − this.
   */
  readMarker(room: string): number | undefined {
    return this.#read.get(room.toLowerCase());
  }

  /** Opens the connection; rejects with `connect_failed` if the first one cannot be opened. */
  connect(): Promise<void> {
    if (this.#connection !== undefined) return Promise.resolve();
    // A second call while the first is opening shares it, rather than opening a second socket.
    this.#connecting ??= this.#connectOnce().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connectOnce(): Promise<void> {
    this.#wanted = true;
    try {
      await this.#open();
    } catch (err) {
      this.#wanted = false;
      throw err;
    }
  }

  /** Registers `nick` (with a JWT when the server requires one); remembered for reconnects. */
  async hello(nick: string, token?: string): Promise<WelcomeFrame> {
    const welcome = await this.#request<WelcomeFrame>(
      token === undefined ? { type: 'hello', nick } : { type: 'hello', nick, token },
    );
    this.#registration = { nick: welcome.nick, token };
    return welcome;
  }

  /**
   * Joins `room`; resolves with its latest seq. Messages after that seq arrive as `message`
   * events; older ones are in `history()`.
   */
  async join(room: string): Promise<number> {
    const key = room.toLowerCase();
    const existing = this.#rooms.get(key);
    const log = existing ?? new RoomLog(key, this.#sink, this.#options.maxBufferedPerRoom);
    this.#rooms.set(key, log);
    try {
      const ack = await this.#request<AckFrame>({ type: 'join', room: key }, (frame) => this.#joined(log, frame));
      return ack.seq ?? 0;
    } catch (err) {
      if (existing === undefined && log.lastSeq === undefined) this.#rooms.delete(key);
      throw err;
    }
  }

  /** Stores `seq` as your read marker in `room` (a joined room); resolves once the server stored it. */
  async markRead(room: string, seq: number): Promise<void> {
    const key = room.toLowerCase();
    await this.#request<AckFrame>({ type: 'read', room: key, seq });
    if (this.#rooms.has(key)) this.#read.set(key, seq);
  }

  /** Leaves `room`: no more events from it, and it is not re-joined after a reconnect. */
  async leave(room: string): Promise<void> {
    const key = room.toLowerCase();
    try {
      await this.#request<AckFrame>({ type: 'leave', room: key });
    } catch (err) {
      if ((err as ClientError).code === 'not_in_room') this.#rooms.delete(key); // not in it either way
      throw err;
    }
    this.#rooms.delete(key);
    this.#read.delete(key);
  }

  /**
   * Sends a message to a joined room (`action`: a `/me` line); resolves with the seq and
   * time the server gave it.
   */
  async send(room: string, text: string, options: { action?: boolean } = {}): Promise<{ seq: number; ts: number }> {
    const key = room.toLowerCase();
    const action = options.action === true;
    const frame = action ? { type: 'msg' as const, room: key, text, action } : { type: 'msg' as const, room: key, text };
    this.#typing.sent(key);
    const ack = await this.#request<AckFrame>(frame, (answer) => {
      // Your own message takes its place in the room's order now, before later frames.
      const { seq, ts } = answer as AckFrame;
      const from = this.nick ?? '';
      const own: MsgFrame = { type: 'msg', room: key, from, text, seq: seq ?? 0, ts };
      if (action) own.action = true;
      if (seq !== undefined) this.#accept(this.#rooms.get(key), own);
    });
    return { seq: ack.seq ?? 0, ts: ack.ts };
  }

  /** Sends a direct message; resolves with the server's time once it was delivered. */
  async dm(to: string, text: string): Promise<{ ts: number }> {
    const ack = await this.#request<AckFrame>({ type: 'dm', to, text });
    return { ts: ack.ts };
  }

  /**
   * A page of `room`'s history, oldest first: after `since`, before `before` (paging back),
   * or the latest `limit`.
   */
  async history(room: string, options: { since?: number; before?: number; limit?: number } = {}): Promise<MsgFrame[]> {
    const answer = await this.#request<HistoryFrame>({ type: 'history', room: room.toLowerCase(), ...options });
    return answer.messages;
  }

  /**
   * Tells `room`'s other members you are typing. Call it on every keystroke: it sends at
   * most one frame per TYPING_INTERVAL_MS per room (the server drops more anyway), and
   * nothing when not connected or not in the room. No answer: typing is ephemeral.
   */
  typing(room: string, now = Date.now()): void {
    const key = room.toLowerCase();
    if (this.#welcome === undefined || !this.#rooms.has(key) || !this.#typing.take(key, now)) return;
    this.#write({ type: 'typing', room: key });
  }

  /** The nicks in `room`. */
  async who(room: string): Promise<string[]> {
    return (await this.members(room)).nicks;
  }

  /** The nicks in `room` and, among them, its operators (from servers that have roles). */
  async members(room: string): Promise<{ nicks: string[]; ops: string[] }> {
    const answer = await this.#request<MembersFrame>({ type: 'who', room: room.toLowerCase() });
    return { nicks: answer.nicks, ops: answer.ops ?? [] };
  }

  /** Changes your nick; remembered for reconnects. Your rooms get `presence {event: 'rename'}`. */
  async changeNick(nick: string): Promise<void> {
    await this.#request<AckFrame>({ type: 'nick', nick });
    if (this.#welcome !== undefined) this.#welcome = { ...this.#welcome, nick };
    if (this.#registration !== undefined) this.#registration = { ...this.#registration, nick };
  }

  /** `room`'s topic; with `text`, sets it first (operators; "" clears it). */
  async topic(room: string, text?: string): Promise<TopicFrame | undefined> {
    const key = room.toLowerCase();
    if (text === undefined) return this.#request<TopicFrame>({ type: 'topic', room: key });
    await this.#request<AckFrame>({ type: 'topic', room: key, text });
    return undefined;
  }

  /**
   * An operator's command (`op`, `kick`, `ban`, `slow`, …) or a deletion, as its frame's
   * fields; resolves on the server's ack, rejects with its code (`not_op`, …).
   */
  async moderate<K extends ModerationCommand>(type: K, fields: Omit<ClientFrameOf<K>, 'type' | 'id'>): Promise<void> {
    await this.#request<AckFrame>({ ...fields, type } as unknown as Request);
  }

  /** The server's rooms with their member counts. */
  async rooms(): Promise<{ room: string; members: number }[]> {
    return (await this.#request<RoomsFrame>({ type: 'rooms' })).rooms;
  }

  /** Closes the connection for good: no reconnect; waiting requests reject with `closed`. */
  close(): void {
    this.#wanted = false;
    clearTimeout(this.#retryTimer);
    this.#pending.failAll(new ClientError('closed'));
    this.#connection?.close();
  }

  // ── connection lifecycle ────────────────────────────────────────────────────────────

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    let connection: Connection;
    try {
      connection = await this.#options.transport({
        onFrame: (text) => generation === this.#generation && this.#onFrame(text),
        onClose: (info) => generation === this.#generation && this.#onClose(info),
      });
    } catch (err) {
      throw new ClientError('connect_failed', `could not connect: ${(err as Error).message}`);
    }
    if (!this.#wanted) return connection.close(); // close() was called while it opened
    this.#connection = connection;
    this.#events.emit('open', undefined);
  }

  #onClose(info: CloseInfo): void {
    this.#connection = undefined;
    this.#welcome = undefined;
    this.#typing.clear();
    this.#pending.failAll(new ClientError('disconnected'));
    for (const log of this.#rooms.values()) log.abortFill();
    const willReconnect = this.#wanted && this.#backoff !== undefined;
    this.#events.emit('close', { ...info, willReconnect });
    if (willReconnect) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delayMs = this.#backoff!.next();
    this.#events.emit('reconnecting', { attempt: this.#backoff!.attempt, delayMs });
    this.#retryTimer = setTimeout(() => void this.#reconnect(), delayMs);
  }

  /** Opens a new connection, registers again, re-joins every room and recovers from its last seq. */
  async #reconnect(): Promise<void> {
    if (!this.#wanted) return;
    try {
      await this.#open();
    } catch {
      if (this.#wanted) this.#scheduleReconnect();
      return;
    }
    try {
      if (this.#registration !== undefined) await this.hello(this.#registration.nick, this.#registration.token);
    } catch (err) {
      // `nick_taken`: the server may not have noticed the old connection close yet; retry later.
      if (FINAL_CODES.has((err as ClientError).code)) this.#wanted = false;
      this.#connection?.close();
      return;
    }
    this.#backoff?.reset();
    const rooms = this.joinedRooms;
    await Promise.all(rooms.map((room) => this.#rejoin(room)));
    this.#events.emit('reconnected', { rooms });
  }

  async #rejoin(room: string): Promise<void> {
    try {
      await this.join(room);
    } catch (err) {
      const error = err as ClientError;
      if (error.frame === undefined) return; // the connection went away again; the next reconnect retries
      this.#rooms.delete(room); // refused now (forbidden, too_many_rooms): tell, and stop tracking it
      this.#events.emit('error', error);
    }
  }

  // ── frames ──────────────────────────────────────────────────────────────────────────

  #onFrame(text: string): void {
    const frame = decodeServerFrame(text);
    if (frame === undefined) return; // not a JSON object: nothing the protocol sends
    switch (frame.type) {
      // Room messages and DMs carry the *sender's* id: never match them to our requests.
      case 'msg':
        return this.#accept(this.#rooms.get(frame.room), frame);
      case 'dm':
        return this.#events.emit('dm', frame);
      case 'presence':
        return this.#events.emit('presence', frame);
      case 'typing':
        return this.#events.emit('typing', frame);
      case 'mod':
        // Kicked or banned: out of the room, which a reconnect must not join again.
        if ((frame.action === 'kick' || frame.action === 'ban') && frame.nick?.toLowerCase() === this.nick?.toLowerCase()) {
          this.#rooms.delete(frame.room);
          this.#read.delete(frame.room);
        }
        return this.#events.emit('mod', frame);
      case 'delete':
        return this.#events.emit('delete', frame);
      case 'topic':
        // The answer to topic(room) carries its id; a change or a join's topic does not.
        if (frame.id === undefined || !this.#pending.settle(frame)) this.#events.emit('topic', frame);
        return;
      case 'notice':
        return this.#events.emit('notice', frame);
      case 'ping':
        return this.#write({ type: 'pong' }); // the server's heartbeat (README "Heartbeats")
      case 'welcome':
        this.#welcome = frame;
        this.#onEpoch(frame.epoch);
        this.#pending.settle(frame);
        return this.#events.emit('welcome', frame);
      case 'error':
        if (this.#pending.settle(frame)) return;
        if (FINAL_CODES.has(frame.code)) this.#wanted = false;
        return this.#events.emit('error', ClientError.fromFrame(frame));
      default:
        this.#pending.settle(frame);
    }
  }

  /** Another epoch than before: the server lost history, every room starts over at its re-join. */
  #onEpoch(epoch: string | undefined): void {
    if (epoch === undefined) return;
    if (this.#epoch !== undefined && epoch !== this.#epoch) for (const log of this.#rooms.values()) log.newEpoch();
    this.#epoch = epoch;
  }

  #joined(log: RoomLog, frame: ServerFrame): void {
    const { seq, read } = frame as AckFrame;
    if (read !== undefined) this.#read.set(log.room, read);
    log.joined(seq ?? 0);
    this.#fillIfWanted(log);
  }

  #accept(log: RoomLog | undefined, message: MsgFrame): void {
    if (log === undefined) return;
    log.accept(message);
    this.#fillIfWanted(log);
  }

  /** Asks history for what `log` is missing, page by page from its last seq. */
  #fillIfWanted(log: RoomLog): void {
    if (!log.wantsFill || this.#connection === undefined) return;
    void this.#fill(log, log.beginFill());
  }

  async #fill(log: RoomLog, since: number | undefined): Promise<void> {
    const limit = this.#options.historyPageSize;
    if (since !== undefined) this.#events.emit('recovering', { room: log.room, since });
    while (since !== undefined) {
      let page: HistoryFrame;
      try {
        page = await this.#request<HistoryFrame>({ type: 'history', room: log.room, since, limit });
      } catch {
        return log.abortFill();
      }
      if (this.#rooms.get(log.room) !== log) return; // left meanwhile
      // A page from another epoch numbers other messages: the re-join after welcome resets.
      if (page.epoch !== undefined && this.#epoch !== undefined && page.epoch !== this.#epoch) return log.abortFill();
      for (const message of page.messages) log.accept(message);
      since = log.endPage(page.messages.length, limit);
    }
    this.#fillIfWanted(log);
  }

  // ── requests ────────────────────────────────────────────────────────────────────────

  #request<T extends ServerFrame>(frame: Request, onAnswer?: OnAnswer): Promise<T> {
    if (this.#connection === undefined) return Promise.reject(new ClientError('not_connected'));
    let request: ReturnType<PendingRequests['add']>;
    try {
      request = this.#pending.add(onAnswer);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#write({ ...frame, id: request.id });
    return request.answer as Promise<T>;
  }

  #write(frame: ClientFrame): void {
    this.#connection?.send(encodeClientFrame(frame));
  }
}
