/**
 * The bus of a cluster worker: every decision is a request to the primary, which runs the
 * one ChatState (cluster/primary-bus.ts). Requests and events travel as binary records on
 * the worker's data socket (cluster/records.ts), everything of one turn in one write.
 *
 * Answers come back in the order the requests went out (one stream each way, and the
 * primary answers each request as it reads it), so no request carries an id: the oldest
 * request still waiting takes the next answer. A publish is answered by the message itself,
 * as it arrives for this worker's members: one record, not an event and a reply, and the same
 * bytes every worker gets (the primary builds it once). It is the answer when the oldest
 * request waiting is a publish by the same nick in the same room: nicks are unique, and this
 * worker holds the nick from before that publish until after its answer, so no one else's
 * message can come from it meanwhile.
 */
import { readMsgLine, type DmFrame, type PresenceFrame } from '@loopchat/protocol';
import { FlushPacer } from '../cluster/flush-pacer.js';
import type { HistoryQuery } from '../history/history-store.js';
import { MsgFlags, Rec, RecordFields, RecordReader, RecordWriter, type RecordSink } from '../cluster/records.js';
import {
  BusUnavailableError,
  RoomLimitError,
  type Bus,
  type BusSink,
  type RoomSummary,
  type SequencedMessage,
} from './bus.js';
import {
  PUBLISH_REFUSALS,
  RoomRefusedError,
  type RoomCommand,
  type RoomCommandOutcome,
  type RoomEvent,
  type RoomRefusal,
} from './room-commands.js';

/** The worker's end of its data socket (a net.Socket on the fd the primary gave it). */
export interface DataSocket {
  write(bytes: Buffer): boolean;
  readonly writableLength: number;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close', listener: () => void): this;
  destroy(): void;
  readonly destroyed: boolean;
}

/** Records that deliver an event to members (not the answer to a request of this worker). */
const EVENT_RECORDS: ReadonlySet<number> = new Set([Rec.Presence, Rec.DmEvent, Rec.RoomEvent, Rec.TypingEvent]);

/** How the answer to each kind of request is read. */
const Answer = { Bool: 0, Seq: 1, Json: 2, Lines: 3, Msg: 4, Dm: 5 } as const;
type Answer = (typeof Answer)[keyof typeof Answer];

interface Waiter {
  answer: Answer;
  resolve: (value: never) => void;
  reject: (err: Error) => void;
  /** A publish's room and sender, which its answer names ('' for other requests). */
  room: string;
  from: string;
}

export class IpcBus implements Bus, RecordSink {
  readonly kind = 'ipc';
  /** The primary's history epoch (it owns the store), given at fork. */
  readonly epoch: string;
  readonly #socket: DataSocket;
  readonly #writer = new RecordWriter();
  readonly #reader = new RecordReader();
  /** Requests waiting for their answer, oldest first. */
  #waiting: Waiter[] = [];
  #waitingHead = 0;
  readonly #pacer: FlushPacer;
  #broken: string | undefined;
  #sink: BusSink | undefined;
  /** Records read while a settled request's reactions were pending (see onRecord), in order. */
  #held: { type: number; event: boolean; bytes: Buffer }[] = [];
  #heldHead = 0;
  /** A request was settled and the reactions to it may not have run yet. */
  #settling = false;
  /** Requests settled so far (tells #afterReactions whether more came since it was queued). */
  #settles = 0;
  /** Called once when the data plane fails (the primary is gone or spoke garbage). */
  onBroken: ((reason: string) => void) | undefined;

