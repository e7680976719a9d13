/**
 * The data plane's framing: records written by RecordWriter come back from RecordReader
 * field for field, however the stream is cut into chunks.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_RECORD_BYTES,
  Rec,
  RecordReader,
  RecordWriter,
  type RecordFields,
  type RecordSink,
} from '../../src/cluster/records.js';

type Seen = { type: number; room: string; nick: string; n: number; text: string; rest: string };

class Collect implements RecordSink {
  readonly seen: Seen[] = [];
  corrupt: string | undefined;
  onRecord(type: number, f: RecordFields): void {
    const room = f.name();
    const nick = f.name();
    const n = f.f64();
    const text = f.text();
    this.seen.push({ type, room, nick, n, text, rest: f.view(f.end - f.at).toString() });
  }
  onCorrupt(reason: string): void {
    this.corrupt = reason;
  }
}

/** A socket stand-in that keeps what was written (and took it all at once). */
function sink() {
  const chunks: Buffer[] = [];
  return { chunks, writableLength: 0, write: (b: Buffer) => (chunks.push(Buffer.from(b)), true) };
}

function records(): { bytes: Buffer; expected: Seen[] } {
  const writer = new RecordWriter();
  const expected: Seen[] = [
    { type: Rec.Pub, room: 'general', nick: 'ann', n: 7, text: 'héllo ✓', rest: '{"type":"msg"}' },
    { type: Rec.Join, room: 'r', nick: 'b', n: -1, text: '', rest: '' },
    { type: Rec.Msg, room: 'x'.repeat(32), nick: 'y'.repeat(24), n: 2 ** 40, text: 'z'.repeat(300), rest: 'tail' },
  ];
  for (const e of expected)
    writer
      .begin(e.type as never)
      .name(e.room)
      .name(e.nick)
      .f64(e.n)
      .text(e.text)
      .restText(e.rest)
      .end();
  const out = sink();
  writer.writeTo(out);
  return { bytes: Buffer.concat(out.chunks), expected };
}

describe('RecordWriter and RecordReader', () => {
  it('round-trip every field of several records in one chunk', () => {
    const { bytes, expected } = records();
    const collect = new Collect();
    new RecordReader().push(bytes, collect);
    expect(collect.seen).toEqual(expected);
  });

  it('read the same records wherever the stream is cut (every split into two and three chunks)', () => {
    const { bytes, expected } = records();
    for (let a = 0; a <= bytes.length; a++) {
      const collect = new Collect();
      const reader = new RecordReader();
      reader.push(bytes.subarray(0, a), collect);
      reader.push(bytes.subarray(a), collect);
      expect(collect.seen, `split at ${a}`).toEqual(expected);
    }
    for (let a = 1; a < bytes.length; a += 7) {
      for (let b = a; b < bytes.length; b += 5) {
        const collect = new Collect();
        const reader = new RecordReader();
        for (const chunk of [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]) reader.push(chunk, collect);
        expect(collect.seen, `split at ${a}, ${b}`).toEqual(expected);
      }
    }
  });

  it('read one byte at a time', () => {
    const { bytes, expected } = records();
    const collect = new Collect();
    const reader = new RecordReader();
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1), collect);
    expect(collect.seen).toEqual(expected);
  });

  it('reuse the writer buffer when the socket took the whole write, and alternate two while it cannot', () => {
    const writer = new RecordWriter();
    // What each write handed over: its memory, and its bytes then (the kernel copies them).
    const taken: { buffer: ArrayBufferLike; text: string }[] = [];
    const socket = {
      writableLength: 0,
      write: (b: Buffer) => (taken.push({ buffer: b.buffer, text: b.toString('latin1', 6) }), true),
    };
    const send = (name: string, pending: number): void => {
      writer.begin(Rec.Claim).name(name).end();
      socket.writableLength = pending; // what the socket still holds after this write (7 bytes each)
      writer.writeTo(socket);
    };
    send('a', 0); // taken at once
    send('b', 7); // held: the next records go to another buffer
    send('c', 7); // only c is pending, so b's buffer is free again
    send('d', 7);
    send('e', 100); // d and e both held: a third buffer
    send('f', 0);
    const buffers = taken.map((b) => b.buffer);
    expect(buffers[1]).toBe(buffers[0]);
    expect(buffers[2]).not.toBe(buffers[1]);
    expect(buffers[3]).toBe(buffers[1]);
    expect(buffers[4]).toBe(buffers[2]);
    expect(buffers[5]).not.toBe(buffers[3]);
    expect(buffers[5]).not.toBe(buffers[4]);
    expect(taken.map((t) => t.text)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('grow past their first buffer for a large record', () => {
    const writer = new RecordWriter();
    const out = sink();
    const big = 'w'.repeat(100_000);
    writer.begin(Rec.Members).name('r').name('n').f64(1).text(big).end();
    writer.writeTo(out);
    const collect = new Collect();
    new RecordReader().push(Buffer.concat(out.chunks), collect);
    expect(collect.seen[0]?.text).toBe(big);
  });

  it('report a length outside the bounds as corrupt, and read nothing more', () => {
    const collect = new Collect();
    const reader = new RecordReader();
    const bad = Buffer.alloc(8);
    bad.writeUInt32BE(MAX_RECORD_BYTES + 1, 0);
    reader.push(bad, collect);
    expect(collect.corrupt).toMatch(/record length/);
    reader.push(records().bytes, collect);
    expect(collect.seen).toEqual([]);
    const zero = new Collect();
    new RecordReader().push(Buffer.alloc(4), zero);
    expect(zero.corrupt).toBeDefined();
  });
});
