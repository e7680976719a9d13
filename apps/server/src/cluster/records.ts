/**
 * The cluster's data plane: length-prefixed binary records on one stream socket per worker
 * (a socketpair the primary creates at fork: stdio slot 4). Every bus request and event
 * travels here as bytes; `process.send` (JSON over the IPC channel) is left to the control
 * plane: lifecycle, stats and metrics gathering, admin commands (control-channel.ts).
 *
 *   record:  u32 BE length of what follows │ u8 type │ fields…
 *   fields:  name   u8 length + latin1 bytes (nicks and rooms are ASCII by their syntax)
 *            text   u32 length + utf8 bytes
 *            f64    a number (seqs, limits, "none" as -1)
 *            rest   the bytes to the end of the record (a message body or line)
 *
 * A room message crosses as its wire bytes: the worker that accepted it sends the body it
 * encoded once (msg-line.ts), the primary appends seq and ts and forwards the finished line
 * to every worker with members, and they write it to their members unchanged. No JSON is
 * parsed or built on that path. The primary builds that Msg record once, the same bytes for
 * every worker, so nothing in it is for one worker alone: the sender's worker knows its
 * answer by its own nick and room (bus/ipc-bus.ts).
 *
 * Each side writes everything it has for a peer in one event-loop turn as one write
 * (RecordWriter.writeTo, or views of one buffer in one writev: primary-bus.ts), and reads
 * records back out of whatever chunks the socket gives (RecordReader), a record split
 * across chunks included.
 */

import type { LineRef } from '../core/line-slab.js';

/** Record types. Worker → primary requests first, then primary → worker events and replies. */
export const Rec = {
  /** name nick → Reply u8 (1: claimed) */
  Claim: 1,
  /** name nick, u16 count, name room × count (no reply) */
  Release: 2,
  /** name room, name nick, name ip ('' for none) → Reply f64 latest seq | Fail ('too_many_rooms', 'banned') */
  Join: 3,
  /** name room, name nick (no reply) */
  Leave: 4,
  /** name room, name from, rest body → Msg (from and room as sent: the answer) | Fail ('no_room', 'muted', 'slow_mode', 'not_in_room') */
  Pub: 5,
  /** name from, name to, text text, text id as JSON ('' for none) → Reply text dm JSON ('' if `to` is not connected) */
  Dm: 6,
  /** name room, f64 since (-1: none), f64 limit, f64 before (-1: none) → Reply u32 count, (u32 length, line) × count | Fail */
  History: 7,
  /** name room → Reply text JSON array of nicks */
  Members: 8,
  /** f64 limit → Reply text JSON array of room summaries */
  Rooms: 9,
  /** name room, name nick (no reply): the nick is typing */
  Typing: 10,
  /** name room, name nick, f64 seq → Reply u8 1 | Fail 'no_room': store a read marker */
  Read: 11,
  /** name room, name nick → Reply f64 the read marker (-1: none) */
  Marker: 12,
  /** name old nick, name new nick, u32 count, name room × count → Reply u8 (1: renamed) */
  Rename: 13,
  /** text RoomCommand JSON (bus/room-commands.ts; rare, so JSON) → Reply text RoomCommandOutcome JSON */
  RoomCmd: 14,

  /** u8 flags (MsgFlags), rest line: a sequenced room message */
  Msg: 20,
  /** name room, name nick, u8 event (0 join, 1 leave, 2 rename, then name old nick, 3 quit: a leave as the connection ended) */
  Presence: 21,
  /** text dm JSON: a direct message for a nick this worker holds */
  DmEvent: 22,
  /** name room, name nick: someone is typing in a room this worker has members in */
  TypingEvent: 23,
  /** text RoomEvent JSON: a moderation event, topic or deletion for this worker's members */
  RoomEvent: 24,
  /** the answer to the oldest request still waiting (fields by request type, above) */
  Reply: 30,
  /** name reason: the oldest request waiting failed ('too_many_rooms', 'no_room', 'unavailable', or a room refusal) */
  Fail: 31,
  /**
   * u8 flags, rest line: a Msg the primary took back before sending, because its message was
   * not stored (the commit failed). No one delivers it; the sender's worker fails its publish
   * with 'unavailable'.
   */
  Unstored: 32,
} as const;
export type RecordType = (typeof Rec)[keyof typeof Rec];

