import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeHistoryLine,
  encodeMsgBody,
  encodeTombstoneLine,
  finishMsgLine,
  msgTailLength,
  readMsgFrom,
  readMsgLine,
  readMsgRoom,
  readMsgSeq,
  readMsgTs,
  writeMsgTail,
} from '../src/index.js';

const nick = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,23}$/);
const room = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,31}$/);
const id = fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.nat()), { nil: undefined });

describe('message lines', () => {
  it('are the JSON of the message, seq and ts last, one line', () => {
    const line = finishMsgLine(encodeMsgBody('general', 'ann', 'hi "you"\n', 7), 12, 1764860000000);
    expect(line.toString()).toBe(
      '{"type":"msg","room":"general","from":"ann","text":"hi \\"you\\"\\n","id":7,"seq":12,"ts":1764860000000}\n',
    );
  });

  it('get a tail written as bytes that reads as the decimal seq and ts, at any offset', () => {
    const seqs = fc.oneof(
      fc.constantFrom(0, 1, 9, 10, 99, 100, 999_999, 1_000_000, Number.MAX_SAFE_INTEGER),
      fc.maxSafeNat(),
    );
    fc.assert(
      fc.property(seqs, fc.maxSafeNat(), fc.nat(64), (seq, ts, offset) => {
        const expected = `,"seq":${seq},"ts":${ts}}\n`;
        expect(msgTailLength(seq, ts)).toBe(expected.length);
        const buf = Buffer.alloc(offset + expected.length + 4, 0x2a);
        expect(writeMsgTail(buf, offset, seq, ts)).toBe(offset + expected.length);
        expect(buf.toString('latin1')).toBe('*'.repeat(offset) + expected + '****');
      }),
    );
  });

  it('parse back to the message for any room, nick, text and id', () => {
    fc.assert(
      fc.property(room, nick, fc.string({ unit: 'grapheme', maxLength: 200 }), id, fc.nat(), (r, n, text, i, seq) => {
        const line = finishMsgLine(encodeMsgBody(r, n, text, i), seq, 1764860000000);
        expect(line[line.length - 1]).toBe(0x0a);
        const parsed = JSON.parse(line.toString()) as Record<string, unknown>;
        expect(parsed).toEqual({
          type: 'msg',
          room: r,
          from: n,
          text,
          seq,
          ts: 1764860000000,
          ...(i === undefined ? {} : { id: i }),
        });
        expect(readMsgLine(line)).toEqual({ room: r, from: n, seq });
      }),
    );
  });

  it('name their room by position, within the given range', () => {
    const body = encodeMsgBody('r1', 'bob', 'héllo ✓', 'x');
    const framed = Buffer.concat([Buffer.from('xx'), Buffer.from(body), Buffer.from('yy')]);
    expect(readMsgRoom(framed, 2, framed.length - 2)).toBe('r1');
    expect(readMsgRoom(framed, 0, framed.length)).toBeUndefined();
  });

  it('give their seq from lines of the older layout (id last, no newline)', () => {
    expect(readMsgSeq(Buffer.from('{"type":"msg","room":"r","from":"a","text":"t","seq":41,"ts":5,"id":"k"}'))).toBe(41);
    expect(readMsgSeq(Buffer.from('{"type":"msg","room":"r","from":"a","text":"\\"seq\\":9","seq":3,"ts":5}'))).toBe(3);
  });

  it('are refused when they are something else', () => {
    expect(readMsgLine(Buffer.from('{"type":"presence","room":"r","nick":"a","event":"join"}\n'))).toBeUndefined();
    expect(readMsgLine(Buffer.from('{"type":"msg","room":"r","text":"t","seq":1,"ts":2}'))).toBeUndefined();
    expect(readMsgLine(Buffer.from('{"type":"msg","room":"r","from":"a","text":"t"}'))).toBeUndefined();
    expect(readMsgSeq(Buffer.from('{}'))).toBe(-1);
  });

  it('embed unchanged in a history answer', () => {
    const a = finishMsgLine(encodeMsgBody('r', 'a', 'one'), 1, 10);
    const b = finishMsgLine(encodeMsgBody('r', 'b', 'two', 3), 2, 11);
    const history = encodeHistoryLine('r', [a, b], 'h1');
    expect(history.toString()).toBe(
      `{"type":"history","room":"r","messages":[${a.toString().trimEnd()},${b.toString().trimEnd()}],"id":"h1"}\n`,
    );
    expect(JSON.parse(encodeHistoryLine('r', []).toString())).toEqual({ type: 'history', room: 'r', messages: [] });
  });

  it('carry the history epoch in a history answer when one is given', () => {
    const a = finishMsgLine(encodeMsgBody('r', 'a', 'one'), 1, 10);
    expect(JSON.parse(encodeHistoryLine('r', [a], 7, 'e-1').toString())).toEqual({
      type: 'history',
      room: 'r',
      epoch: 'e-1',
      messages: [{ type: 'msg', room: 'r', from: 'a', text: 'one', seq: 1, ts: 10 }],
      id: 7,
    });
  });

  it('carry a /me flag inside the body, so room, from, seq and ts stay where readers look', () => {
    const line = finishMsgLine(encodeMsgBody('general', 'ann', 'waves', 7, true), 12, 1764860000000);
    expect(line.toString()).toBe(
      '{"type":"msg","room":"general","from":"ann","text":"waves","action":true,"id":7,"seq":12,"ts":1764860000000}\n',
    );
    expect(readMsgLine(line)).toEqual({ room: 'general', from: 'ann', seq: 12 });
    expect(readMsgTs(line)).toBe(1764860000000);
  });

  it('become a tombstone of the same room, sender, seq and ts when deleted', () => {
    const tomb = encodeTombstoneLine('general', 'ann', 12, 1764860000000);
    expect(JSON.parse(tomb.toString())).toEqual({
      type: 'msg',
      room: 'general',
      from: 'ann',
      text: '',
      deleted: true,
      seq: 12,
      ts: 1764860000000,
    });
    expect(readMsgLine(tomb)).toEqual({ room: 'general', from: 'ann', seq: 12 });
  });

  it('name their sender from the body alone, within the given range', () => {
    const body = Buffer.from(encodeMsgBody('r1', 'bob', 'x', 1));
    expect(readMsgFrom(body, 0, body.length)).toBe('bob');
    expect(readMsgFrom(body, 0, 12)).toBeUndefined();
    expect(readMsgTs(Buffer.from('{"ts":}'))).toBe(-1);
  });
});
