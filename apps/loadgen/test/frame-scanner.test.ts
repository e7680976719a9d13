import { describe, expect, it } from 'vitest';
import { TEXT_GREETING } from '@loopchat/protocol';
import {
  FRAME_ACK,
  FRAME_ERROR,
  FRAME_MSG,
  FRAME_OTHER,
  FRAME_PING,
  FRAME_STEP,
  newParsedFrame,
} from '../src/drivers/driver.js';
import { parseLoopchatFrame } from '../src/drivers/loopchat.js';
import { parseSocketIoPacket } from '../src/drivers/socketio.js';
import { LineScanner, readTailInts } from '../src/engine/frame-scanner.js';

const MSG =
  '{"type":"msg","room":"lgab-r3","from":"u1","text":"a \\"seq\\":9 \\"id\\":7 text","seq":42,"ts":1795572776763,"id":123456}';

function parse(line: string, fn = parseLoopchatFrame) {
  const f = newParsedFrame();
  const buf = Buffer.from(line);
  fn(buf, 0, buf.length, f);
  return f;
}

describe('line scanner', () => {
  it('finds the same frames whatever byte boundaries the stream is split at', () => {
    const stream = Buffer.from(`${MSG}\n{"type":"ack","id":5,"seq":1,"ts":1}\r\n${MSG}\n`);
    for (let a = 0; a <= stream.length; a++) {
      for (const b of [a, Math.min(stream.length, a + 7), stream.length]) {
        const scanner = new LineScanner();
        const frames: string[] = [];
        const sink = (out: string[], buf: Buffer, s: number, e: number): void => void out.push(buf.toString('utf8', s, e));
        for (const part of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)])
          scanner.push(part, frames, sink);
        expect(frames).toEqual([MSG, '{"type":"ack","id":5,"seq":1,"ts":1}', MSG]);
        expect(scanner.pending).toBe(0);
      }
    }
  });
});

describe('field reading without JSON.parse', () => {
  it('reads seq and id from a loopchat msg, not from look-alikes inside the text', () => {
    expect(parse(MSG)).toMatchObject({ kind: FRAME_MSG, seq: 42, id: 123456 });
  });

  it('falls back to searching when the numbers are not at the tail', () => {
    expect(parse('{"type":"msg","seq":3,"id":77,"room":"r1","text":"x"}')).toMatchObject({
      kind: FRAME_MSG,
      seq: 3,
      id: 77,
    });
    const tail = { seq: 0, id: 0 };
    const b = Buffer.from('{"a":"x","id":"s1"}');
    readTailInts(b, 0, b.length - 1, tail);
    expect(tail).toEqual({ seq: -1, id: -1 });
  });

  it('tells acks, errors and pings apart', () => {
    expect(parse('{"type":"ack","id":0,"seq":12,"ts":1}')).toMatchObject({ kind: FRAME_ACK, id: 0, seq: 12 });
    expect(parse('{"type":"error","code":"rate_limited","message":"slow down","id":99}')).toMatchObject({
      kind: FRAME_ERROR,
      code: 'rate_limited',
      id: 99,
    });
    expect(parse('{"type":"ping"}').kind).toBe(FRAME_PING);
  });

  it('skips the server greeting: lines that are not JSON frames are neither msgs nor errors', () => {
    for (const line of TEXT_GREETING.split('\n')) expect(parse(line).kind, line).toBe(FRAME_OTHER);
    // Whatever its 10th byte: a text line shaped to look like one is still not a frame.
    expect(parse('* xxxxxxxmsg "seq":5').kind).toBe(FRAME_OTHER);
    expect(parse('* xxxxxxxerror').kind).toBe(FRAME_OTHER);
  });

  it('reads Socket.IO packets', () => {
    const io = (s: string) => parse(s, parseSocketIoPacket);
    expect(io('2').kind).toBe(FRAME_PING);
    expect(io('40{"sid":"abc"}').kind).toBe(FRAME_STEP);
    expect(io('42["joined",{"room":"r1","seq":4}]')).toMatchObject({ kind: FRAME_ACK, id: 0, seq: 4 });
    expect(io('42["joined",{"room":"r1"}]')).toMatchObject({ kind: FRAME_ACK, id: 0, seq: 0 });
    expect(io('42["ack",{"id":123,"seq":9}]')).toMatchObject({ kind: FRAME_ACK, id: 123, seq: 9 });
    expect(io('42["msg",{"room":"r1","from":"a","text":"hi","id":55,"seq":6,"ts":1}]')).toMatchObject({
      kind: FRAME_MSG,
      seq: 6,
      id: 55,
    });
    expect(io('42["error",{"code":"not_in_room","message":"x"}]')).toMatchObject({ kind: FRAME_ERROR, code: 'not_in_room' });
  });
});
