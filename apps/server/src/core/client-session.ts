/**
 * One client connection, whatever its transport and dialect: who it is (nick, rooms, grant),
 * its rate bucket and heartbeat clock, composed of parts that each own their state:
 *
 *   Connection (port) ─▶ InboundGate ─▶ dialect ─▶ handle(frame) ─▶ handlers ─▶ hub/bus
 *                         (decode, choose dialect,       │
 *                          hold for hello, wait turn)    ▼
 *   Connection ◀─ OutboundQueue ◀─ deliver/send ◀─ AnswerQueue (answers in request order)
 *                 (budget, batching, slow consumer)
 *
 * The rest of the core sees it through the narrow `Session` interface (session.ts).
 *
 * Memory matters here (10,000+ of these per process): state is flat fields, methods live on
 * the prototype, the answer and outbound queues exist only while they hold something, and
 * the transports attach named module-level handlers rather than closures per connection.
 * Timestamps are compact (compact-time.ts): small integers, not a heap number each. Helper
 * methods are TypeScript-`private`, not `#`: a class with `#` methods gives every instance a
 * brand field (8 bytes), which `private` does not need.
 */
import { ErrorCodes, TEXT_GREETING, type ClientFrame, type ErrorCode, type Id, type ServerFrame } from '@loopchat/protocol';
import { AnswerQueue, type AnswerOwner } from './answer-queue.js';
import type { Grant } from './auth.js';
import type { Connection, ConnectionEvents, EndReason } from './connection.js';
import type { ServerContext } from './context.js';
import type { Dialect, DialectChoice } from './dialect.js';
import { jsonLines } from './dialects/index.js';
import { compactNow, toCompact, toEpochMs } from './compact-time.js';
import { EncodedFrame, JSON_LINES, type FrameRenderer } from './encoded-frame.js';
import type { Greetable } from './greeter.js';
import { dispatch } from './handlers.js';
import { GateState, InboundGate, type GateHost } from './inbound-gate.js';
import { OutboundQueue, type OutboundOwner } from './outbound-queue.js';
import { RoomSet } from './room-set.js';
import type { Session } from './session.js';
import { bump, type TransportName } from './stats.js';

/** How long a closing connection may take to drain before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

const GREETING_BYTES = Buffer.from(`${TEXT_GREETING}\n`);

/** Where a session is in its life; input stops at QUITTING, output at CLOSING. */
const Life = { Open: 0, Quitting: 1, Closing: 2, Closed: 3 } as const;
type Life = (typeof Life)[keyof typeof Life];

/** Connection ids, sequential per process (the admin API shows them with the pid in front). */
let nextSessionId = 1;

export class ClientSession implements Session, ConnectionEvents, GateHost, AnswerOwner, OutboundOwner, Greetable {
  readonly id = nextSessionId++;
  /** Compact timestamps (compact-time.ts): accepted, last heard from, last probed. */
  readonly #connectedAt: number;
  #inboundAt: number;
  #probedAt: number;
  readonly ctx: ServerContext;
  readonly connection: Connection;
  nick: string | null = null;
  readonly rooms = new RoomSet();
  /** What the session's token grants (null: anonymous). */
  grant: Grant | null = null;
  /** Text mode: where plain lines go (the room joined last). */
  currentRoom: string | null = null;
  /** The rate limit's token bucket, in thousandths of a token: integers, so no heap number. */
  #milliTokens: number;
  /** Compact timestamp of the bucket's last refill. */
  #refilledAt: number;
  readonly #gate: InboundGate;
  /** Only while answers are pending. */
  #answers: AnswerQueue | null = null;
  /** Only while frames are queued for this turn's write. */
  #outbound: OutboundQueue | null = null;
  /** How frames are written here when every reader of the kind sees the same bytes; null: ask the dialect. */
  #renderer: FrameRenderer | null = JSON_LINES;
  #life: Life = Life.Open;

