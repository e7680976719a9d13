/**
 * Everything a connection sends passes this gate on its way to the session: it decodes lines
 * (byte streams), lets the first line choose the dialect, holds input behind a pending
 * hello, waits for the connection's turn when the read budget is spent, and pauses reading
 * while input is kept, so that what one connection costs stays bounded.
 *
 *                first line           hold() (hello sent)
 *   UNDECIDED ──────────────▶ OPEN ─────────────────────▶ HOLDING
 *       │   (chooseDialect)    ▲  ◀───────────────────────    │
 *       │                      │     release() (answered)      │
 *       └──────────────────────┴───── close() ─────────────────┴──▶ CLOSED
 *
 *   WAITING_FOR_TURN is where input goes in any state but CLOSED once the turn's read budget
 *   is spent (read-throttle.ts): the chunk (or messages) is kept, reading pauses, and the
 *   gate goes back to the state it left when the throttle gives it its turn.
 *
 * Reading is paused exactly while input is kept: waiting for the turn, or MAX_HELD lines
 * held for a hello. Held input is raw lines, not parsed frames: a text-mode line depends on
 * state (the current room) that the lines before it may still change.
 */
import { LineDecoder, type LineSink } from '@loopchat/protocol';
import type { Connection } from './connection.js';
import type { ServerContext } from './context.js';
import type { Dialect, DialectSession } from './dialect.js';
import { chooseDialect } from './dialects/index.js';
import type { ReadWaiter } from './read-throttle.js';

/**
 * Lines held behind a hello whose answer is pending before the connection stops reading
 * (the rest of that read is held too: bounded by one read, at most 64 KiB on TCP).
 */
export const MAX_HELD = 64;

export const GateState = {
  Undecided: 0,
  Open: 1,
  Holding: 2,
  WaitingForTurn: 3,
  Closed: 4,
} as const;
export type GateState = (typeof GateState)[keyof typeof GateState];

/** What the gate needs of its session. */
export interface GateHost extends DialectSession {
  readonly connection: Pick<Connection, 'transport' | 'pause' | 'resume'>;
  readonly ctx: ServerContext;
  /** A line over the limit (`maxLineBytes`, or the dialect's own): a framing violation. */
  onLineTooLong(maxLineBytes: number): void;
  /** A WebSocket binary message: the protocol is text only. */
  onBinary(): void;
  /** The first line chose `dialect` (byte streams). */
  onDialect(dialect: Dialect): void;
}

/** Held or waiting input: a line or text message, or null for a binary message. */
type Input = string | null;

export class InboundGate implements LineSink, ReadWaiter {
  readonly #host: GateHost;
  /**
   * Every state but WAITING_FOR_TURN, which is `#waiting` holding input: this stays the
   * state to go back to when the turn comes (one field less per connection).
   */
  #state: GateState;
  #dialect: Dialect | null;
  /** Byte streams: made by the first bytes, dropped whenever no line is half read. */
  #decoder: LineDecoder | null = null;
  /** Lines held behind a hello, oldest first (HOLDING; also kept while waiting for the turn). */
  #held: Input[] | null = null;
  /** Input kept for the connection's turn: one TCP chunk, or the messages of one read. */
  #waiting: Buffer | Input[] | null = null;
  #paused = false;

  /** `dialect` null: a byte stream, whose first line chooses one. */
  constructor(host: GateHost, dialect: Dialect | null) {
    this.#host = host;
    this.#dialect = dialect;
    this.#state = dialect === null ? GateState.Undecided : GateState.Open;
  }

  get state(): GateState {
    return this.#waiting !== null ? GateState.WaitingForTurn : this.#state;
  }

  /** null until the first line chose it (byte streams). */
  get dialect(): Dialect | null {
    return this.#dialect;
  }

