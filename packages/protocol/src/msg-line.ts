/**
 * The canonical bytes of a room message. A message is encoded once, by the process that
 * accepted it, as a body without its seq and ts; whoever sequences it (the hub of a single
 * process, the cluster primary, the Redis publish script) appends the tail, and every member
 * of the room, on every process and host, receives those same bytes:
 *
 *   {"type":"msg","room":"general","from":"ann","text":"hi","id":7,"seq":12,"ts":1764860000000}\n
 *   └───────────────── body: the sender's process ─────────────┘└──── tail: the sequencer ───┘
 *
 * seq and ts come last so the sequencer appends them without parsing anything, and a reader
 * finds them by walking back from the end (the load generator reads them the same way). room
 * and from are names whose syntax (limits.ts) needs no JSON escaping, so they are read by
 * position; the text is never looked at again after the body is built.
 */

const BODY_START = '{"type":"msg","room":"';
const BODY_START_BYTES = Buffer.from(BODY_START);
const FROM_KEY = '","from":"';
const FROM_KEY_BYTES = Buffer.from(FROM_KEY);
const QUOTE = 0x22;
const BODY_START_LENGTH = BODY_START.length;
const FROM_KEY_LENGTH = FROM_KEY.length;
const SEQ_KEY = Buffer.from('"seq":');
const TS_KEY = Buffer.from(',"ts":');

/**
 * The body of a message: everything but seq and ts, without the closing brace. `room` and
 * `from` must be valid names (the codec and the nick registry guarantee it); `id` is the
 * sender's correlation id, echoed to every member so a sender recognises its own message.
 * A `/me` action adds `"action":true` after the text: a field inside the body, so the line
 * stays one set of bytes for every member, whatever their mode (text mode renders it from
 * those bytes), and room, from, seq and ts stay where readers look for them.
 */
export function encodeMsgBody(room: string, from: string, text: string, id?: string | number, action = false): string {
  const body = `${BODY_START}${room}${FROM_KEY}${from}","text":${JSON.stringify(text)}${action ? ACTION_FIELD : ''}`;
  return id === undefined ? body : `${body},"id":${JSON.stringify(id)}`;
}

const ACTION_FIELD = ',"action":true';

/**
 * What history keeps in place of a deleted message: a line of the same shape, room, sender,
 * seq and time, with no text and `"deleted":true`, so a reader paging by seq sees no gap
 * and every reader of msg lines (readMsgLine, the load generator) reads it as it is.
 */
export function encodeTombstoneLine(room: string, from: string, seq: number, ts: number): Buffer {
  return finishMsgLine(`${BODY_START}${room}${FROM_KEY}${from}","text":"","deleted":true`, seq, ts);
}

const TOMBSTONE_MARK = Buffer.from('"text":"","deleted":true');

/** Whether a message line is a tombstone (the mark cannot occur inside a JSON string: its quotes would be escaped). */
export function isTombstoneLine(line: Buffer): boolean {
  return line.includes(TOMBSTONE_MARK);
}

/** The ts of a message line (with or without its newline), or -1. */
export function readMsgTs(line: Buffer): number {
  let i = line.length - 1;
  if (line[i] === 0x0a) i--;
  if (line[i] !== 0x7d /* } */) return -1;
  const end = i;
  i--;
  while (i > 0 && isDigit(line[i]!)) i--;
  if (i === end - 1 || !bytesAt(line, i - TS_KEY.length + 1, TS_KEY)) return -1;
  return Number(line.toString('latin1', i + 1, end));
}

/** The sender named by a body or line in `bytes[start, end)`; undefined if it is not one. */
export function readMsgFrom(bytes: Buffer, start: number, end: number): string | undefined {
  const room = readMsgRoom(bytes, start, end);
  if (room === undefined) return undefined;
  const fromStart = start + BODY_START_LENGTH + room.length + FROM_KEY_LENGTH;
  if (!bytesAt(bytes, fromStart - FROM_KEY_LENGTH, FROM_KEY_BYTES)) return undefined;
  const fromEnd = bytes.indexOf(QUOTE, fromStart);
  return fromEnd < 0 || fromEnd >= end ? undefined : bytes.toString('latin1', fromStart, fromEnd);
}

/**
 * The sequencer appends `,"seq":S,"ts":T}` and the line's newline to every body, thousands of
 * times per ms, so the tail is written as bytes straight into the line's memory: building it
 * as a string and writing that with Buffer.write took ~400 ns here, these byte stores ~100
 * (bench: `npm run bench -- --only primary`). `,"ts":T}\n` is made once per ms.
 */
const SEQ_TAIL = Buffer.from(',"seq":');
let lastTs = -1;
let lastTsTail = Buffer.alloc(0);

function tsTail(ts: number): Buffer {
  if (ts !== lastTs) {
    lastTs = ts;
    lastTsTail = Buffer.from(`,"ts":${ts}}\n`, 'latin1');
  }
  return lastTsTail;
}

/** Decimal digits of a non-negative integer (a seq: at most 2^53). */
function digitCount(n: number): number {
  let count = 1;
  for (let bound = 10; bound <= n; bound *= 10) count++;
  return count;
}

/** Bytes of the tail writeMsgTail writes for `seq` and `ts`. */
export function msgTailLength(seq: number, ts: number): number {
  return SEQ_TAIL.length + digitCount(seq) + tsTail(ts).length;
}