  /** `dialect`: a listener's own dialect (the IRC port); otherwise a byte stream's first line decides. */
  constructor(ctx: ServerContext, connection: Connection, dialect?: DialectChoice) {
    this.ctx = ctx;
    this.connection = connection;
    // A message transport carries JSON frames only; a byte stream's first line decides.
    const chosen = dialect?.open(this) ?? (connection.renderer === undefined ? null : jsonLines);
    this.#gate = new InboundGate(this, chosen);
    if (chosen !== null) this.onDialect(chosen);
    // Never probed counts as probed at connect: a probe needs heartbeatMs of silence anyway.
    this.#connectedAt = this.#inboundAt = this.#probedAt = this.#refilledAt = compactNow();
    this.#milliTokens = ctx.config.rateBurst * 1000;
  }

  /** ms since the epoch, when the connection was accepted. */
  get connectedAt(): number {
    return toEpochMs(this.#connectedAt);
  }

  /** ms since the epoch, when the client last sent anything. */
  get lastInboundAt(): number {
    return toEpochMs(this.#inboundAt);
  }

  /** ms since the epoch, of the last heartbeat probe (the connect time before the first). */
  get lastProbeAt(): number {
    return toEpochMs(this.#probedAt);
  }

  get transport(): TransportName {
    return this.connection.transport;
  }

  /** WebSocket only: a token given as ?token= on the URL, used by hello when it has none. */
  get wsToken(): string | undefined {
    return this.connection.token;
  }

  /** The client's real address. */
  get ip(): string {
    return this.connection.remoteAddress;
  }

  /** Bytes the kernel has not taken yet: what the outbound budget is checked against. */
  get outboundBytes(): number {
    return this.connection.writableLength;
  }

  get isClosing(): boolean {
    return this.#life >= Life.Closing;
  }

  get isClosed(): boolean {
    return this.#life === Life.Closed;
  }

  /** What the first line decided (admin connection list). */
  get mode(): string {
    return this.#gate.dialect?.mode ?? 'undecided';
  }

  /** Human text mode: answers to every line, the text idle timeout, no pings. */
  get isText(): boolean {
    return this.#gate.dialect?.human === true;
  }

  /** Text mode and IRC answer a join with the room's members. */
  get membersOnJoin(): boolean {
    return this.#gate.dialect?.membersOnJoin === true;
  }

  /** The dialect spoken here: the first line's choice on a byte stream; JSON until then. */
  private get dialect(): Dialect {
    return this.#gate.dialect ?? jsonLines;
  }

  /** The bytes of `encoded` here: the transport's framing (WebSocket), else the dialect's. */
  private bytesOf(encoded: EncodedFrame): Buffer {
    const renderer = this.#renderer;
    return renderer !== null ? encoded.bytes(renderer) : this.dialect.bytesOf(encoded);
  }

  /** GateHost: the transport's framing wins (WebSocket), else the dialect's shared renderer. */
  onDialect(dialect: Dialect): void {
    this.#renderer = this.connection.renderer ?? dialect.renderer ?? null;
  }

  // ── inbound (ConnectionEvents, GateHost) ─────────────────────────────────────────

  onBytes(chunk: Buffer): void {
    this.#inboundAt = compactNow();
    this.#gate.onBytes(chunk);
  }

  onMessage(text: string | null): void {
    this.#inboundAt = compactNow();
    this.#gate.onMessage(text);
  }

  onAlive(): void {
    this.#inboundAt = compactNow();
  }

  onLineTooLong(maxLineBytes: number): void {
    this.closeWithError('line_too_long', `line exceeds ${maxLineBytes} bytes; closing`);
  }

  onBinary(): void {
    this.sendError('binary_not_supported');
  }

  /** A client frame from any dialect: rate limit, then its handler. */
  handle(frame: ClientFrame): void {
    if (frame.type === 'pong') return;
    if (!this.takeToken()) {
      bump(this.ctx.stats.drops, 'rate_limited');
      return this.sendError('rate_limited', ErrorCodes.rate_limited, 'id' in frame ? frame.id : undefined);
    }
    this.dispatchFrame(frame);
  }

  private dispatchFrame(frame: ClientFrame): void {
    try {
      dispatch(this, frame);
    } catch (err) {
      this.ctx.log.error({ err, type: frame.type, session: this.nick }, 'frame handler failed');
      this.sendError('internal', ErrorCodes.internal, 'id' in frame ? frame.id : undefined);
    }
  }

  /** A frame a dialect made from its own syntax; `charged` false: its line paid the rate limit already. */
  submit(frame: ClientFrame, charged: boolean): void {
    if (charged) this.handle(frame);
    else this.dispatchFrame(frame);
  }

  /** Holds later input until releaseFrames (hello: everything after it needs the nick). */
  holdFrames(): void {
    this.#gate.hold();
  }

  releaseFrames(): void {
    // Inside an answer (hello's), replay once the answers before it are out.
    const answers = this.#answers;
    if (answers?.isAnswering === true) answers.afterAnswers(() => this.#gate.release());
    else this.#gate.release();
  }

  /** Stops reading; the dialect's farewell and the close follow the answers still on their way. */
  quit(): void {
    if (this.#life !== Life.Open) return;
    this.#life = Life.Quitting;
    this.#gate.close();
    if (this.#answers === null) this.sayFarewell();
  }

  /**
   * One token of the rate limit (also for input a dialect answers itself); false when none
   * is left. Token bucket: `ratePerSecond` refill, `rateBurst` capacity.
   */
  takeToken(): boolean {
    const { ratePerSecond, rateBurst } = this.ctx.config;
    if (ratePerSecond === 0) return true;
    const now = compactNow();
    // ms × tokens/s = thousandths of a token: whole numbers for a whole rate.
    this.#milliTokens = Math.min(rateBurst * 1000, this.#milliTokens + (now - this.#refilledAt) * ratePerSecond);
    this.#refilledAt = now;
    if (this.#milliTokens < 1000) return false;
    this.#milliTokens -= 1000;
    return true;
  }

  /**
   * Greeter: a TCP connection silent since it was accepted learns how to start. Only while
   * its dialect is undecided: a client that has spoken (JSON or text) is never greeted.
   */
  greet(): void {
    if (this.#gate.state !== GateState.Undecided || this.isClosing) return;
    this.enqueue(GREETING_BYTES);
  }

  // ── answers (AnswerQueue) ─────────────────────────────────────────────────────────

  /** Runs `ok` or `fail` when a bus request settles, in the order the requests were made. */
  settle<T>(request: Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void {
    (this.#answers ??= new AnswerQueue(this)).settle(request, ok, fail);
  }

  /** As settle, for a request whose room events come back with the id `start` is given (deliverCaused). */
  settleCaused<T>(start: (cause: number) => Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void {
    (this.#answers ??= new AnswerQueue(this)).settleCaused(start, ok, fail);
  }

  onAnswersDone(): void {
    this.#answers = null;
    if (this.#life === Life.Quitting) this.sayFarewell();
  }

  private sayFarewell(): void {
    this.enqueue(this.dialect.farewell());
    this.close();
  }

  // ── outbound (OutboundQueue) ──────────────────────────────────────────────────────

  /** Queues a frame encoded once for many sessions (room messages, presence). */
  deliver(encoded: EncodedFrame): void {
    this.enqueue(this.bytesOf(encoded));
  }

  /**
   * A room event this session's request `cause` made (its topic, its kick): after the answers
   * asked before that request, as if it were part of its answer (answer-queue.ts).
   */
  deliverCaused(encoded: EncodedFrame, cause: number): void {
    if (this.#answers?.beforeAnswer(cause, () => this.deliver(encoded)) === true) return;
    this.deliver(encoded);
  }

  /** Queues a frame for this session alone. */
  send(frame: ServerFrame): void {
    this.sendEncoded(new EncodedFrame(frame, this.nick ?? undefined));
  }

  /** As send, for a frame already encoded (a history answer around stored lines). */
  sendEncoded(encoded: EncodedFrame): void {
    // An answer may not overtake an earlier one still waiting for the bus.
    if (this.#answers?.defer(() => this.sendEncoded(encoded)) === true) return;
    this.enqueue(this.bytesOf(encoded));
  }

  /** Bytes already in this connection's form (help text, IRC replies), in answer order. */
  sendBytes(bytes: Buffer): void {
    if (this.#answers?.defer(() => this.sendBytes(bytes)) === true) return;
    this.enqueue(bytes);
  }

  /**
   * Answers a command as the dialect does: JSON clients get `ack` when they gave an id;
   * text-mode clients always get an answer, the `echo` (their message, the room they
   * joined…) if any; IRC clients the reply their command calls for.
   */
  answer(id: Id | undefined, seq: number | undefined, echo?: ServerFrame | EncodedFrame): void {
    this.dialect.answer(this, id, seq, echo);
  }

  sendError(code: ErrorCode, message: string = ErrorCodes[code], id?: Id): void {
    bump(this.ctx.stats.errors, code);
    this.send(id === undefined ? { type: 'error', code, message } : { type: 'error', code, message, id });
  }

  private enqueue(bytes: Buffer): void {
    if (this.#life >= Life.Closing || bytes.length === 0) return;
    (this.#outbound ??= new OutboundQueue(this.connection, this, this.ctx)).enqueue(bytes);
  }

  /** Writes what is queued now (shutdown, closing). */
  flush(): void {
    this.#outbound?.flush();
  }

  onFlushed(queue: OutboundQueue): void {
    if (this.#outbound === queue) this.#outbound = null;
  }

  /**
   * The client is not reading: it would cost unbounded memory to keep queueing. Drop what
   * is queued, tell it why (it may still read that), and close; it recovers from history.
   */
  onSlowConsumer(): void {
    if (this.isClosing) return;
    bump(this.ctx.stats.drops, 'slow_consumer');
    this.#outbound?.discard();
    this.#outbound = null;
    this.closeWithError('slow_consumer');
  }

  // ── heartbeat and closing ────────────────────────────────────────────────────────

  /** Called by housekeeping when the connection has been quiet for heartbeatMs. */
  probe(now: number): void {
    this.#probedAt = toCompact(now);
    if (this.connection.probe()) return;
    this.#gate.dialect?.probe(this);
  }

  /**
   * Sends a final `error {code}` (outside the byte budget: it is the last frame), then
   * closes gently; a peer that does not let the close complete is destroyed after a grace.
   */
  closeWithError(code: ErrorCode, message: string = ErrorCodes[code]): void {
    if (this.isClosing) return;
    bump(this.ctx.stats.disconnects, code);
    bump(this.ctx.stats.errors, code);
    const frame = new EncodedFrame({ type: 'error', code, message }, this.nick ?? undefined);
    this.startClosing();
    if (!this.isClosed) this.connection.write(this.bytesOf(frame));
    this.end(code);
  }

  /** Closes after flushing what is queued (text-mode /quit). */
  close(): void {
    if (this.isClosing) return;
    this.startClosing();
    this.end('bye');
  }

  private startClosing(): void {
    this.#life = Life.Closing;
    this.#gate.close();
    const outbound = this.#outbound;
    this.#outbound = null;
    outbound?.flush();
  }

  private end(reason: EndReason): void {
    // Leave rooms and free the nick now, not when the peer finishes closing: a client that
    // reconnects at once must find its nick free and its old self gone from the member lists.
    this.ctx.hub.remove(this);
    this.connection.end(reason);
    setTimeout(destroyIfOpen, CLOSE_GRACE_MS, this).unref();
  }

  /** Tears the connection down now. */
  destroy(): void {
    this.connection.destroy();
  }

  /** ConnectionEvents: the connection is gone; forget the session everywhere. */
  onClosed(): void {
    if (this.isClosed) return;
    this.#life = Life.Closed;
    this.#gate.close();
    this.#outbound?.discard();
    this.#outbound = null;
    this.ctx.hub.remove(this);
    this.ctx.sessions.delete(this);
    this.ctx.stats.connectionsOpen[this.transport]--;
  }
}

function destroyIfOpen(session: ClientSession): void {
  if (!session.isClosed) session.destroy();
}
