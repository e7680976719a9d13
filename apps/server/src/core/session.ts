/**
 * One client connection, whatever its transport: its state (nick, rooms, rate bucket,
 * heartbeat clock) and its single outbound path.
 *
 * Memory matters here (10,000+ of these per process): state is flat fields, methods live
 * on the prototype, and the transports attach named module-level handlers rather than
 * closures per connection (see transports/).
 *
 * Outbound path (the only way bytes leave): deliver/send → #enqueue → queue
 * → FlushScheduler → flush → one connection.write per event-loop turn. The byte budget is
 * checked against what the connection could not hand to the kernel (writableLength): that
 * is the backlog of a client that does not read, and the memory it costs us.
 *
 * The socket is reached only through the Connection port (connection.ts).
 */
import {
  ErrorCodes,
  IRC_MAX_LINE_BYTES,
  LineDecoder,
  ProtocolError,
  TEXT_GREETING,
  TEXT_HELP,
  isIrcFirstLine,
  parseTextLine,
  type ClientFrame,
  type ErrorCode,
  type Id,
  type LineSink,
  type ServerFrame,
} from '@loopchat/protocol';
import { IrcDialect } from '../irc/irc-dialect.js';
import type { Connection, ConnectionEvents, EndReason } from './connection.js';
import type { ServerContext } from './context.js';
import { EncodedFrame, JSON_LINES, TEXT_LINES, type FrameRenderer } from './encoded-frame.js';
import { dispatch } from './handlers.js';
import type { Grant } from './auth.js';
import type { ReadWaiter } from './read-throttle.js';
import type { Room } from './room.js';
import { bump, type TransportName } from './stats.js';

/**
 * Frames held behind a hello whose answer is pending before the connection stops reading
 * (the rest of that read is held too: bounded by one read, at most 64 KiB on TCP).
 */
const MAX_HELD_FRAMES = 64;

/** Reasons reads are paused (bits of Session.#readPauses). */
const PAUSED_BY_THROTTLE = 1;
const PAUSED_FOR_HELLO = 2;

/** Queued bytes at which a session writes at once instead of waiting for the end of the turn. */
const FLUSH_EARLY_BYTES = 64 * 1024;

/** How long a closing connection may take to drain before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

const GREETING_BYTES = Buffer.from(`${TEXT_GREETING}\n`);

/** How a session's frames read: TCP decides by its first line; a WebSocket carries JSON. */
const WireFormat = { Undecided: 0, JsonLines: 1, Text: 2, Irc: 3 } as const;
type WireFormat = (typeof WireFormat)[keyof typeof WireFormat];

/** Connection ids, sequential per process (the admin API shows them with the pid in front). */
let nextSessionId = 1;

export class Session implements ConnectionEvents, LineSink, ReadWaiter {
  readonly id = nextSessionId++;
  /** ms since the epoch, when the connection was accepted. */
  readonly connectedAt: number;
  readonly ctx: ServerContext;
  readonly connection: Connection;
  #format: WireFormat;
  nick: string | null = null;
  readonly rooms = new Set<Room>();
  /** What the session's token grants (null: anonymous). */
  grant: Grant | null = null;
  /** WebSocket only: a token given as ?token= on the URL, used by hello when it has none. */
  wsToken: string | undefined = undefined;
  /** Text mode: where plain lines go (the room joined last). */
  currentRoom: string | null = null;
  /** IRC connections only: the IRC dialect (registration, commands, rendering per reader). */
  irc: IrcDialect | null = null;
  /** Byte streams only: the bounded line decoder (made by the first bytes). */
  #decoder: LineDecoder | null = null;
  /** How frames are written to this connection: set by the transport, or by the dialect. */
  #renderer: FrameRenderer;
  lastInboundAt: number;
  lastProbeAt = 0;
  #tokens: number;
  #refilledAt: number;
  /**
   * Input that arrived while hello was in flight (bounded), replayed in order after it.
   * Raw lines, not parsed frames: a text-mode line depends on state (the current room)
   * that the lines before it may still change.
   */
  #held: (string | null)[] | null = null;
  /** Why reads are paused (PAUSED_BY_* bits); reading resumes when none is left. */
  #readPauses = 0;
  /** Answers to bus requests, in request order; null while none is pending. */
  #answers: { done: boolean; run: () => void }[] | null = null;
  /**
   * Input received after this turn's read budget was spent (read-throttle.ts), with reads
   * paused until it is handled: one TCP chunk, or the WebSocket messages of one chunk
   * (null stands for a binary message).
   */
  #waitingInput: Buffer | (string | null)[] | null = null;
  #quitting = false;
  /** True while an answer runs: its own frames go out at once. */
  #answering = false;
  #releaseAfterAnswers = false;
  #queue: Buffer | Buffer[] | null = null;
  #queuedBytes = 0;
  #closing = false;
  #closed = false;

