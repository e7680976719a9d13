import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IRC_CAPABILITIES,
  NICK_PATTERN,
  ROOM_PATTERN,
  renderIrc,
  serializeIrcMessage,
  type IrcServerInfo,
  type MsgFrame,
  type ServerFrame,
} from '../src/index.js';

const info: IrcServerInfo = {
  server: 'irc.some-long-server-name.loopchat.example',
  network: 'loopchat',
  host: 'users.loopchat.example',
  version: 'loopchat-1',
  created: 'today',
  motd: ['hello'],
};

const nick = fc.stringMatching(new RegExp(NICK_PATTERN));
const room = fc.stringMatching(new RegExp(ROOM_PATTERN)).map((r) => r.toLowerCase());
/** Up to the default maxTextLength, wide characters and control characters included. */
const text = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }),
  fc.string({ unit: fc.constantFrom('é', '👋', '\n', '\x01', '\x03', ' ', 'a', '\r'), minLength: 1, maxLength: 2000 }),
);
const ts = fc.integer({ min: 0, max: 4_102_444_800_000 });
const id = fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.nat()), { nil: undefined });

const msgFrame: fc.Arbitrary<MsgFrame> = fc
  .record({ room, from: nick, text, seq: fc.nat(), ts, id })
  .map((f) => ({ type: 'msg' as const, ...f }));

const frame: fc.Arbitrary<ServerFrame> = fc.oneof(
  msgFrame,
  fc.record({ from: nick, to: nick, text, ts, id }).map((f) => ({ type: 'dm' as const, ...f })),
  fc.record({ text, ts, room: fc.option(room, { nil: undefined }) }).map((f) => ({ type: 'notice' as const, ...f })),
  fc.record({ code: fc.constantFrom('kicked', 'nick_taken', 'filtered', 'internal'), message: text, id }).map((f) => ({
    type: 'error' as const,
    ...f,
  })),
  fc.record({ room, messages: fc.array(msgFrame, { maxLength: 5 }), id }).map((f) => ({ type: 'history' as const, ...f })),
  fc.record({ room, nicks: fc.array(nick, { maxLength: 300 }) }).map((f) => ({ type: 'members' as const, ...f })),
);

describe('renderIrc properties', () => {
  it('renders any frame, for any reader and capabilities, as messages that serialize within the limits', () => {
    const caps = fc.subarray(Object.keys(IRC_CAPABILITIES));
    fc.assert(
      fc.property(frame, nick, caps, fc.constantFrom('PRIVMSG', 'PART', 'WHO', 'NAMES'), (f, reader, enabled, command) => {
        const messages = renderIrc(f, { info, nick: reader, caps: new Set(enabled) }, { command, target: `#${reader}` });
        for (const m of messages) {
          const result = serializeIrcMessage(m);
          expect(result.ok ? 'ok' : `${result.code}: ${JSON.stringify(m).slice(0, 200)}`).toBe('ok');
          expect(m.params.every((p) => !/[\x00\x01\r\n]/.test(p))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
