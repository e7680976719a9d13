/**
 * The primary's side of the cluster bus: the one ChatState (room seqs, history, nicks,
 * member lists), served to every worker over its data socket as binary records
 * (records.ts). Per message the primary reads a room name, appends seq and ts to the body
 * the sender's worker encoded (msg-line.ts), keeps the line, and builds its Msg record once:
 * no JSON, and a cost that grows with neither the room nor the number of workers.
 *
 *   worker 1 ─┐ Pub {room, from, body}        ┌─▶ worker 1  Msg {line} (its Pub's answer)
 *   worker 2 ─┼──────────────▶ PrimaryBus ────┼─▶ worker 2  Msg {line}
 *   worker N ─┘               ChatState       └─▶ worker N  …
 *
 * Every record of a turn, for whichever worker, goes into one buffer (the outbox); each
 * worker's share of it is a list of ranges, and a Msg record is one range shared by every
 * worker with members. So a message costs one copy however many workers get it (copying the
 * line into each worker's own outbox was most of what a worker added per message), none over
 * a store that copies lines at its commit (SQLite: the line is written in its record), and each
 * worker's ranges leave in one writev per turn: usually one range, since its records of a
 * turn mostly lie side by side. Answers go out in the order the requests came in (every
 * request is answered as it is read), which is how the worker matches them without ids
 * (bus/ipc-bus.ts).
 *
 * With a durable store, those writes wait for the commit of the turn's messages (group
 * commit, history-store.ts): nothing a worker receives names a message that is not stored.
 * If the commit fails, the turn's Msg records become Unstored in place before anything is
 * sent: their senders' publishes fail with 'unavailable', and no one delivers them.
 */
import type { Logger } from 'pino';
import type { PresenceFrame } from '@loopchat/protocol';
import { ChatState, type BusEvent, type ChatStateLimits, type StoredMessage } from '../bus/chat-state.js';
import type { RoomCommand, RoomCommandOutcome } from '../bus/room-commands.js';
import { HistoryStoreError } from '../history/errors.js';
import type { HistoryQuery, HistoryStore } from '../history/history-store.js';
import { MemoryStore } from '../history/memory-store.js';
import { RetentionSweep } from '../history/retention-sweep.js';
import { FlushPacer } from './flush-pacer.js';
import type { LineRef } from '../core/line-slab.js';
import { MsgFlags, Rec, RecordReader, RecordWriter, type RecordFields, type RecordSink } from './records.js';

/** The primary's end of a worker's data socket. */
export interface WorkerSocket {
  write(bytes: Buffer): boolean;
  /** Between cork and uncork, writes gather into one writev. */
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  destroy(): void;
}

class WorkerLink implements RecordSink {
  readonly owner: string;
  readonly socket: WorkerSocket;
  readonly reader = new RecordReader();
  readonly bus: PrimaryBus;
  /** This worker's records of the turn: `[start, end)` pairs of the outbox, in order. */
  ranges: number[] = [];
  /** Bytes handed to the socket, ever (when it has written a turn's outbox: RecordWriter.release). */
  sent = 0;
  gone = false;

  constructor(owner: string, socket: WorkerSocket, bus: PrimaryBus) {
    this.owner = owner;
    this.socket = socket;
    this.bus = bus;
  }

  onRecord(type: number, fields: RecordFields): void {
    this.bus.handle(this, type, fields);
  }

  onCorrupt(reason: string): void {
    this.bus.corrupt(this, reason);
  }
}

export class PrimaryBus {
  readonly state: ChatState;
  readonly #links = new Map<string, WorkerLink>();
  readonly #log: Logger;
  readonly #pacer: FlushPacer;
  /** Every record of this turn, for every worker (each takes its ranges of it). */
  readonly #outbox = new RecordWriter();
  /** Workers with ranges this turn. */
  #dirty: WorkerLink[] = [];
  /** The worker whose record was begun last, and where: its range is taken once it ends. */
  #open: WorkerLink | undefined;
  #openAt = 0;
  /** The message whose Msg record is `[#sharedAt, #sharedEnd)` of the outbox. */
  #shared: StoredMessage | undefined;
  #sharedAt = 0;
  #sharedEnd = 0;
  /** The line ChatState wrote last straight into its Msg record (#reserveLine), and that record's range. */
  #reserved: LineRef | undefined;
  #reservedAt = 0;
  #reservedEnd = 0;
  /** Room messages sequenced since start (the primary's cost per message is CPU ÷ this). */
  messages = 0;
  readonly #retention: RetentionSweep | undefined;

