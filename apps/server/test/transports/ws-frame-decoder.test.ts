/**
 * WsFrameDecoder (transports/ws-frame-decoder.ts): client frames as RFC 6455 §5 defines
 * them, split anywhere, and every way a client can break the protocol with the close code
 * it earns.
 */
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/transports/ws-opcodes.js';
import { WS_PROTOCOL_ERRORS, WsFrameDecoder, type WsProtocolError } from '../../src/transports/ws-frame-decoder.js';

const { TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG } = Opcode;

class RecordingDecoder extends WsFrameDecoder {
  readonly heard: string[] = [];
  protected onText(payload: Buffer): void {
    this.heard.push(`text ${payload.toString('utf8')}`);
  }
  protected onBinary(): void {
    this.heard.push('binary');
  }
  protected onPing(payload: Buffer): void {
    this.heard.push(`ping ${payload.toString('utf8')}`);
  }
  protected onPong(): void {
    this.heard.push('pong');
  }
  protected onPeerClose(code: number | undefined): void {
    this.heard.push(`close ${code}`);
  }
  protected onProtocolError(error: WsProtocolError): void {
    this.heard.push(`${error} ${WS_PROTOCOL_ERRORS[error]}`);
  }
}

interface FrameOptions {
  fin?: boolean;
  masked?: boolean;
  /** The first byte's RSV bits (0x40, 0x20, 0x10). */
  rsv?: number;
  /** The length field as sent, when it is not the payload's own (a header alone). */
  length?: number;
}

/** A client frame: masked with a fixed non-zero key unless told otherwise. */
function frame(opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const { fin = true, masked = true, rsv = 0 } = options;
  const length = options.length ?? data.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes);
  header[0] = (fin ? 0x80 : 0) | rsv | opcode;
  header[1] = (masked ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!masked) return Buffer.concat([header, data]);
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const body = Buffer.from(data.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([header, key, body]);
}

