import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, LineDecoder } from '../src/index.js';
import {
  TOO_LONG,
  RecordingSink,
  cutAt,
  decodeChunks,
  everySplit,
  hex,
  line,
  type DecoderEvent,
} from './helpers.js';

/** Asserts that `input` yields `expected` however it is chunked. */
function expectEverySplit(input: Buffer, expected: DecoderEvent[], maxLineBytes?: number): void {
  for (const [label, chunks] of everySplit(input)) {
    expect(decodeChunks(chunks, maxLineBytes).events, label).toEqual(expected);
  }
}

describe('LineDecoder framing', () => {
  it('emits one line per newline wherever the chunks split', () => {
    // "hello\nworld\n"
    expectEverySplit(hex('68656c6c6f 0a 776f726c64 0a'), [line('hello'), line('world')]);
  });

  it('emits several lines from a single chunk in order', () => {
    const sink = decodeChunks([Buffer.from('a\nbb\nccc\n')]);
    expect(sink.events).toEqual([line('a'), line('bb'), line('ccc')]);
  });

  it('drops the \\r of a \\r\\n terminator wherever the chunks split', () => {
    // "hi\r\nyo\r\n"
    expectEverySplit(hex('6869 0d0a 796f 0d0a'), [line('hi'), line('yo')]);
  });

  it('accepts \\n and \\r\\n terminators mixed in one stream', () => {
    expectEverySplit(Buffer.from('one\r\ntwo\nthree\r\n'), [line('one'), line('two'), line('three')]);
  });

  it('keeps a \\r that is not directly before the \\n', () => {
    expectEverySplit(Buffer.from('a\rb\nc\r\r\n'), [line('a\rb'), line('c\r')]);
  });

  it('emits empty lines for consecutive terminators', () => {
    expectEverySplit(hex('0a 0a 0d0a 0a'), [line(''), line(''), line(''), line('')]);
  });

  it('holds an unterminated tail until its newline arrives', () => {
    const decoder = new LineDecoder();
    const sink = new RecordingSink();
    decoder.push(Buffer.from('abc'), sink);
    expect(sink.events).toEqual([]);
    expect(decoder.bufferedBytes).toBe(3);
    decoder.push(Buffer.from('\n'), sink);
    expect(sink.events).toEqual([line('abc')]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('ignores empty chunks', () => {
    const sink = decodeChunks([Buffer.alloc(0), Buffer.from('ab'), Buffer.alloc(0), Buffer.from('\n'), Buffer.alloc(0)]);
    expect(sink.events).toEqual([line('ab')]);
  });

  it('copies a held tail, so the caller may reuse its read buffer', () => {
    const decoder = new LineDecoder();
    const sink = new RecordingSink();
    const readBuffer = Buffer.from('abc');
    decoder.push(readBuffer, sink);
    readBuffer.fill(0x7a); // the socket reuses its buffer for the next read
    decoder.push(Buffer.from('\n'), sink);
    expect(sink.lines).toEqual(['abc']);
  });
});

describe('LineDecoder UTF-8', () => {
  it('decodes a 3-byte character split across chunks', () => {
    // "€" = e2 82 ac, twice, then "\n"
    expectEverySplit(hex('e282ac e282ac 0a'), [line('€€')]);
  });

  it('decodes a 4-byte character (emoji) split across chunks', () => {
    // "a😀b\n": 😀 = f0 9f 98 80
    expectEverySplit(hex('61 f09f9880 62 0a'), [line('a😀b')]);
  });

  it('decodes 2-, 3- and 4-byte characters across many lines split anywhere', () => {
    // "é\n€\r\n😀\n" ; é = c3 a9
    expectEverySplit(hex('c3a9 0a e282ac 0d0a f09f9880 0a'), [line('é'), line('€'), line('😀')]);
  });

  it('decodes an invalid byte (0xff) to U+FFFD without throwing', () => {
    expectEverySplit(hex('61 ff 62 0a'), [line('a\uFFFDb')]);
  });

  it('decodes a truncated multi-byte sequence to U+FFFD and does not swallow the next line', () => {
    // "€" missing its last byte, then newline, then "A\n"
    expectEverySplit(hex('e282 0a 41 0a'), [line('\uFFFD'), line('A')]);
    // 4-byte sequence cut after two bytes
    expectEverySplit(hex('f09f 0a 42 0a'), [line('\uFFFD'), line('B')]);
  });

  it('decodes a lone continuation byte, an overlong encoding and an encoded surrogate to U+FFFD', () => {
    expectEverySplit(hex('80 0a'), [line('\uFFFD')]);
    // overlong "/" (c0 af): each byte is invalid on its own
    expectEverySplit(hex('c0af 0a'), [line('\uFFFD\uFFFD')]);
    // UTF-16 surrogate D800 encoded as UTF-8 (ed a0 80) is not valid UTF-8
    expectEverySplit(hex('eda080 0a'), [line('\uFFFD\uFFFD\uFFFD')]);
  });
});

describe('LineDecoder maximum line length', () => {
  const MAX = 8;

  it('accepts a line of exactly maxLineBytes', () => {
    expectEverySplit(Buffer.from('abcdefgh\nok\n'), [line('abcdefgh'), line('ok')], MAX);
  });

  it('reports a line of maxLineBytes + 1 exactly once and emits nothing for it', () => {
    expectEverySplit(Buffer.from('abcdefghi\n'), [TOO_LONG], MAX);
  });

  it('does not count the \\r of \\r\\n against the limit', () => {
    expectEverySplit(Buffer.from('abcdefgh\r\n'), [line('abcdefgh')], MAX);
    expectEverySplit(Buffer.from('abcdefghi\r\n'), [TOO_LONG], MAX);
  });

  it('counts the limit in bytes, not characters', () => {
    // "€€" is 6 bytes: fits 6; "€€a" is 7 bytes: does not
    expectEverySplit(Buffer.from('€€\n'), [line('€€')], 6);
    expectEverySplit(Buffer.from('€€a\n'), [TOO_LONG], 6);
  });

  it('discards the rest of an overlong line and resumes at the next newline', () => {
    expectEverySplit(Buffer.from('before\nabcdefghijklmnopqrstuvwxyz\nafter\n'), [line('before'), TOO_LONG, line('after')], MAX);
  });

  it('reports each overlong line separately', () => {
    expectEverySplit(Buffer.from('0123456789\nok\n0123456789abc\r\n\n'), [TOO_LONG, line('ok'), TOO_LONG, line('')], MAX);
  });

  it('works with the smallest limit, 1 byte', () => {
    expectEverySplit(Buffer.from('a\r\n\nab\nb\n'), [line('a'), line(''), TOO_LONG, line('b')], 1);
  });

  it('defaults to DEFAULT_MAX_LINE_BYTES', () => {
    expect(new LineDecoder().maxLineBytes).toBe(DEFAULT_MAX_LINE_BYTES);
    const exact = Buffer.from(`${'x'.repeat(DEFAULT_MAX_LINE_BYTES)}\n`);
    const over = Buffer.from(`${'x'.repeat(DEFAULT_MAX_LINE_BYTES + 1)}\n`);
    for (const at of [0, 1, 4096, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_LINE_BYTES + 1]) {
      expect(decodeChunks(cutAt(exact, [at])).lines, `exact, cut at ${at}`).toEqual(['x'.repeat(DEFAULT_MAX_LINE_BYTES)]);
      expect(decodeChunks(cutAt(over, [at])).events, `over, cut at ${at}`).toEqual([TOO_LONG]);
    }
  });

  it('never buffers more than maxLineBytes + 1 bytes, even one byte at a time', () => {
    const decoder = new LineDecoder(MAX);
    const sink = new RecordingSink();
    let most = 0;
    for (const byte of Buffer.from(`${'y'.repeat(100)}\nz\n`)) {
      decoder.push(Buffer.from([byte]), sink);
      most = Math.max(most, decoder.bufferedBytes);
    }
    expect(most).toBeLessThanOrEqual(MAX + 1);
    expect(sink.events).toEqual([TOO_LONG, line('z')]);
  });

  it('keeps its buffer bounded while fed 10 MB without a newline in 64 KiB chunks', () => {
    const decoder = new LineDecoder();
    const sink = new RecordingSink();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let most = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      decoder.push(chunk, sink);
      most = Math.max(most, decoder.bufferedBytes);
    }
    expect(most).toBeLessThanOrEqual(DEFAULT_MAX_LINE_BYTES + 1);
    expect(decoder.bufferedBytes).toBe(0);
    expect(sink.events).toEqual([TOO_LONG]);
    decoder.push(Buffer.from('still discarding\nhello\n'), sink);
    expect(sink.events).toEqual([TOO_LONG, line('hello')]);
  });
});

describe('LineDecoder close()', () => {
  it('stops further lines in the same chunk when called from onLine', () => {
    const decoder = new LineDecoder();
    const sink = new RecordingSink(() => decoder.close());
    decoder.push(Buffer.from('first\nsecond\nthird\n'), sink);
    expect(sink.events).toEqual([line('first')]);
    decoder.push(Buffer.from('fourth\n'), sink);
    expect(sink.events).toEqual([line('first')]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('stops further lines when called from onLineTooLong, whichever path detected the overflow', () => {
    for (const [label, chunks] of everySplit(Buffer.from('0123456789\nafter\n'))) {
      const decoder = new LineDecoder(4);
      const sink = new RecordingSink(() => decoder.close());
      for (const chunk of chunks) decoder.push(chunk, sink);
      expect(sink.events, label).toEqual([TOO_LONG]);
    }
  });

  it('drops a held partial line and ignores later chunks', () => {
    const decoder = new LineDecoder();
    const sink = new RecordingSink();
    decoder.push(Buffer.from('partial'), sink);
    decoder.close();
    expect(decoder.bufferedBytes).toBe(0);
    decoder.push(Buffer.from(' line\nnext\n'), sink);
    expect(sink.events).toEqual([]);
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe('LineDecoder constructor', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects maxLineBytes = %s with a RangeError', (max) => {
    expect(() => new LineDecoder(max)).toThrow(RangeError);
  });

  it('accepts any positive integer', () => {
    expect(new LineDecoder(1).maxLineBytes).toBe(1);
    expect(new LineDecoder(1 << 20).maxLineBytes).toBe(1 << 20);
  });
});