  /** Bytes from a stream transport. */
  onBytes(chunk: Buffer): void {
    if (this.#state === GateState.Closed) return;
    if (this.#waiting !== null || this.#host.ctx.readThrottle.shouldDefer()) return this.wait(chunk);
    this.decode(chunk);
  }

  /** One message from a message transport (null: binary). */
  onMessage(text: Input): void {
    if (this.#state === GateState.Closed) return;
    // Behind input already waiting, or past this turn's read budget: wait.
    if (this.#waiting !== null || this.#host.ctx.readThrottle.shouldDefer()) return this.wait(text);
    this.input(text);
  }

  /** Holds later input until release() (hello: everything after it needs the nick). */
  hold(): void {
    if (this.#state === GateState.Closed) return;
    if (this.#state === GateState.Open) this.#state = GateState.Holding;
    this.#held ??= [];
  }

  /** The hello was answered: replays held input in order (until another hello holds again). */
  release(): void {
    if (this.#state !== GateState.Holding) return;
    this.#state = GateState.Open;
    const held = this.#held;
    this.#held = null;
    if (held !== null) {
      for (let i = 0; i < held.length && !this.isClosed(); i++) {
        if (this.isHolding()) {
          // A held line was another hello: the rest stays held behind it.
          this.#held!.push(...held.slice(i));
          break;
        }
        this.deliver(held[i]!);
      }
    }
    this.updateReading();
  }

  /** No more input is read (closing, or the client said /quit). */
  close(): void {
    this.#state = GateState.Closed;
    this.#held = null;
    this.#waiting = null;
    this.#decoder?.close();
    this.#decoder = null;
  }

  /** ReadWaiter: the throttle gives this connection its turn; handle what was kept, read again. */
  resumeReading(): void {
    const input = this.#waiting;
    if (input === null) return;
    this.#waiting = null;
    if (Buffer.isBuffer(input)) this.decode(input);
    else for (let i = 0; i < input.length && !this.isClosed(); i++) this.input(input[i]!);
    this.updateReading();
  }

  // ── LineSink (the decoder) ─────────────────────────────────────────────────────────

  onLine(line: string): void {
    if (this.#state === GateState.Closed) return;
    if (this.#state === GateState.Undecided) {
      const start = line.trimStart();
      if (start === '') return; // a stray newline before the first frame decides nothing
      this.#dialect = chooseDialect(start, this.#host);
      this.#state = GateState.Open;
      this.#host.onDialect(this.#dialect);
      // A dialect with longer lines (IRC tags) applies from the line that chose it on.
      this.#decoder?.setMaxLineBytes(this.lineLimit());
    }
    this.input(line);
  }

  onLineTooLong(): void {
    const limit = this.lineLimit();
    this.#host.ctx.stats.framesIn[this.#host.connection.transport]++;
    this.close();
    this.#host.onLineTooLong(limit);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────
  // TypeScript-`private`, not `#`: `#` methods cost every instance a brand field (8 bytes).

  private decode(chunk: Buffer): void {
    const decoder = (this.#decoder ??= new LineDecoder(this.lineLimit()));
    decoder.push(chunk, this);
    // Most connections sit idle between whole lines: they keep no decoder.
    if (this.#decoder === decoder && decoder.bufferedBytes === 0) this.#decoder = null;
  }

  private lineLimit(): number {
    return Math.max(this.#host.ctx.config.maxLineBytes, this.#dialect?.maxLineBytes ?? 0);
  }

  private input(input: Input): void {
    if (this.isHolding()) {
      this.#held!.push(input);
      if (this.#held!.length === MAX_HELD) this.updateReading();
    } else {
      this.deliver(input);
    }
  }

  private deliver(input: Input): void {
    const host = this.#host;
    host.ctx.stats.framesIn[host.connection.transport]++;
    if (input === null) host.onBinary();
    else this.#dialect!.onLine(input, host);
  }

  /** A method, not an inline compare: input handlers may close the gate mid-loop. */
  private isClosed(): boolean {
    return this.#state === GateState.Closed;
  }

  /** Holding, or waiting for the turn with a hello pending. */
  private isHolding(): boolean {
    return this.#state === GateState.Holding;
  }

  private wait(input: Buffer | Input): void {
    if (this.#waiting === null) {
      this.#waiting = Buffer.isBuffer(input) ? input : [input];
      this.#host.ctx.stats.readsDeferred++;
      this.#host.ctx.readThrottle.defer(this);
      this.updateReading();
    } else if (Buffer.isBuffer(input)) {
      // A paused socket may still hand over what it had already read.
      this.#waiting = Buffer.concat([this.#waiting as Buffer, input]);
    } else {
      (this.#waiting as Input[]).push(input);
    }
  }

  /** Pauses reading exactly while input is kept; resumes when none is (unless closed). */
  private updateReading(): void {
    const keep = this.#waiting !== null || (this.#held !== null && this.#held.length >= MAX_HELD);
    if (keep && !this.#paused) {
      this.#paused = true;
      this.#host.connection.pause();
    } else if (!keep && this.#paused && this.#state !== GateState.Closed) {
      this.#paused = false;
      this.#host.connection.resume();
    }
  }
}
