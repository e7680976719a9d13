/**
 * The bus of a single process: ChatState in-process, events straight to the Hub.
 *
 * With a durable store (SQLite) a message is acknowledged only once stored: the messages of a
 * turn are committed together at its end (setImmediate: after every socket read of this
 * turn's poll phase), and only then delivered to members and acknowledged. Events of that turn
 * (presence, DMs, topics) wait with them, so members see them in the order they were decided;
 * the sender, whose own message comes back as its answer (an echo or an ack), too: see
 * #release. If the commit fails, the turn's messages are neither delivered nor acknowledged:
 * their senders get `unavailable` and the seqs are given again.
 *
 * With a memory store there is nothing to commit, but the same release keeps that order: it
 * runs once the frames being handled now are (a microtask), not at the turn's end. Without
 * it a text-mode sender saw a `/topic` written after its lines before their echoes: the topic
 * went out as it was decided, the echoes one promise reaction later.
 */
import type { DmFrame, Id } from '@loopchat/protocol';
import {
  BusUnavailableError,
  RoomLimitError,
  type Bus,
  type BusSink,
  type RoomSummary,
  type SequencedMessage,
} from './bus.js';
import { lineBytes } from '../core/line-slab.js';
import type { CommitStats } from '../history/commit-times.js';
import { HistoryStoreError } from '../history/errors.js';
import type { HistoryQuery, HistoryStore } from '../history/history-store.js';
import { RetentionSweep } from '../history/retention-sweep.js';
import { ChatState, type BusEvent, type ChatStateLimits, type StoredMessage } from './chat-state.js';
import { RoomRefusedError, type RoomCommand, type RoomCommandOutcome } from './room-commands.js';

const SELF = 'local';

interface Waiter {
  msg: StoredMessage;
  resolve: (msg: SequencedMessage) => void;
  reject: (err: Error) => void;
}

export class LocalBus implements Bus {
  readonly kind = 'local';
  readonly ready = true;
  readonly state: ChatState;
  #sink: BusSink | undefined;
  readonly #retention: RetentionSweep | undefined;
  /** Events decided this turn, held until the commit (durable store only). */
  #held: BusEvent[] = [];
  #waiters: Waiter[] = [];
  #commitScheduled = false;
  /** A commit's events are going out (#release): events decided meanwhile queue behind them. */
  #releasing = false;
  /**
   * Called once a commit's deliveries and answers are queued (server.ts: the sessions'
   * flush). They were queued in the check phase, where a flush scheduled now would wait a
   * whole loop iteration, and that iteration's poll would return at once with little read:
   * measured, smaller turns and a write syscall per few messages instead of per many.
   */
  afterCommit: (() => void) | undefined;

