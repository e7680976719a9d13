/**
 * Fuzz target 3, text mode: `parseTextLine` on arbitrary human input, and `renderText` of
 * every server frame type carrying arbitrary user text (DESIGN.md: "a message must not be
 * able to drive a user's terminal").
 *
 * Invariants:
 * - parsing never throws; a parsed frame validates; an error carries a documented code;
 * - rendered output has no C0/C1 control character, DEL or bidi override (so no ANSI
 *   escape), and exactly the lines the frame calls for: user text cannot add a line.
 */
import fc from 'fast-check';
import {
  ErrorCodes,
  ProtocolError,
  createClientCodec,
  parseTextLine,
  renderText,
  type MsgFrame,
  type ServerFrame,
} from '@loopchat/protocol';
import { nick, room } from './frames.js';
import { Counter, check, runSync, type FuzzBudget, type FuzzResult } from './target.js';

/** Everything a terminal may act on, except the `\n` that ends each rendered line. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
  fc
    .array(
      fc.constantFrom('\u001b[31m', '\u001b]0;title\u0007', '\u009b2J', '\r', '\n', '\u202e', '\u2066', 'ok', ' ', '\u0000'),
      {
        minLength: 1,
        maxLength: 8,
      },
    )
    .map((parts) => parts.join('')),
);

const command = fc.constantFrom(
  '',
  '/nick ',
  '/join ',
  '/leave ',
  '/msg ',
  '/who ',
  '/rooms',
  '/history ',
  '/ping',
  '/quit',
  '/help',
  '//',
  '#',
  '/NICK ',
  '/x',
);
const humanLine = fc.tuple(command, hostileText).map(([c, t]) => c + t);

const stamp = { seq: 1, ts: 0 };
const msg = fc.record({ room, from: nick, text: hostileText }).map((m): MsgFrame => ({ type: 'msg', ...m, ...stamp }));

const serverFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
  msg,
  fc.record({ from: nick, to: nick, text: hostileText }).map((d): ServerFrame => ({ type: 'dm', ...d, ts: 0 })),
  fc
    .record({ code: fc.constantFrom(...Object.keys(ErrorCodes)), message: hostileText })
    .map((e): ServerFrame => ({ type: 'error', ...e })),
  fc.record({ room, messages: fc.array(msg, { maxLength: 4 }) }).map((h): ServerFrame => ({ type: 'history', ...h })),
  fc
    .record({ room, nick, event: fc.constantFrom('join' as const, 'leave' as const) })
    .map((p): ServerFrame => ({ type: 'presence', ...p })),
  fc.record({ room, nicks: fc.array(nick, { maxLength: 4 }) }).map((m): ServerFrame => ({ type: 'members', ...m })),
  fc.array(fc.record({ room, members: fc.nat() }), { maxLength: 3 }).map((rooms): ServerFrame => ({ type: 'rooms', rooms })),
  fc.constantFrom<ServerFrame>({ type: 'ack', id: 1, ts: 0 }, { type: 'pong' }, { type: 'ping' }),
);

function expectedLines(frame: ServerFrame): number {
  if (frame.type === 'ping') return 0;
  if (frame.type === 'history') return frame.messages.length + 1;
  return 1;
}

function checkRendered(frame: ServerFrame, viewer?: string): void {
  const out = renderText(frame, viewer);
  const bad = UNSAFE.exec(out);
  check(bad === null, () => `rendered U+${bad![0].codePointAt(0)!.toString(16)} for ${JSON.stringify(frame)}`);
  const lines = out.split('\n').length - 1;
  check(
    lines === expectedLines(frame) && (out === '' || out.endsWith('\n')),
    () => `${lines} lines for ${JSON.stringify(frame)}`,
  );
}

export function fuzzTextMode(budget: FuzzBudget): FuzzResult {
  const codec = createClientCodec();
  const counter = new Counter();
  const property = fc.property(
    humanLine,
    fc.option(room, { nil: null }),
    serverFrame,
    nick,
    (line, current, frame, viewer) => {
      counter.count++;
      const parsed = parseTextLine(line, current === null ? null : current.toLowerCase(), codec);
      if (parsed.kind === 'error') check(parsed.error.code in ErrorCodes, () => `undocumented code ${parsed.error.code}`);
      if (parsed.kind === 'frame') {
        check(!(codec.validate(parsed.frame) instanceof ProtocolError), () => `parsed frame does not validate: ${line}`);
        // What other users would see of it, rendered as the server renders it.
        const f = parsed.frame;
        if (f.type === 'msg') checkRendered({ type: 'msg', room: f.room, from: viewer, text: f.text, ...stamp });
        if (f.type === 'dm') checkRendered({ type: 'dm', from: viewer, to: f.to, text: f.text, ts: 0 }, f.to);
      }
      checkRendered(frame, viewer);
    },
  );
  return runSync('text-mode', budget, counter, property);
}