  constructor(ctx: ServerContext, connection: Connection) {
    this.ctx = ctx;
    this.connection = connection;
    // A message transport carries JSON frames only; a byte stream's first line decides.
    this.#format = connection.renderer === undefined ? WireFormat.Undecided : WireFormat.JsonLines;
    this.#renderer = connection.renderer ?? JSON_LINES;
    this.connectedAt = this.lastInboundAt = this.#refilledAt = Date.now();
    this.#tokens = ctx.config.rateBurst;
  }

  get transport(): TransportName {
    return this.connection.transport;
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
    return this.#closing || this.#closed;
  }

  /** What the first line decided (admin connection list). */
  get mode(): 'undecided' | 'json' | 'text' | 'irc' {
    return (['undecided', 'json', 'text', 'irc'] as const)[this.#format];
  }

  /** Text-mode clients get an answer to every line (an echo or `* ok`), with or without ids. */
  get isText(): boolean {
    return this.#format === WireFormat.Text;
  }

  /** Text mode and IRC answer a join with the room's members (IRC: NAMES, RFC 2812 §3.2.1). */
  get membersOnJoin(): boolean {
    return this.#format === WireFormat.Text || this.#format === WireFormat.Irc;
  }

  // ── inbound ──────────────────────────────────────────────────────────────────────

  /** ConnectionEvents: bytes from a stream transport (TCP). */
  onBytes(chunk: Buffer): void {
    this.lastInboundAt = Date.now();
    if (this.ctx.readThrottle.shouldDefer()) this.#waitWithChunk(chunk);
    else (this.#decoder ??= new LineDecoder(this.ctx.config.maxLineBytes)).push(chunk, this);
  }

  /** ConnectionEvents: one message from a message transport (WebSocket); null: binary. */
  onMessage(text: string | null): void {
    this.lastInboundAt = Date.now();
    // Behind input already waiting (read-throttle.ts), or past this turn's read budget: wait.
    if (this.#waitingInput !== null || this.ctx.readThrottle.shouldDefer()) this.#waitWithMessage(text);
    else if (text === null) this.#onBinary();
    else this.#onJson(text);
  }

  /** ConnectionEvents: a WebSocket pong. */
  onAlive(): void {
    this.lastInboundAt = Date.now();
  }

  /** LineSink: one complete TCP line. The first line decides JSON or text mode. */
  onLine(line: string): void {
    if (this.#closing || this.#quitting) return;
    if (this.#format === WireFormat.Undecided) {
      const start = line.trimStart();
      if (start === '') return; // a stray newline before the first frame decides nothing
      if (isIrcFirstLine(start)) this.startIrc();
      else this.#format = start.startsWith('{') ? WireFormat.JsonLines : WireFormat.Text;
      if (this.#format === WireFormat.Text) this.#renderer = TEXT_LINES;
    }
    if (this.#held !== null) return this.#hold(line);
    if (this.irc !== null) {
      this.ctx.stats.framesIn.tcp++;
      this.irc.onLine(line);
    } else if (this.#format === WireFormat.Text) this.#onTextLine(line);
    else this.#onJsonLine(line);
  }

  /** IRC from the first byte (a listener for IRC only), or from the first line (detected). */
  startIrc(): void {
    this.#format = WireFormat.Irc;
    this.irc = new IrcDialect(this);
    // IRCv3 message-tags: 8,191 bytes of tags may precede the 510-byte line.
    const limit = Math.max(this.ctx.config.maxLineBytes, IRC_MAX_LINE_BYTES);
    if (this.#decoder === null) this.#decoder = new LineDecoder(limit);
    else this.#decoder.setMaxLineBytes(limit);
  }

  /** LineSink: a line over maxLineBytes is a framing violation; the connection is closed. */
  onLineTooLong(): void {
    this.ctx.stats.framesIn.tcp++;
    this.#decoder?.close();
    this.closeWithError(
      'line_too_long',
      `line exceeds ${this.#decoder?.maxLineBytes ?? this.ctx.config.maxLineBytes} bytes; closing`,
    );
  }

  /** TCP: the turn's read budget is spent; keep this chunk, stop reading, and wait in line. */
  #waitWithChunk(chunk: Buffer): void {
    this.#pauseReading(PAUSED_BY_THROTTLE);
    this.#waitingInput = chunk;
    this.ctx.stats.readsDeferred++;
    this.ctx.readThrottle.defer(this);
  }

  /** WebSocket: as #waitWithChunk, per message (null: a binary one). */
  #waitWithMessage(text: string | null): void {
    if (this.#waitingInput === null) {
      this.#pauseReading(PAUSED_BY_THROTTLE);
      this.#waitingInput = [];
      this.ctx.stats.readsDeferred++;
      this.ctx.readThrottle.defer(this);
    }
    (this.#waitingInput as (string | null)[]).push(text);
  }

  /** ReadWaiter: this session's turn came; handle what it kept, then read again. */
  resumeReading(): void {
    const input = this.#waitingInput;
    this.#waitingInput = null;
    if (input === null || this.isClosing) return;
    if (Buffer.isBuffer(input)) (this.#decoder ??= new LineDecoder(this.ctx.config.maxLineBytes)).push(input, this);
    else
      for (const text of input) {
        if (text === null) this.#onBinary();
        else this.#onJson(text);
      }
    this.#resumeReading(PAUSED_BY_THROTTLE);
  }

  #pauseReading(reason: number): void {
    if (this.#readPauses === 0) this.connection.pause();
    this.#readPauses |= reason;
  }

  #resumeReading(reason: number): void {
    if ((this.#readPauses & reason) === 0) return;
    this.#readPauses &= ~reason;
    if (this.#readPauses === 0 && !this.isClosing) this.connection.resume();
  }

  /** A WebSocket binary message: the protocol is text frames only. */
  #onBinary(): void {
    if (this.#closing) return;
    // Its error takes its place in line behind frames held for a pending hello.
    if (this.#held !== null) return this.#hold(null);
    this.ctx.stats.framesIn[this.transport]++;
    this.sendError('binary_not_supported');
  }

  /** A WebSocket text message (one JSON frame). */
  #onJson(text: string): void {
    if (this.#closing) return;
    if (this.#held !== null) return this.#hold(text);
    this.#onJsonLine(text);
  }

  #onJsonLine(text: string): void {
    this.ctx.stats.framesIn[this.transport]++;
    let frame: ClientFrame | ProtocolError;
    try {
      frame = this.ctx.codec.decode(text);
    } catch (err) {
      // decode never throws by contract; if a bug breaks that, one client gets an error, not the process.
      this.ctx.log.error({ err, ip: this.ip }, 'frame decoder threw');
      return this.sendError('internal', ErrorCodes.internal);
    }
    if (frame instanceof ProtocolError) this.sendError(frame.code, frame.message, frame.id);
    else this.#handle(frame);
  }

  #onTextLine(line: string): void {
    this.ctx.stats.framesIn.tcp++;
    const command = parseTextLine(line, this.currentRoom, this.ctx.codec, this.nick !== null);
    switch (command.kind) {
      case 'frame':
        return this.#handle(command.frame);
      case 'error':
        return this.sendError(command.error.code, command.error.message);
      case 'help':
        return this.#enqueue(Buffer.from(`${TEXT_HELP}\n`));
      case 'quit':
        return this.quit();
      case 'empty':
        return;
    }
  }

  /**
   * A frame a dialect made from its own syntax (IRC): through the rate limit like a JSON
   * frame when `charged`, straight to its handler when the line that caused it paid already.
   */
  submit(frame: ClientFrame, charged: boolean): void {
    if (charged) this.#handle(frame);
    else this.#dispatch(frame);
  }

  /** One token of the rate limit for input a dialect answers itself; false when none is left. */
  takeToken(): boolean {
    return this.#takeToken();
  }

  /** Ends the session after the answers still on their way from the bus (text /quit, IRC QUIT). */
  quit(): void {
    if (this.#quitting) return;
    this.#quitting = true;
    if (this.#answers === null) this.#sayByeAndClose();
  }

  #handle(frame: ClientFrame): void {
    if (frame.type === 'pong') return;
    if (!this.#takeToken()) {
      bump(this.ctx.stats.drops, 'rate_limited');
      return this.sendError('rate_limited', ErrorCodes.rate_limited, 'id' in frame ? frame.id : undefined);
    }
    this.#dispatch(frame);
  }

  /** Held input (null: a WebSocket binary message); at the cap, reading pauses until the welcome. */
  #hold(input: string | null): void {
    this.#held!.push(input);
    if (this.#held!.length === MAX_HELD_FRAMES) this.#pauseReading(PAUSED_FOR_HELLO);
  }

  /** Holds later input until releaseFrames (hello: everything after it needs the nick). */
  holdFrames(): void {
    this.#held ??= [];
  }

  releaseFrames(): void {
    // Inside an answer (hello's), replay once the answers before it are out.
    if (this.#answering) {
      this.#releaseAfterAnswers = true;
      return;
    }
    const held = this.#held;
    this.#held = null;
    if (held === null) return;
    for (let i = 0; i < held.length && !this.#closing && !this.#quitting; i++) {
      const input = held[i]!;
      if (input === null) this.#onBinary();
      else this.onLine(input);
      const heldAgain = this.#held as (string | null)[] | null;
      if (heldAgain !== null) {
        // A held line was another hello: keep the rest held behind it.
        heldAgain.push(...held.slice(i + 1));
        if (heldAgain.length < MAX_HELD_FRAMES) this.#resumeReading(PAUSED_FOR_HELLO);
        else this.#pauseReading(PAUSED_FOR_HELLO);
        return;
      }
    }
    this.#resumeReading(PAUSED_FOR_HELLO);
  }

  /**
   * Runs `ok` or `fail` when a bus request settles, in the order the requests were made:
   * bus answers can overtake each other (a history read may return before a publish), but
   * a client reads its answers in the order it asked. A /quit waits for them all.
   */
  settle<T>(request: Promise<T>, ok: (value: T) => void, fail: (err: unknown) => void): void {
    const slot = { done: false, run: (): void => {} };
    (this.#answers ??= []).push(slot);
    request.then(
      (value) => this.#complete(slot, () => ok(value)),
      (err: unknown) => this.#complete(slot, () => fail(err)),
    );
  }

  #complete(slot: { done: boolean; run: () => void }, run: () => void): void {
    slot.done = true;
    slot.run = run;
    const answers = this.#answers!;
    while (answers.length > 0 && answers[0]!.done) {
      const next = answers.shift()!;
      this.#answering = true;
      try {
        next.run();
      } finally {
        this.#answering = false;
      }
    }
    if (answers.length === 0 && this.#answers === answers) this.#answers = null;
    if (this.#releaseAfterAnswers) {
      this.#releaseAfterAnswers = false;
      this.releaseFrames();
    }
    if (this.#answers === null && this.#quitting) this.#sayByeAndClose();
  }

  #sayByeAndClose(): void {
    this.#enqueue(this.irc?.goodbye() ?? Buffer.from('* bye\n'));
    this.close();
  }

  #dispatch(frame: ClientFrame): void {
    try {
      dispatch(this, frame);
    } catch (err) {
      this.ctx.log.error({ err, type: frame.type, session: this.nick }, 'frame handler failed');
      this.sendError('internal', ErrorCodes.internal, 'id' in frame ? frame.id : undefined);
    }
  }

  /** Token bucket: `ratePerSecond` refill, `rateBurst` capacity. */
  #takeToken(): boolean {
    const { ratePerSecond, rateBurst } = this.ctx.config;
    if (ratePerSecond === 0) return true;
    const now = Date.now();
    this.#tokens = Math.min(rateBurst, this.#tokens + ((now - this.#refilledAt) * ratePerSecond) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Greeter: a TCP connection silent since it was accepted learns how to start. Only while
   * its format is undecided: a client that has spoken (JSON or text) is never greeted.
   */
  greet(): void {
    if (this.#format !== WireFormat.Undecided || this.isClosing) return;
    this.#enqueue(GREETING_BYTES);
  }

  // ── outbound ─────────────────────────────────────────────────────────────────────

  /** Queues a frame encoded once for many sessions (room messages, presence). */
  deliver(encoded: EncodedFrame): void {
    this.#enqueue(this.#bytesOf(encoded));
  }

  /** Queues a frame for this session alone. */
  send(frame: ServerFrame): void {
    this.sendEncoded(new EncodedFrame(frame, this.nick ?? undefined));
  }

  /** As send, for a frame already encoded (a history answer around stored lines). */
  sendEncoded(encoded: EncodedFrame): void {
    // An answer may not overtake an earlier one still waiting for the bus.
    if (!this.#answering && this.#answers !== null && this.#answers.length > 0) {
      this.#answers.push({ done: true, run: () => this.sendEncoded(encoded) });
      return;
    }
    this.#enqueue(this.#bytesOf(encoded));
  }

  /** As sendEncoded, for bytes a dialect rendered itself (IRC replies): in answer order too. */
  sendBytes(bytes: Buffer): void {
    if (!this.#answering && this.#answers !== null && this.#answers.length > 0) {
      this.#answers.push({ done: true, run: () => this.sendBytes(bytes) });
      return;
    }
    this.#enqueue(bytes);
  }

  /** IRC renders per reader (its capabilities, the request an answer is for); the others per renderer. */
  #bytesOf(encoded: EncodedFrame): Buffer {
    return this.irc === null ? encoded.bytes(this.#renderer) : this.irc.bytesOf(encoded);
  }

  /**
   * Answers a command. JSON clients get `ack` when they gave an id; text-mode clients
   * always get an answer, the `echo` (their own message, the room they joined…) if any.
   */
  answer(id: Id | undefined, seq: number | undefined, echo?: ServerFrame | EncodedFrame): void {
    if (this.irc !== null) return this.irc.answer(id, seq, echo);
    if (this.#format === WireFormat.Text) {
      if (echo instanceof EncodedFrame) this.deliver(echo);
      else this.send(echo ?? { type: 'ack', id: 0, ts: Date.now() });
      return;
    }
    if (id === undefined) return;
    const ack: ServerFrame =
      seq === undefined ? { type: 'ack', id, ts: Date.now() } : { type: 'ack', id, seq, ts: Date.now() };
    this.send(ack);
  }

  sendError(code: ErrorCode, message: string = ErrorCodes[code], id?: Id): void {
    bump(this.ctx.stats.errors, code);
    this.send(id === undefined ? { type: 'error', code, message } : { type: 'error', code, message, id });
  }

  #enqueue(bytes: Buffer): void {
    if (this.#closing || bytes.length === 0) return;
    if (this.connection.writableLength > this.ctx.config.outboundBudgetBytes) {
      this.#onSlowConsumer();
      return;
    }
    const stats = this.ctx.stats;
    stats.framesOut[this.connection.transport]++;
    if (this.#queue === null) {
      this.#queue = bytes;
      this.ctx.flusher.mark(this);
    } else if (Array.isArray(this.#queue)) {
      this.#queue.push(bytes);
    } else {
      this.#queue = [this.#queue, bytes];
    }
    this.#queuedBytes += bytes.length;
    // A flood within one turn is written out as it grows, so a client that reads keeps
    // up and what one session holds stays near budget + FLUSH_EARLY_BYTES.
    if (this.#queuedBytes >= FLUSH_EARLY_BYTES) this.flush();
  }

  /** Writes everything queued in one write (FlushScheduler calls this once per turn). */
  flush(): void {
    const queue = this.#queue;
    if (queue === null) return;
    const bytes = Array.isArray(queue) ? Buffer.concat(queue, this.#queuedBytes) : queue;
    this.#queue = null;
    this.#queuedBytes = 0;
    if (this.#closed) return;
    this.ctx.stats.bytesOut[this.transport] += bytes.length;
    this.connection.write(bytes);
    // What the kernel would not take is the client's unread backlog: over budget, it goes.
    if (!this.#closing && this.connection.writableLength > this.ctx.config.outboundBudgetBytes) this.#onSlowConsumer();
  }

  /**
   * The client is not reading: it would cost unbounded memory to keep queueing. Drop what
   * is queued, tell it why (it may still read that), and close; it recovers from history.
   */
  #onSlowConsumer(): void {
    bump(this.ctx.stats.drops, 'slow_consumer');
    this.#queue = null;
    this.#queuedBytes = 0;
    this.closeWithError('slow_consumer');
  }

  // ── heartbeat and closing ────────────────────────────────────────────────────────

  /** Called by housekeeping when the connection has been quiet for heartbeatMs. */
  probe(now: number): void {
    this.lastProbeAt = now;
    if (this.connection.probe()) return;
    if (this.#format === WireFormat.JsonLines || this.#format === WireFormat.Irc) this.send({ type: 'ping' });
    // Text mode: a human cannot answer pings; TCP keepalive and textIdleTimeoutMs cover it.
  }

  /**
   * Sends a final `error {code}` (outside the byte budget: it is the last frame), then
   * closes gently; a peer that does not let the close complete is destroyed after a grace.
   */
  closeWithError(code: ErrorCode, message: string = ErrorCodes[code]): void {
    if (this.#closing) return;
    bump(this.ctx.stats.disconnects, code);
    bump(this.ctx.stats.errors, code);
    const frame = new EncodedFrame({ type: 'error', code, message }, this.nick ?? undefined);
    this.#closing = true;
    this.flush();
    if (!this.#closed) this.connection.write(this.#bytesOf(frame));
    this.#end(code);
  }

  /** Closes after flushing what is queued (text-mode /quit). */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.flush();
    this.#end('bye');
  }

  #end(reason: EndReason): void {
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

  /** The transport reports the socket closed: forget the session everywhere. */
  onClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    this.#queue = null;
    this.#decoder?.close();
    this.ctx.hub.remove(this);
    this.ctx.sessions.delete(this);
    this.ctx.stats.connectionsOpen[this.transport]--;
  }

  get isClosed(): boolean {
    return this.#closed;
  }
}

function destroyIfOpen(session: Session): void {
  if (!session.isClosed) session.destroy();
}