/** Bits of a Msg record's flags. */
export const MsgFlags = {
  /** Not for local members (the sender's worker has none left in the room): only the answer. */
  AnswerOnly: 1,
} as const;

/** A record longer than this is a broken peer, not data (a history reply of 1,000 8 KiB lines is ~8 MiB). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

const HEADER_BYTES = 5;
const INITIAL_CAPACITY = 16 * 1024;
/** A fresh buffer starts at twice what the writer last wrote, up to this (a rare huge reply is not kept). */
const MAX_FRESH_CAPACITY = 1024 * 1024;
/** Most bytes of buffers still held by sockets that a writer waits for, to fill again once written. */
const MAX_HELD_BYTES = 8 * 1024 * 1024;

/**
 * Builds the records one peer gets in one turn, in one growing buffer, sent with one write
 * (`writeTo`). When the kernel took the whole write at once (the usual case on a socketpair
 * that keeps up) the same buffer is filled again next turn: a turn's records cost no
 * allocation. Otherwise the socket still holds those bytes, and the next turn takes a
 * buffer the sockets have finished with, or a new one (see release).
 */
export class RecordWriter {
  #buf: Buffer = Buffer.allocUnsafeSlow(INITIAL_CAPACITY);
  /** Buffers handed to sockets that could not take them all at once, oldest first. */
  #held: { buf: Buffer; written: () => boolean }[] = [];
  #heldBytes = 0;
  /** Bytes writeTo has handed to its socket, ever (when a held buffer is written). */
  #sent = 0;
  #at = 0;
  #recordStart = -1;

  get pendingBytes(): number {
    return this.#at;
  }

  begin(type: RecordType): this {
    this.#ensure(HEADER_BYTES);
    this.#recordStart = this.#at;
    this.#buf[this.#at + 4] = type;
    this.#at += HEADER_BYTES;
    return this;
  }

  /** Closes the record begun last: fills in its length. */
  end(): void {
    this.#buf.writeUInt32BE(this.#at - this.#recordStart - 4, this.#recordStart);
    this.#recordStart = -1;
  }

  u8(value: number): this {
    this.#ensure(1);
    this.#buf[this.#at++] = value;
    return this;
  }

  u32(value: number): this {
    this.#ensure(4);
    this.#buf.writeUInt32BE(value, this.#at);
    this.#at += 4;
    return this;
  }

  f64(value: number): this {
    this.#ensure(8);
    this.#buf.writeDoubleBE(value, this.#at);
    this.#at += 8;
    return this;
  }

  /** A nick or room name: ASCII by its syntax, at most 255 bytes. */
  name(value: string): this {
    this.#ensure(1 + value.length);
    this.#buf[this.#at] = value.length;
    this.#buf.write(value, this.#at + 1, 'latin1');
    this.#at += 1 + value.length;
    return this;
  }

  /** Any string, UTF-8, with a u32 length. */
  text(value: string): this {
    const bytes = Buffer.byteLength(value);
    this.#ensure(4 + bytes);
    this.#buf.writeUInt32BE(bytes, this.#at);
    this.#buf.write(value, this.#at + 4, 'utf8');
    this.#at += 4 + bytes;
    return this;
  }

  /** A string as the rest of the record (UTF-8, no length: the record's end bounds it). */
  restText(value: string): this {
    // At most 3 bytes per UTF-16 unit: room enough without measuring the string first.
    this.#ensure(value.length * 3);
    this.#at += this.#buf.write(value, this.#at, 'utf8');
    return this;
  }

