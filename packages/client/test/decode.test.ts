import { describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../src/decode.js';
import { encodeClientFrame } from '../src/encode.js';

describe('decodeServerFrame', () => {
  it('returns the frame a JSON object line holds', () => {
    expect(decodeServerFrame('{"type":"ack","id":"c1","seq":3,"ts":1}')).toEqual({ type: 'ack', id: 'c1', seq: 3, ts: 1 });
  });

  it('returns undefined for text that is not a JSON object, rather than throwing', () => {
    for (const text of ['* welcome to loopchat', '{"type":', '', '42', 'null', '"msg"', '[{"type":"msg"}]'])
      expect(decodeServerFrame(text), text).toBeUndefined();
  });

  it('reads back what encodeClientFrame wrote', () => {
    const frame = { type: 'msg', room: 'général', text: 'line\nbreak "quoted" 🎉', id: 'c7' } as const;
    expect(decodeServerFrame(encodeClientFrame(frame))).toEqual(frame);
  });
});