/** Writes the tail of message `seq` at `ts` into `buf` at `at` (msgTailLength bytes); returns where it ends. */
export function writeMsgTail(buf: Buffer, at: number, seq: number, ts: number): number {
  for (let i = 0; i < SEQ_TAIL.length; i++) buf[at++] = SEQ_TAIL[i]!;
  const end = at + digitCount(seq);
  for (let i = end - 1, n = seq; i >= at; i--) {
    const digit = n % 10; // exact for any safe integer (q * 10 may round near 2^53)
    buf[i] = 0x30 + digit;
    n = (n - digit) / 10;
  }
  at = end;
  const tail = tsTail(ts);
  for (let i = 0; i < tail.length; i++) buf[at++] = tail[i]!;
  return at;
}

/** The whole line of a message, for a body encoded here (a sequencer that keeps lines writes them into its own memory). */
export function finishMsgLine(body: string, seq: number, ts: number): Buffer {
  const bodyBytes = Buffer.byteLength(body);
  const line = Buffer.allocUnsafe(bodyBytes + msgTailLength(seq, ts));
  line.write(body, 0);
  writeMsgTail(line, bodyBytes, seq, ts);
  return line;
}

/** The room named by a body or line in `bytes[start, end)`; undefined if it is not one. */
export function readMsgRoom(bytes: Buffer, start: number, end: number): string | undefined {
  const roomStart = start + BODY_START_LENGTH;
  const roomEnd = bytes.indexOf(QUOTE, roomStart);
  if (roomEnd < 0 || roomEnd >= end || !bytesAt(bytes, start, BODY_START_BYTES)) return undefined;
  return bytes.toString('latin1', roomStart, roomEnd);
}

/** What a process needs of a message line to fan it out: its room, its sender, its seq. */
export interface MsgLineHead {
  room: string;
  from: string;
  seq: number;
}

/**
 * Reads room, from and seq from a message line (with or without its newline) by position.
 * Undefined when the bytes are not a message line of this shape; the seq is searched for
 * when it is not in the tail (lines stored by loopchat before 2026-12 ended with the id).
 */
export function readMsgLine(line: Buffer): MsgLineHead | undefined {
  const end = line.length;
  const room = readMsgRoom(line, 0, end);
  if (room === undefined) return undefined;
  const fromStart = BODY_START_LENGTH + room.length + FROM_KEY_LENGTH;
  if (!bytesAt(line, fromStart - FROM_KEY_LENGTH, FROM_KEY_BYTES)) return undefined;
  const fromEnd = line.indexOf(QUOTE, fromStart);
  if (fromEnd < 0) return undefined;
  const seq = readMsgSeq(line);
  if (seq < 0) return undefined;
  return { room, from: line.toString('latin1', fromStart, fromEnd), seq };
}

/** The seq of a message line, or -1. */
export function readMsgSeq(line: Buffer): number {
  // The tail: `"seq":S,"ts":T}` then an optional newline, read backwards.
  let i = line.length - 1;
  if (line[i] === 0x0a) i--;
  if (line[i] !== 0x7d /* } */) return -1;
  i--;
  while (i > 0 && isDigit(line[i]!)) i--;
  // i is at the ':' of "ts":
  if (bytesAt(line, i - TS_KEY.length + 1, TS_KEY)) {
    const seqEnd = i - TS_KEY.length + 1;
    let j = seqEnd - 1;
    let seq = 0;
    let scale = 1;
    while (j > 0 && isDigit(line[j]!)) {
      seq += (line[j]! - 0x30) * scale;
      scale *= 10;
      j--;
    }
    if (j < seqEnd - 1 && bytesAt(line, j - SEQ_KEY.length + 1, SEQ_KEY)) return seq;
  }
  // Another field order: `"seq":` cannot occur inside a JSON string (its quotes would be escaped).
  const at = line.lastIndexOf(SEQ_KEY);
  if (at < 0) return -1;
  let seq = 0;
  let k = at + SEQ_KEY.length;
  const first = k;
  for (; k < line.length && isDigit(line[k]!); k++) seq = seq * 10 + (line[k]! - 0x30);
  return k === first ? -1 : seq;
}

/** Whether `bytes` holds `needle` at `at`. */
function bytesAt(bytes: Buffer, at: number, needle: Buffer): boolean {
  return (
    at >= 0 && at + needle.length <= bytes.length && bytes.compare(needle, 0, needle.length, at, at + needle.length) === 0
  );
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/**
 * A `history` answer around message lines as they were stored: their bytes are embedded,
 * never parsed and re-encoded. `lines` end in a newline (dropped here). `epoch`: the
 * history epoch (a server-made id: no escaping needed, but JSON-encoded all the same).
 */
export function encodeHistoryLine(room: string, lines: readonly Buffer[], id?: string | number, epoch?: string): Buffer {
  const epochField = epoch === undefined || epoch === '' ? '' : `"epoch":${JSON.stringify(epoch)},`;
  const head = Buffer.from(`{"type":"history","room":"${room}",${epochField}"messages":[`);
  const tail = Buffer.from(id === undefined ? ']}\n' : `],"id":${JSON.stringify(id)}}\n`);
  const parts: Buffer[] = [head];
  let length = head.length + tail.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const json = line[line.length - 1] === 0x0a ? line.subarray(0, line.length - 1) : line;
    if (i > 0) {
      parts.push(COMMA);
      length++;
    }
    parts.push(json);
    length += json.length;
  }
  parts.push(tail);
  return Buffer.concat(parts, length);
}

const COMMA = Buffer.from(',');