  /** Bytes as they are (the rest of the record, or after a u32 length the caller wrote). */
  bytes(value: Buffer, start = 0, end = value.length): this {
    this.#ensure(end - start);
    value.copy(this.#buf, this.#at, start, end);
    this.#at += end - start;
    return this;
  }

  /** Room for `size` bytes of the record, uninitialised, which the caller fills before the next write. */
  reserve(size: number): LineRef {
    this.#ensure(size);
    const start = this.#at;
    this.#at += size;
    return { buf: this.#buf, start, end: this.#at };
  }

  /** Where the next record begins: an offset valid until the next writeTo or release. */
  get mark(): number {
    return this.#at;
  }

  /** Bytes `[start, end)` written since the last write, as a view to hand to a socket. */
  view(start: number, end: number): Buffer {
    return this.#buf.subarray(start, end);
  }

  /**
   * Gives every record of type `from` written since the last write the type `to`: how the
   * primary takes back the messages of a turn whose commit failed (Msg to Unstored).
   */
  retype(from: RecordType, to: RecordType): void {
    for (let at = 0; at < this.#at; at += 4 + this.#buf.readUInt32BE(at)) {
      if (this.#buf[at + 4] === from) this.#buf[at + 4] = to;
    }
  }

  /** Writes everything since the last write in one socket write; the writer starts empty. */
  writeTo(socket: { write(bytes: Buffer): boolean; readonly writableLength: number }): void {
    const bytes = this.#at;
    if (bytes === 0) return;
    socket.write(this.#buf.subarray(0, bytes));
    const sent = (this.#sent += bytes);
    // Everything up to this write has left once no more than what came after it is pending.
    this.release(socket.writableLength === 0 ? undefined : () => this.#sent - socket.writableLength >= sent);
  }

  /**
   * Starts empty after this turn's bytes went to sockets (writeTo, or the caller's own writes
   * of views). `written`: undefined when the sockets took them all, else a test of whether
   * they have written them since.
   */
  release(written: (() => boolean) | undefined): void {
    const used = this.#at;
    this.#at = 0;
    this.#recordStart = -1;
    if (written === undefined) return; // the kernel took it all: fill the same buffer again
    // The sockets hold this buffer until they have written it, so the next turn needs
    // another: the oldest held one if they are done with it (they write in order, so the
    // oldest is done first), else a new one, sized by this turn (allocating per turn under
    // backpressure, 1 MiB each with 4 workers, was external memory that set off the
    // garbage collector ~200 times a second).
    const held = this.#held;
    held.push({ buf: this.#buf, written });
    this.#heldBytes += this.#buf.length;
    if (held[0]!.written()) {
      this.#buf = held.shift()!.buf;
      this.#heldBytes -= this.#buf.length;
      return;
    }
    // Past the bound, the oldest is left to the garbage collector (once its socket lets go).
    while (this.#heldBytes > MAX_HELD_BYTES) this.#heldBytes -= held.shift()!.buf.length;
    this.#buf = Buffer.allocUnsafeSlow(Math.min(MAX_FRESH_CAPACITY, Math.max(INITIAL_CAPACITY, 2 * used)));
  }

  /** Drops everything written since the last write (the peer is gone). */
  discard(): void {
    this.#at = 0;
    this.#recordStart = -1;
  }

  #ensure(more: number): void {
    if (this.#at + more <= this.#buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.#at + more));
    this.#buf.copy(grown, 0, 0, this.#at);
    this.#buf = grown;
  }
}

/** A cursor over one record's fields (valid only during the onRecord call that gives it). */
export class RecordFields {
  buf: Buffer = Buffer.alloc(0);
  at = 0;
  end = 0;

  u8(): number {
    return this.buf[this.at++]!;
  }

  u32(): number {
    const value = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  f64(): number {
    const value = this.buf.readDoubleBE(this.at);
    this.at += 8;
    return value;
  }

  name(): string {
    const length = this.buf[this.at]!;
    const value = this.buf.toString('latin1', this.at + 1, this.at + 1 + length);
    this.at += 1 + length;
    return value;
  }

  /**
   * Steps over a name without making a string of it; returns where its bytes begin (they end
   * at `at`), for a reader that looks at them in place.
   */
  skipName(): number {
    const start = this.at + 1;
    this.at = start + this.buf[this.at]!;
    return start;
  }

  /** The rest of the record, copied out (it outlives the read buffer). */
  copyRest(): Buffer {
    const copy = Buffer.allocUnsafe(this.end - this.at);
    this.buf.copy(copy, 0, this.at, this.end);
    this.at = this.end;
    return copy;
  }

  text(): string {
    const length = this.u32();
    const value = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }

  /** The next `length` bytes as a view (copy it to keep it past this record). */
  view(length: number): Buffer {
    const value = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }
}

export interface RecordSink {
  /** One record: `fields` points at the byte after its type. */
  onRecord(type: number, fields: RecordFields): void;
  /** The peer broke the framing (a length over MAX_RECORD_BYTES): the stream is useless now. */
  onCorrupt(reason: string): void;
}

/**
 * Splits a byte stream into records. Records wholly inside a chunk are read in place; a
 * record split across chunks is gathered into one buffer first (ws's Receiver does the same:
 * views while it can, a copy only across a boundary).
 */
export class RecordReader {
  readonly #fields = new RecordFields();
  /** Bytes of an unfinished record (its header included). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Length of the record being gathered (header included), or -1 while its header is incomplete. */
  #wanted = -1;
  #broken = false;

  push(chunk: Buffer, sink: RecordSink): void {
    if (this.#broken) return;
    let start = 0;
    if (this.#pendingBytes > 0) {
      start = this.#completePending(chunk, sink);
      if (start < 0) return;
    }
    const end = chunk.length;
    while (start + 4 <= end) {
      const length = chunk.readUInt32BE(start);
      if (!this.#lengthOk(length, sink)) return;
      const recordEnd = start + 4 + length;
      if (recordEnd > end) break;
      this.#emit(chunk, start + 4, recordEnd, sink);
      start = recordEnd;
    }
    if (start < end) this.#hold(chunk.subarray(start), sink);
  }

  /** Feeds the pending record from `chunk`; returns where the chunk's own records start, or -1. */
  #completePending(chunk: Buffer, sink: RecordSink): number {
    if (this.#wanted < 0) {
      const header = Buffer.concat([...this.#pending, chunk.subarray(0, 4)]);
      if (header.length < 4) {
        this.#hold(chunk, sink);
        return -1;
      }
      const length = header.readUInt32BE(0);
      if (!this.#lengthOk(length, sink)) return -1;
      this.#wanted = 4 + length;
    }
    const missing = this.#wanted - this.#pendingBytes;
    if (chunk.length < missing) {
      this.#hold(chunk, sink);
      return -1;
    }
    this.#pending.push(chunk.subarray(0, missing));
    const record = Buffer.concat(this.#pending, this.#wanted);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#wanted = -1;
    this.#emit(record, 4, record.length, sink);
    return missing;
  }

  #hold(bytes: Buffer, sink: RecordSink): void {
    // A copy: a view would pin the socket's whole read buffer until the record completes.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
    if (this.#wanted < 0 && this.#pendingBytes >= 4) {
      const length = Buffer.concat(this.#pending).readUInt32BE(0);
      if (this.#lengthOk(length, sink)) this.#wanted = 4 + length;
    }
  }

  #lengthOk(length: number, sink: RecordSink): boolean {
    if (length >= 1 && length <= MAX_RECORD_BYTES) return true;
    this.#broken = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    sink.onCorrupt(`record length ${length} outside 1..${MAX_RECORD_BYTES}`);
    return false;
  }

  #emit(buf: Buffer, start: number, end: number, sink: RecordSink): void {
    const fields = this.#fields;
    fields.buf = buf;
    fields.at = start + 1;
    fields.end = end;
    sink.onRecord(buf[start]!, fields);
  }
}