  /** `flushIntervalMs`: see FlushPacer (0: write at the end of every turn). */
  constructor(socket: DataSocket, flushIntervalMs = 0, epoch = '') {
    this.#socket = socket;
    this.epoch = epoch;
    this.#pacer = new FlushPacer(flushIntervalMs, () => this.flush());
    socket.on('data', (chunk) => this.#reader.push(chunk, this));
    socket.on('close', () => this.#break('data socket closed'));
  }

  get ready(): boolean {
    return this.#broken === undefined;
  }

  attach(sink: BusSink): void {
    this.#sink = sink;
  }

  claimNick(nick: string): Promise<boolean> {
    this.#writer.begin(Rec.Claim).name(nick).end();
    return this.#wait(Answer.Bool);
  }

  release(nick: string, rooms: readonly string[]): void {
    if (!this.ready) return;
    const w = this.#writer.begin(Rec.Release).name(nick).u32(rooms.length);
    for (const room of rooms) w.name(room);
    w.end();
    this.#schedule();
  }

  join(room: string, nick: string, ip?: string): Promise<number> {
    this.#writer
      .begin(Rec.Join)
      .name(room)
      .name(nick)
      .name(ip ?? '')
      .end();
    return this.#wait(Answer.Seq);
  }

  rename(oldNick: string, newNick: string, rooms: readonly string[]): Promise<boolean> {
    const w = this.#writer.begin(Rec.Rename).name(oldNick).name(newNick).u32(rooms.length);
    for (const room of rooms) w.name(room);
    w.end();
    return this.#wait(Answer.Bool);
  }

  roomCommand(command: RoomCommand): Promise<RoomCommandOutcome> {
    this.#writer.begin(Rec.RoomCmd).text(JSON.stringify(command)).end();
    return this.#wait(Answer.Json);
  }

  leave(room: string, nick: string): void {
    if (!this.ready) return;
    this.#writer.begin(Rec.Leave).name(room).name(nick).end();
    this.#schedule();
  }

  typing(room: string, nick: string): void {
    if (!this.ready) return;
    this.#writer.begin(Rec.Typing).name(room).name(nick).end();
    this.#schedule();
  }

  publish(room: string, from: string, body: string): Promise<SequencedMessage> {
    this.#writer.begin(Rec.Pub).name(room).name(from).restText(body).end();
    return this.#wait(Answer.Msg, room, from);
  }

  async markRead(room: string, nick: string, seq: number): Promise<void> {
    this.#writer.begin(Rec.Read).name(room).name(nick).f64(seq).end();
    await this.#wait<boolean>(Answer.Bool);
  }

  async readMarker(room: string, nick: string): Promise<number | undefined> {
    this.#writer.begin(Rec.Marker).name(room).name(nick).end();
    const seq = await this.#wait<number>(Answer.Seq);
    return seq < 0 ? undefined : seq;
  }

  dm(from: string, to: string, text: string, id: string | number | undefined): Promise<DmFrame | undefined> {
    this.#writer
      .begin(Rec.Dm)
      .name(from)
      .name(to)
      .text(text)
      .text(id === undefined ? '' : JSON.stringify(id))
      .end();
    return this.#wait(Answer.Dm);
  }

  history(room: string, query: HistoryQuery): Promise<Buffer[]> {
    const [since, before, limit] =
      'latest' in query
        ? [-1, -1, query.latest]
        : 'since' in query
          ? [query.since, -1, query.limit]
          : [-1, query.before, query.limit];
    this.#writer.begin(Rec.History).name(room).f64(since).f64(limit).f64(before).end();
    return this.#wait(Answer.Lines);
  }

  members(room: string): Promise<string[]> {
    this.#writer.begin(Rec.Members).name(room).end();
    return this.#wait(Answer.Json);
  }

  rooms(limit: number): Promise<RoomSummary[]> {
    this.#writer.begin(Rec.Rooms).f64(limit).end();
    return this.#wait(Answer.Json);
  }

  sweep(): void {
    // The primary owns room expiry.
  }

  close(): Promise<void> {
    this.flush();
    this.onBroken = undefined; // closing on purpose is not a failure
    this.#break('worker closing');
    return Promise.resolve();
  }

  /** Writes what this turn queued, in one write (also called at the end of each turn). */
  flush(): void {
    if (this.#broken !== undefined) return;
    this.#writer.writeTo(this.#socket);
  }

  // ── RecordSink: what the primary sends ───────────────────────────────────────────

  /**
   * A record read after one that answered a request may have to wait its turn: the sender
   * hears of its answer (its own message's echo, its ack) through the reaction to the
   * request's promise, which runs only after this read is handled, and an event decided
   * after that message (a topic) must not reach it first. So an event read while a settled
   * request's reactions are pending, and every record after it, is held (its bytes copied)
   * and handled in order in a later microtask, after the reactions; LocalBus does the same
   * at a group commit. Messages are not held for the reactions alone: each is its own
   * sender's answer, and no one else's.
   */
  onRecord(type: number, f: RecordFields): void {
    if (this.#held.length === 0 && !(this.#settling && EVENT_RECORDS.has(type))) return this.#handle(type, f);
    this.#held.push({ type, event: EVENT_RECORDS.has(type), bytes: Buffer.from(f.buf.subarray(f.at, f.end)) });
  }

  /** Held records, in order, until an event that must wait for the reactions before it. */
  #releaseHeld(): void {
    const fields = new RecordFields();
    while (this.#heldHead < this.#held.length) {
      const next = this.#held[this.#heldHead]!;
      if (next.event && this.#settling) return; // #settled's microtask comes back here
      this.#held[this.#heldHead++] = undefined as never;
      fields.buf = next.bytes;
      fields.at = 0;
      fields.end = next.bytes.length;
      this.#handle(next.type, fields);
    }
    this.#held = [];
    this.#heldHead = 0;
  }

  /** A request was just settled: until its reactions ran, events wait (see onRecord). */
  #settled(): void {
    this.#settles++;
    if (this.#settling) return;
    this.#settling = true;
    this.#afterReactions(this.#settles);
  }

  /**
   * Releases the held records in a microtask queued after the reactions of the settles so
   * far: one microtask per read, unless requests were settled after it was queued (their
   * reactions come after it), then once more.
   */
  #afterReactions(settles: number): void {
    queueMicrotask(() => {
      if (this.#settles !== settles) return this.#afterReactions(this.#settles);
      this.#settling = false;
      this.#releaseHeld();
    });
  }

  #handle(type: number, f: RecordFields): void {
    switch (type) {
      case Rec.Msg:
        return this.#onMsg(f);
      case Rec.Unstored:
        return this.#onUnstored(f);
      case Rec.Presence: {
        const room = f.name();
        const nick = f.name();
        const event = f.u8();
        const presence: PresenceFrame = { type: 'presence', room, nick, event: event === 0 ? 'join' : 'leave' };
        if (event === 3) presence.quit = true;
        else if (event === 2) {
          presence.event = 'rename';
          presence.old = f.name();
        }
        return this.#sink?.onPresence(presence);
      }
      case Rec.DmEvent:
        return this.#sink?.onDm(JSON.parse(f.text()) as DmFrame);
      case Rec.RoomEvent:
        return this.#sink?.onRoomEvent(JSON.parse(f.text()) as RoomEvent);
      case Rec.TypingEvent: {
        const room = f.name();
        return this.#sink?.onTyping({ type: 'typing', room, nick: f.name() });
      }
      case Rec.Reply:
        return this.#answer(f);
      case Rec.Fail: {
        const reason = f.name();
        const waiter = this.#next();
        waiter?.reject(
          reason === 'too_many_rooms'
            ? new RoomLimitError()
            : reason === 'unavailable'
              ? new BusUnavailableError('the primary could not store or read history')
              : PUBLISH_REFUSALS.has(reason)
                ? new RoomRefusedError(reason as RoomRefusal)
                : new Error(`primary: ${reason}`),
        );
        if (waiter !== undefined) this.#settled(); // after the reject: its reactions come first
        return;
      }
    }
  }

  onCorrupt(reason: string): void {
    this.#break(`bad record from the primary: ${reason}`);
  }

  #onMsg(f: RecordFields): void {
    const flags = f.u8();
    // A copy: the line outlives this read (socket queues, the sender's answer).
    const line = f.copyRest();
    const head = readMsgLine(line);
    if (head === undefined) return this.#break('unreadable message line from the primary');
    const msg: SequencedMessage = { room: head.room, from: head.from, seq: head.seq, line };
    if ((flags & MsgFlags.AnswerOnly) === 0) this.#sink?.onMessage(msg);
    if (this.#answers(head.room, head.from)) {
      this.#next()!.resolve(msg as never);
      this.#settled();
    }
  }

  /** A message of the primary's turn that failed to commit: its sender's publish fails. */
  #onUnstored(f: RecordFields): void {
    f.u8(); // flags
    const head = readMsgLine(f.view(f.end - f.at));
    if (head === undefined) return this.#break('unreadable message line from the primary');
    if (this.#answers(head.room, head.from)) {
      this.#next()!.reject(new BusUnavailableError('the primary could not store the message'));
      this.#settled();
    }
  }

  /** Whether a message from `from` in `room` answers the oldest request (see the top of the file). */
  #answers(room: string, from: string): boolean {
    const waiter = this.#waiting[this.#waitingHead];
    return waiter !== undefined && waiter.answer === Answer.Msg && waiter.room === room && waiter.from === from;
  }