  /**
   * `flushIntervalMs`: see FlushPacer (0: write at the end of every turn). `store`: where
   * history lives (default: memory, the last historySize per room).
   */
  constructor(
    limits: ChatStateLimits & { historySize: number },
    log: Logger,
    flushIntervalMs = 0,
    store: HistoryStore = new MemoryStore(limits.historySize),
  ) {
    // Over a store that copies lines at its commit, a line need not outlive the turn: it is
    // written straight into its Msg record (#reserveLine); over one that keeps them, into its
    // room's slab, and copied into the outbox as it is routed (#share).
    this.state = new ChatState(limits, (owner, event) => this.#route(owner, event), store, undefined, {
      reserve: (size) => this.#reserveLine(size),
    });
    this.#log = log;
    this.#pacer = new FlushPacer(flushIntervalMs, () => this.flush());
    this.#retention = store.durable ? new RetentionSweep(store) : undefined;
  }

  /** Stores what is pending and closes the store (the primary is stopping). */
  close(): void {
    this.flush();
    this.#retention?.stop();
    this.state.store.close();
  }

  /** Serves the bus to worker `owner` over `socket`. */
  addWorker(owner: string, socket: WorkerSocket): void {
    const link = new WorkerLink(owner, socket, this);
    this.#links.set(owner, link);
    socket.on('data', (chunk) => link.reader.push(chunk, link));
  }

  /** A worker is gone: its nicks and memberships go with it (the rooms hear them leave). */
  removeWorker(owner: string): number {
    const link = this.#links.get(owner);
    if (link !== undefined) {
      this.#links.delete(owner);
      link.gone = true;
      link.ranges = [];
    }
    return this.state.dropOwner(owner);
  }

  /** @internal One request from `link` (WorkerLink.onRecord). */
  handle(link: WorkerLink, type: number, f: RecordFields): void {
    const state = this.state;
    const owner = link.owner;
    switch (type) {
      case Rec.Pub: {
        // The room by its name's bytes, where they lie: no string per message (room-name-index.ts).
        const roomAt = f.skipName();
        const roomEnd = f.at;
        // The sender's name travels for the workers, which read it from the line itself.
        f.skipName();
        const msg = state.publishNamed(f.buf, roomAt, roomEnd, '', { bytes: f.buf, start: f.at, end: f.end });
        if (typeof msg === 'string') return this.#fail(link, msg);
        this.messages++;
        // The sender's worker had no member left in the room, so no share of the record.
        if (this.#shared !== msg || link.ranges[link.ranges.length - 1] !== this.#sharedEnd) {
          this.#begin(link, Rec.Msg).u8(MsgFlags.AnswerOnly).bytes(msg.line.buf, msg.line.start, msg.line.end).end();
        }
        return;
      }
      case Rec.Claim: {
        const claimed = state.claimNick(f.name(), owner);
        this.#reply(link)
          .u8(claimed ? 1 : 0)
          .end();
        return;
      }
      case Rec.Release: {
        const nick = f.name();
        const rooms: string[] = [];
        for (let n = f.u32(); n > 0; n--) rooms.push(f.name());
        return state.release(nick, rooms, owner);
      }
      case Rec.Join: {
        const room = f.name();
        const nick = f.name();
        const ip = f.name();
        let seq: ReturnType<ChatState['join']>;
        try {
          seq = state.join(room, nick, owner, ip === '' ? undefined : ip);
        } catch (err) {
          return this.#unavailable(link, err);
        }
        if (typeof seq === 'string') return this.#fail(link, seq);
        this.#reply(link).f64(seq).end();
        return;
      }
      case Rec.Leave: {
        const room = f.name();
        return state.leave(room, f.name());
      }
      case Rec.Read: {
        const room = f.name();
        const nick = f.name();
        if (!state.markRead(room, nick, f.f64())) return this.#fail(link, 'no_room');
        this.#reply(link).u8(1).end();
        return;
      }
      case Rec.Marker: {
        const room = f.name();
        this.#reply(link)
          .f64(state.readMarker(room, f.name()) ?? -1)
          .end();
        return;
      }
      case Rec.Typing: {
        const room = f.name();
        return state.typing(room, f.name());
      }
      case Rec.Dm: {
        const from = f.name();
        const to = f.name();
        const text = f.text();
        const id = f.text();
        const dm = state.dm(from, to, text, id === '' ? undefined : (JSON.parse(id) as string | number));
        this.#reply(link)
          .text(dm === undefined ? '' : JSON.stringify(dm))
          .end();
        return;
      }
      case Rec.History: {
        const room = f.name();
        let lines: Buffer[];
        try {
          lines = state.history(room, historyQuery(f.f64(), f.f64(), f.f64()));
        } catch (err) {
          return this.#unavailable(link, err);
        }
        const w = this.#reply(link).u32(lines.length);
        for (const line of lines) w.u32(line.length).bytes(line);
        w.end();
        return;
      }
      case Rec.Members:
        this.#reply(link)
          .text(JSON.stringify(state.members(f.name())))
          .end();
        return;
      case Rec.Rooms:
        this.#reply(link)
          .text(JSON.stringify(state.rooms(f.f64())))
          .end();
        return;
      case Rec.Rename: {
        const oldNick = f.name();
        const newNick = f.name();
        const rooms: string[] = [];
        for (let n = f.u32(); n > 0; n--) rooms.push(f.name());
        // Decided before the reply begins: the events it routes are records of their own.
        const renamed = state.rename(oldNick, newNick, rooms, owner);
        this.#reply(link)
          .u8(renamed ? 1 : 0)
          .end();
        return;
      }
      case Rec.RoomCmd: {
        let outcome: RoomCommandOutcome;
        try {
          outcome = state.roomCommand(JSON.parse(f.text()) as RoomCommand);
        } catch (err) {
          return this.#unavailable(link, err);
        }
        this.#reply(link).text(JSON.stringify(outcome)).end();
        return;
      }
      default:
        return this.corrupt(link, `unknown record type ${type}`);
    }
  }

  /** @internal A worker broke the framing: it cannot be trusted to be in step; cut it off. */
  corrupt(link: WorkerLink, reason: string): void {
    this.#log.error({ worker: link.owner, reason }, 'bad record from a worker; closing its data socket');
    link.socket.destroy();
  }

  /** Every event the ChatState decides, to the worker that needs it. */
  #route(owner: string, event: BusEvent): void {
    const link = this.#links.get(owner);
    if (link === undefined) return;
    if (event.t === 'msg') {
      if (event.msg !== this.#shared) this.#share(event.msg);
      this.#take(link, this.#sharedAt, this.#sharedEnd);
    } else if (event.t === 'presence') {
      const p = event.p;
      const w = this.#begin(link, Rec.Presence).name(p.room).name(p.nick).u8(presenceEvent(p));
      if (p.event === 'rename') w.name(p.old ?? '');
      w.end();
    } else if (event.t === 'typing') {
      this.#begin(link, Rec.TypingEvent).name(event.p.room).name(event.p.nick).end();
    } else if (event.t === 'dm') {
      this.#begin(link, Rec.DmEvent).text(JSON.stringify(event.dm)).end();
    } else {
      this.#begin(link, Rec.RoomEvent).text(JSON.stringify(event.e)).end();
    }
  }

  /**
   * Room for a message's line, as the line of a Msg record in the outbox: the record every
   * worker with members then takes a share of (#share) without a copy of the line. The store
   * copies the line at the commit, before the outbox is written and reused.
   */
  #reserveLine(size: number): LineRef {
    this.#closeOpen();
    const outbox = this.#outbox;
    this.#reservedAt = outbox.mark;
    outbox.begin(Rec.Msg).u8(0);
    const line = outbox.reserve(size);
    outbox.end();
    this.#reservedEnd = outbox.mark;
    this.#reserved = line;
    return line;
  }

  /** Builds `msg`'s Msg record, once, for every worker with members to take a share of. */
  #share(msg: StoredMessage): void {
    this.#closeOpen();
    const line = msg.line;
    this.#shared = msg;
    if (line === this.#reserved) {
      this.#sharedAt = this.#reservedAt;
      this.#sharedEnd = this.#reservedEnd;
      return;
    }
    this.#sharedAt = this.#outbox.mark;
    this.#outbox.begin(Rec.Msg).u8(0).bytes(line.buf, line.start, line.end).end();
    this.#sharedEnd = this.#outbox.mark;
  }

  /** Outbox bytes `[start, end)` go to `link`, after what it has already. */
  #take(link: WorkerLink, start: number, end: number): void {
    if (link.gone) return;
    const ranges = link.ranges;
    if (ranges.length === 0) {
      if (this.#dirty.length === 0) this.#pacer.request();
      this.#dirty.push(link);
    } else if (ranges[ranges.length - 1] === start) {
      ranges[ranges.length - 1] = end;
      return;
    }
    ranges.push(start, end);
  }

  /** The record begun last is complete by now: its worker takes it. */
  #closeOpen(): void {
    const link = this.#open;
    if (link === undefined) return;
    this.#open = undefined;
    this.#take(link, this.#openAt, this.#outbox.mark);
  }

  /** The store could not serve a request: the worker's client hears `unavailable`. */
  #unavailable(link: WorkerLink, err: unknown): void {
    if (!(err instanceof HistoryStoreError)) throw err;
    this.#log.error({ err: err.message, code: err.code }, 'history store failed');
    this.#fail(link, 'unavailable');
  }

  /** Commits this turn's messages; if that failed, takes back every Msg record (all are this turn's). */
  #commit(): void {
    const failure = this.state.commit();
    if (failure === undefined) return;
    this.#log.error({ err: failure.message }, 'history commit failed; publishes refused');
    this.#outbox.retype(Rec.Msg, Rec.Unstored);
  }

  #reply(link: WorkerLink): RecordWriter {
    return this.#begin(link, Rec.Reply);
  }

  #fail(link: WorkerLink, reason: string): void {
    this.#begin(link, Rec.Fail).name(reason).end();
  }

  /** Begins a record for `link` alone (the caller ends it before anything else is written). */
  #begin(link: WorkerLink, type: (typeof Rec)[keyof typeof Rec]): RecordWriter {
    this.#closeOpen();
    this.#open = link;
    this.#openAt = this.#outbox.mark;
    this.#pacer.request(); // its range is taken later (#closeOpen), but the flush must come
    return this.#outbox.begin(type);
  }

  /** @internal One writev per worker per turn, whatever the number of records. */
  flush(): void {
    this.#closeOpen();
    this.#commit();
    const outbox = this.#outbox;
    const dirty = this.#dirty;
    this.#dirty = [];
    for (const link of dirty) {
      const ranges = link.ranges;
      if (ranges.length === 0) continue; // gone since
      link.ranges = [];
      const socket = link.socket;
      if (ranges.length > 2) socket.cork();
      for (let i = 0; i < ranges.length; i += 2) {
        socket.write(outbox.view(ranges[i]!, ranges[i + 1]!));
        link.sent += ranges[i + 1]! - ranges[i]!;
      }
      if (ranges.length > 2) socket.uncork();
    }
    this.#shared = undefined;
    this.#reserved = undefined;
    // Sockets that could not take it all still hold views of the outbox (RecordWriter.release).
    const links = [...this.#links.values()];
    if (links.every((link) => link.socket.writableLength === 0)) return outbox.release(undefined);
    const marks = links.map((link) => link.sent);
    outbox.release(() => links.every((link, i) => link.gone || link.sent - link.socket.writableLength >= marks[i]!));
  }
}

/** A History record's fields (-1: absent) as a store query. */
function historyQuery(since: number, limit: number, before: number): HistoryQuery {
  if (since >= 0) return { since, limit };
  if (before >= 0) return { before, limit };
  return { latest: limit };
}

/** The Presence record's event byte (records.ts). */
function presenceEvent(p: PresenceFrame): number {
  if (p.event === 'join') return 0;
  if (p.event === 'rename') return 2;
  return p.quit === true ? 3 : 1;
}