  constructor(limits: ChatStateLimits, store: HistoryStore) {
    this.state = new ChatState(limits, (_owner, event) => this.#route(event), store);
    this.#retention = store.durable ? new RetentionSweep(store) : undefined;
  }

  get epoch(): string {
    return this.state.store.epoch;
  }

  roomCount(): number {
    return this.state.roomCount;
  }

  historyStats(): { kind: string } & Partial<CommitStats> {
    const store = this.state.store;
    return { kind: store.kind, ...store.commitStats?.() };
  }

  attach(sink: BusSink): void {
    this.#sink = sink;
  }

  claimNick(nick: string): Promise<boolean> {
    return Promise.resolve(this.state.claimNick(nick, SELF));
  }

  release(nick: string, rooms: readonly string[]): void {
    this.state.release(nick, rooms, SELF);
  }

  join(room: string, nick: string, ip?: string): Promise<number> {
    let seq: ReturnType<ChatState['join']>;
    try {
      seq = this.state.join(room, nick, SELF, ip);
    } catch (err) {
      return Promise.reject(unavailable(err));
    }
    if (seq === 'too_many_rooms') return Promise.reject(new RoomLimitError());
    return seq === 'banned' ? Promise.reject(new RoomRefusedError(seq)) : Promise.resolve(seq);
  }

  rename(oldNick: string, newNick: string, rooms: readonly string[]): Promise<boolean> {
    return Promise.resolve(this.state.rename(oldNick, newNick, rooms, SELF));
  }

  roomCommand(command: RoomCommand): Promise<RoomCommandOutcome> {
    try {
      return Promise.resolve(this.state.roomCommand(command));
    } catch (err) {
      return Promise.reject(unavailable(err));
    }
  }

  leave(room: string, nick: string): void {
    this.state.leave(room, nick);
  }

  typing(room: string, nick: string): void {
    this.state.typing(room, nick);
  }

  publish(room: string, from: string, body: string): Promise<SequencedMessage> {
    this.#scheduleCommit();
    const stored = this.state.publish(room, from, body);
    if (stored === 'no_room') return Promise.reject(new Error(`no room ${room}`));
    if (typeof stored === 'string') return Promise.reject(new RoomRefusedError(stored));
    return new Promise((resolve, reject) => this.#waiters.push({ msg: stored, resolve, reject }));
  }

  markRead(room: string, nick: string, seq: number): Promise<void> {
    return this.state.markRead(room, nick, seq) ? Promise.resolve() : Promise.reject(new Error(`no room ${room}`));
  }

  readMarker(room: string, nick: string): Promise<number | undefined> {
    return Promise.resolve(this.state.readMarker(room, nick));
  }

  dm(from: string, to: string, text: string, id: Id | undefined): Promise<DmFrame | undefined> {
    return Promise.resolve(this.state.dm(from, to, text, id));
  }

  history(room: string, query: HistoryQuery): Promise<Buffer[]> {
    try {
      return Promise.resolve(this.state.history(room, query));
    } catch (err) {
      return Promise.reject(unavailable(err));
    }
  }

  members(room: string): Promise<string[]> {
    return Promise.resolve(this.state.members(room));
  }

  rooms(limit: number): Promise<RoomSummary[]> {
    return Promise.resolve(this.state.rooms(limit));
  }

  sweep(now: number): void {
    this.state.sweep(now);
  }

  close(): Promise<void> {
    this.#commit();
    this.#retention?.stop();
    this.state.store.close();
    return Promise.resolve();
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    if (this.state.store.durable) setImmediate(() => this.#commit());
    else queueMicrotask(() => this.#commit());
  }

  /** The end of a turn with messages: store them, then deliver and answer (or fail them). */
  #commit(): void {
    this.#commitScheduled = false;
    const failure = this.state.commit();
    const held = this.#held;
    const waiters = this.#waiters;
    this.#held = [];
    this.#waiters = [];
    this.#releasing = true;
    this.#release(held, 0, waiters, 0, failure);
  }

  /**
   * Delivers a commit's events from `from` on, in the order they were decided, settling each
   * message's waiter where its event stands. A sender hears of its own message through the
   * reaction to its publish promise (the answer queue's `then`, one microtask after the
   * settle), not through delivery; so an event that follows answered messages goes out in a
   * later microtask, after those answers. Without that, a text-mode sender saw its `/topic`
   * before the echoes of the lines it had written before it.
   */
  #release(held: BusEvent[], from: number, waiters: Waiter[], next: number, failure: Error | undefined): void {
    const settledBefore = next;
    for (let i = from; i < held.length; i++) {
      const event = held[i]!;
      if (event.t === 'msg') {
        if (failure === undefined) this.#deliver(event);
        next = settleUpTo(waiters, next, event.msg, failure);
      } else if (next > settledBefore) {
        const settled = next;
        queueMicrotask(() => this.#release(held, i, waiters, settled, failure));
        return;
      } else {
        this.#deliver(event);
      }
    }
    settleUpTo(waiters, next, undefined, failure);
    this.#releasing = false;
    // Decided while this commit's events went out, with no message of their own to wait for.
    if (!this.#commitScheduled && this.#held.length > 0) {
      const later = this.#held;
      this.#held = [];
      for (const event of later) this.#deliver(event);
    }
    // After the answers' promise reactions (queued above, so they run first).
    if (this.afterCommit !== undefined && this.state.store.durable) queueMicrotask(this.afterCommit);
  }

  #route(event: BusEvent): void {
    if (this.#commitScheduled || this.#releasing) this.#held.push(event);
    else this.#deliver(event);
  }

  #deliver(event: BusEvent): void {
    const sink = this.#sink!;
    if (event.t === 'msg') sink.onMessage(sequenced(event.msg));
    else if (event.t === 'presence') sink.onPresence(event.p);
    else if (event.t === 'typing') sink.onTyping(event.p);
    else if (event.t === 'dm') sink.onDm(event.dm);
    else sink.onRoomEvent(event.e);
  }
}

/**
 * Settles `waiters` from `next` up to the one of `msg` (every one left when undefined, none
 * when `msg` has no waiter); returns the index of the first one left.
 */
function settleUpTo(waiters: Waiter[], next: number, msg: StoredMessage | undefined, failure: Error | undefined): number {
  let last = waiters.length - 1;
  if (msg !== undefined) {
    // Waiters are in the order of their messages: this is nearly always `next` itself.
    last = next;
    while (last < waiters.length && waiters[last]!.msg !== msg) last++;
    if (last === waiters.length) return next;
  }
  for (let k = next; k <= last; k++) {
    const waiter = waiters[k]!;
    if (failure === undefined) waiter.resolve(sequenced(waiter.msg));
    else waiter.reject(new BusUnavailableError(failure.message));
  }
  return Math.max(next, last + 1);
}

function sequenced(stored: StoredMessage): SequencedMessage {
  return { room: stored.room, from: stored.from, seq: stored.seq, line: lineBytes(stored.line) };
}

/** A store that cannot read or write: the client hears `unavailable`, the server goes on. */
function unavailable(err: unknown): Error {
  return err instanceof HistoryStoreError ? new BusUnavailableError(err.message) : (err as Error);
}