function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return Buffer.concat([payload, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

/** Feeds `chunks` (copied: the decoder unmasks in place) and returns what it heard. */
function decode(chunks: Buffer[], maxPayload = 1024): string[] {
  const decoder = new RecordingDecoder(maxPayload);
  for (const chunk of chunks) decoder.push(Buffer.from(chunk));
  return decoder.heard;
}

describe('WsFrameDecoder', () => {
  const conversation = Buffer.concat([
    frame(TEXT, '{"type":"hello"}'),
    frame(TEXT, 'frag', { fin: false }),
    frame(PING, 'are you there'),
    frame(CONTINUATION, 'men', { fin: false }),
    frame(PONG, ''),
    frame(CONTINUATION, 'ted'),
    frame(BINARY, Buffer.from([0, 1, 2])),
    frame(TEXT, 'x'.repeat(300)),
    frame(TEXT, ''),
    frame(CLOSE, closePayload(1000, 'bye')),
  ]);
  const heard = [
    'text {"type":"hello"}',
    'ping are you there',
    'pong',
    'text fragmented',
    'binary',
    `text ${'x'.repeat(300)}`,
    'text ',
    'close 1000',
  ];

  it('decodes many frames in one chunk, control frames between the fragments of a message', () => {
    expect(decode([conversation])).toEqual(heard);
  });

  it('decodes the same whatever byte the input is split at', () => {
    for (let at = 0; at <= conversation.length; at++) {
      expect(decode([conversation.subarray(0, at), conversation.subarray(at)]), `split at ${at}`).toEqual(heard);
    }
  });

  it('decodes the same fed one byte at a time', () => {
    const bytes = [...conversation].map((byte) => Buffer.from([byte]));
    expect(decode(bytes)).toEqual(heard);
  });

  it('reads 16-bit and 64-bit payload lengths', () => {
    const long = 'y'.repeat(70_000);
    expect(decode([frame(TEXT, 'z'.repeat(200)), frame(TEXT, long)], 100_000)).toEqual([
      `text ${'z'.repeat(200)}`,
      `text ${long}`,
    ]);
  });

  it('accepts a message of exactly maxPayload bytes, across fragments', () => {
    const fragments = [frame(TEXT, 'a'.repeat(600), { fin: false }), frame(CONTINUATION, 'b'.repeat(424))];
    expect(decode(fragments)).toEqual([`text ${'a'.repeat(600)}${'b'.repeat(424)}`]);
  });

  it('accepts a character split across fragments (UTF-8 is checked on the whole message)', () => {
    const snowman = Buffer.from('☃');
    const fragments = [
      frame(TEXT, snowman.subarray(0, 1), { fin: false }),
      frame(CONTINUATION, snowman.subarray(1, 2), { fin: false }),
      frame(CONTINUATION, snowman.subarray(2)),
    ];
    expect(decode(fragments)).toEqual(['text ☃']);
  });

  it('hears an empty close frame as a close without a code', () => {
    expect(decode([frame(CLOSE, '')])).toEqual(['close undefined']);
  });

  it.each([1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999])('accepts close code %i', (code) => {
    expect(decode([frame(CLOSE, closePayload(code))])).toEqual([`close ${code}`]);
  });

  it('ignores every byte after a close frame', () => {
    expect(decode([Buffer.concat([frame(CLOSE, closePayload(1001)), frame(TEXT, 'late'), Buffer.from([0xff])])])).toEqual([
      'close 1001',
    ]);
  });

  describe('refuses a client that breaks the protocol, with the close code it earns', () => {
    const cases: [string, Buffer[], WsProtocolError][] = [
      ['an unmasked frame (§5.1)', [frame(TEXT, 'hi', { masked: false })], 'WS_ERR_EXPECTED_MASK'],
      ['RSV1 set (no extension was negotiated)', [frame(TEXT, 'hi', { rsv: 0x40 })], 'WS_ERR_UNEXPECTED_RSV_1'],
      ['RSV2 set', [frame(TEXT, 'hi', { rsv: 0x20 })], 'WS_ERR_UNEXPECTED_RSV_2_3'],
      ['RSV3 set', [frame(TEXT, 'hi', { rsv: 0x10 })], 'WS_ERR_UNEXPECTED_RSV_2_3'],
      ['a reserved data opcode', [frame(0x3, 'hi')], 'WS_ERR_INVALID_OPCODE'],
      ['a reserved control opcode', [frame(0xb, '')], 'WS_ERR_INVALID_OPCODE'],
      ['a continuation with no message to continue', [frame(CONTINUATION, 'hi')], 'WS_ERR_INVALID_OPCODE'],
      [
        'a new data frame inside a fragmented message',
        [frame(TEXT, 'a', { fin: false }), frame(BINARY, 'b')],
        'WS_ERR_INVALID_OPCODE',
      ],
      ['a fragmented ping', [frame(PING, 'p', { fin: false })], 'WS_ERR_EXPECTED_FIN'],
      ['a ping over 125 bytes', [frame(PING, 'p'.repeat(126))], 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
      ['a close frame of one byte', [frame(CLOSE, Buffer.from([3]))], 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
      ['a message over maxPayload', [frame(TEXT, 'x'.repeat(1025))], 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
      [
        'fragments that add up to more than maxPayload',
        [frame(TEXT, 'x'.repeat(600), { fin: false }), frame(CONTINUATION, 'x'.repeat(425))],
        'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      ],
      [
        'a 64-bit length past 2^53 - 1',
        [Buffer.from([0x81, 0xff, 0x00, 0x20, 0, 0, 0, 0, 0, 0])],
        'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
      ],
      ['a text message that is not UTF-8', [frame(TEXT, Buffer.from([0x68, 0xc3, 0x28]))], 'WS_ERR_INVALID_UTF8'],
      [
        'a fragmented text message that is not UTF-8 once whole',
        [frame(TEXT, Buffer.from([0xe2, 0x98]), { fin: false }), frame(CONTINUATION, 'x')],
        'WS_ERR_INVALID_UTF8',
      ],
      ['a close reason that is not UTF-8', [frame(CLOSE, closePayload(1000, Buffer.from([0xff])))], 'WS_ERR_INVALID_UTF8'],
      ...[0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000].map((code): [string, Buffer[], WsProtocolError] => [
        `close code ${code}`,
        [frame(CLOSE, closePayload(code))],
        'WS_ERR_INVALID_CLOSE_CODE',
      ]),
    ];

    it.each(cases)('%s', (_name, frames, error) => {
      const expected = [`${error} ${WS_PROTOCOL_ERRORS[error]}`];
      expect(decode(frames)).toEqual(expected);
      // Whatever the split, the same refusal, once, and nothing after it.
      const bytes = Buffer.concat([...frames, frame(TEXT, 'after')]);
      for (let at = 0; at <= bytes.length; at++) {
        expect(decode([bytes.subarray(0, at), bytes.subarray(at)]), `split at ${at}`).toEqual(expected);
      }
    });
  });

  it('refuses an oversize message from its header alone, before any payload is buffered', () => {
    expect(decode([frame(TEXT, '', { length: 1_000_000 })])).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH 1009']);
  });

  it('says it is decoding until a close frame or a protocol error stops it', () => {
    const decoder = new RecordingDecoder(1024);
    decoder.push(frame(TEXT, 'hi'));
    expect(decoder.decoding).toBe(true);
    decoder.push(frame(CLOSE, ''));
    expect(decoder.decoding).toBe(false);
    const broken = new RecordingDecoder(1024);
    broken.push(frame(TEXT, 'hi', { masked: false }));
    expect(broken.decoding).toBe(false);
  });
});
