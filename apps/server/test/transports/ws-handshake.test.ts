/**
 * The opening handshake (transports/ws-handshake.ts, RFC 6455 §4.2): which requests are
 * upgraded, with what answer, and which are refused with which status.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { negotiate } from '../../src/transports/ws-handshake.js';

/** §1.3's example: this key is answered with s3pPLMBiTxaQ9kYGzzhZRbK+xOo=. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(headers: Record<string, string>, method = 'GET'): IncomingMessage {
  const base = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': KEY };
  return { method, headers: { ...base, ...headers } } as unknown as IncomingMessage;
}

describe('negotiate', () => {
  it('answers a good request with 101 and the key hashed into Sec-WebSocket-Accept (§1.3)', () => {
    expect(negotiate(request({}))).toEqual({
      ok: true,
      protocol: undefined,
      response:
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    });
  });

  it('reads Upgrade and Connection in any case, Connection as a token list', () => {
    const handshake = negotiate(request({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' }));
    expect(handshake.ok).toBe(true);
  });

  it('never negotiates an extension', () => {
    const handshake = negotiate(request({ 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }));
    expect(handshake.ok && handshake.response).not.toMatch(/Extensions/i);
  });

  it('chooses text.ircv3.net when offered, else the first subprotocol offered', () => {
    const irc = negotiate(request({ 'sec-websocket-protocol': 'json, text.ircv3.net' }));
    expect(irc).toMatchObject({ ok: true, protocol: 'text.ircv3.net' });
    expect(irc.ok && irc.response).toContain('\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n');
    expect(negotiate(request({ 'sec-websocket-protocol': 'chat,  json' }))).toMatchObject({ protocol: 'chat' });
  });

  it('refuses a version other than 13 with 426, naming 13 (§4.4)', () => {
    expect(negotiate(request({ 'sec-websocket-version': '8' }))).toEqual({
      ok: false,
      status: 426,
      message: 'Unsupported WebSocket version',
      headers: 'Sec-WebSocket-Version: 13\r\n',
    });
  });

  it.each([
    ['no key', { 'sec-websocket-key': '' }],
    ['a key that is not 16 bytes of base64', { 'sec-websocket-key': 'c2hvcnQ=' }],
    ['no Upgrade: websocket', { upgrade: 'h2c' }],
    ['no upgrade token in Connection', { connection: 'keep-alive' }],
    ['a subprotocol that is not a token', { 'sec-websocket-protocol': 'a b' }],
    ['a subprotocol offered twice', { 'sec-websocket-protocol': 'json, json' }],
  ])('refuses %s with 400', (_name, headers) => {
    expect(negotiate(request(headers))).toMatchObject({ ok: false, status: 400 });
  });

  it('refuses a method other than GET with 405', () => {
    expect(negotiate(request({}, 'POST'))).toMatchObject({ ok: false, status: 405 });
  });
});