  #answer(f: RecordFields): void {
    const waiter = this.#next();
    if (waiter === undefined) return;
    this.#settle(waiter, f);
    this.#settled(); // after the settle: its reactions come first
  }

  #settle(waiter: Waiter, f: RecordFields): void {
    switch (waiter.answer) {
      case Answer.Bool:
        return waiter.resolve((f.u8() === 1) as never);
      case Answer.Seq:
        return waiter.resolve(f.f64() as never);
      case Answer.Json:
        return waiter.resolve(JSON.parse(f.text()) as never);
      case Answer.Dm: {
        const dm = f.text();
        return waiter.resolve((dm === '' ? undefined : JSON.parse(dm)) as never);
      }
      case Answer.Lines: {
        const count = f.u32();
        const lines: Buffer[] = [];
        for (let i = 0; i < count; i++) lines.push(Buffer.from(f.view(f.u32())));
        return waiter.resolve(lines as never);
      }
      case Answer.Msg:
        // A publish is answered by a Msg record; a plain Reply here means the streams disagree.
        return waiter.reject(new Error('primary: publish answered without its message'));
    }
  }

  #wait<T>(answer: Answer, room = '', from = ''): Promise<T> {
    if (this.#broken !== undefined) {
      this.#writer.discard(); // the request just written goes nowhere
      return Promise.reject(new BusUnavailableError(`primary unreachable: ${this.#broken}`));
    }
    this.#schedule();
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ answer, resolve: resolve as (value: never) => void, reject, room, from });
    });
  }

  /** The oldest waiting request, taken off the queue. */
  #next(): Waiter | undefined {
    if (this.#waitingHead >= this.#waiting.length) return undefined;
    const waiter = this.#waiting[this.#waitingHead]!;
    this.#waiting[this.#waitingHead++] = undefined as never;
    // Compact now and then, so the queue neither grows nor shifts one by one.
    if (this.#waitingHead === this.#waiting.length) {
      this.#waiting = [];
      this.#waitingHead = 0;
    } else if (this.#waitingHead >= 1024) {
      this.#waiting = this.#waiting.slice(this.#waitingHead);
      this.#waitingHead = 0;
    }
    return waiter;
  }

  #schedule(): void {
    this.#pacer.request();
  }

  #break(reason: string): void {
    if (this.#broken !== undefined) return;
    this.#broken = reason;
    for (let waiter = this.#next(); waiter !== undefined; waiter = this.#next()) {
      waiter.reject(new BusUnavailableError(`primary unreachable: ${reason}`));
    }
    if (!this.#socket.destroyed) this.#socket.destroy();
    this.onBroken?.(reason);
  }
}
