/**
 * Fuzz target 5, the IRC dialect: hostile IRC lines through the codec (parseIrcLine) and
 * through a whole IrcDialect, whose core is played by a fake host that answers every frame
 * at once (a welcome, the member list, an echo, or an error carrying hostile text).
 *
 * Invariants:
 * - parsing never throws; a parsed line survives serialize → parse unchanged;
 * - the dialect never throws, every frame it submits validates with the codec;
 * - every byte it writes is CR LF lines that parse, none over 510 bytes without tags, none
 *   holding NUL, a bare CR or LF, or a control character other than IRC formatting.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import pino from 'pino';
import {
  IRC_MAX_BODY_BYTES,
  ProtocolError,
  createClientCodec,
  parseIrcLine,
  serializeIrcMessage,
  type ClientFrame,
  type ServerFrame,
} from '@loopchat/protocol';
import { EncodedFrame, IrcDialect, Stats, resolveConfig, type IrcHost, type ServerContext } from '@loopchat/server';
import { Counter, check, runSync, type FuzzBudget, type FuzzResult } from './target.js';

const hostile = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('\x01ACTION x\x01', '\x01VERSION\x01', '\x1b[2J', '\r', '\0', ':', ' :x y', '#a,#b', 'msgid=a-1', '*', '\u202e'),
);
const command = fc.constantFrom(
  'CAP', 'NICK', 'USER', 'PASS', 'AUTHENTICATE', 'JOIN', 'PART', 'PRIVMSG', 'NOTICE', 'NAMES', 'WHO', 'MODE',
  'TOPIC', 'LIST', 'CHATHISTORY', 'PING', 'PONG', 'QUIT', 'LUSERS', 'MOTD', 'x', '001', 'cap',
);
const structured = fc
  .tuple(
    fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    fc.option(hostile, { nil: undefined }),
    command,
    fc.array(hostile, { maxLength: 5 }),
    fc.option(hostile, { nil: undefined }),
  )
  .map(([tags, prefix, cmd, middle, trailing]) =>
    [
      tags === undefined ? '' : `@${tags} `,
      prefix === undefined ? '' : `:${prefix} `,
      cmd,
      ...middle.map((p) => ` ${p}`),
      trailing === undefined ? '' : ` :${trailing}`,
    ].join(''),
  );
const ircLine = fc.oneof(
  { weight: 4, arbitrary: structured },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 700 }) },
  { weight: 1, arbitrary: fc.constantFrom('NICK fuzzer', 'USER f 0 * :F', 'CAP LS 302', 'CAP REQ :server-time message-tags echo-message batch', 'CAP END', 'JOIN #fuzz', 'CHATHISTORY LATEST #fuzz * 5') },
);

/** Controls an IRC line may carry: formatting codes only (irc-text.ts), and the final CR LF. */
const UNSAFE = /[\x00\x01\x04-\x08\x0a-\x0e\x10-\x15\x17-\x1c\x1e\x7f]/;

class FuzzHost implements IrcHost {
  readonly ctx: ServerContext;
  nick: string | null = null;
  readonly rooms = new Set<{ name: string }>();
  isClosing = false;
  readonly irc: IrcDialect;
  written: Buffer[] = [];
  #pending: (ClientFrame & { id?: string | number })[] = [];
  #hostileText: string;

  constructor(ctx: ServerContext, hostileText: string) {
    this.ctx = ctx;
    this.#hostileText = hostileText;
    this.irc = new IrcDialect(this);
  }

  submit(frame: ClientFrame): void {
    const again = this.ctx.codec.validate(frame);
    check(!(again instanceof ProtocolError), () => `submitted frame does not validate: ${JSON.stringify(frame)}`);
    this.#pending.push(frame);
  }

  takeToken(): boolean {
    return true;
  }

  sendBytes(bytes: Buffer): void {
    this.written.push(bytes);
  }

  quit(): void {
    this.isClosing = true;
  }

  /** The core's answers to what was submitted, at once. */
  answerAll(): void {
    for (const frame of this.#pending.splice(0)) {
      const id = frame.id;
      let answer: ServerFrame;
      if (frame.type === 'hello') {
        this.nick = frame.nick;
        answer = {
          type: 'welcome',
          nick: frame.nick,
          server: 's',
          v: 1,
          limits: { maxLineBytes: 8192, maxTextLength: 2000, messagesPerSecond: 20, maxRooms: 50 },
          ...(id === undefined ? {} : { id }),
        };
      } else if (frame.type === 'join') {
        this.irc.answer(id, 1, { type: 'members', room: frame.room, nicks: ['a', this.nick ?? 'b'] });
        continue;
      } else if (frame.type === 'msg') {
        this.irc.answer(id, 2, { type: 'msg', room: frame.room, from: this.nick ?? 'x', text: frame.text, seq: 2, ts: 0 });
        continue;
      } else {
        answer = { type: 'error', code: 'not_in_room', message: this.#hostileText, ...(id === undefined ? {} : { id }) };
      }
      this.written.push(this.irc.bytesOf(new EncodedFrame(answer)));
    }
  }
}

function checkParse(line: string): void {
  let parsed: ReturnType<typeof parseIrcLine>;
  try {
    parsed = parseIrcLine(line);
  } catch (err) {
    throw new Error(`parseIrcLine threw: ${(err as Error).message}`, { cause: err });
  }
  if (!parsed.ok) return;
  const written = serializeIrcMessage(parsed.message);
  if (!written.ok) return; // a line the codec reads but would not write (a long prefix): refused, not corrupted
  const again = parseIrcLine(written.line.slice(0, -2));
  check(again.ok && isDeepStrictEqual({ ...again.message }, { ...parsed.message }), () => `round trip changed ${JSON.stringify(line)}`);
}

function checkOutput(bytes: Buffer): void {
  const text = bytes.toString('utf8');
  if (text === '') return;
  check(text.endsWith('\r\n'), () => `output does not end in CR LF: ${JSON.stringify(text.slice(-40))}`);
  for (const line of text.slice(0, -2).split('\r\n')) {
    // PONG returns the reader's own token exactly (RFC 2812 §3.7.3): nobody else's text.
    const ownToken = / PONG \S+ /.test(line);
    check(ownToken || !UNSAFE.test(line), () => `output line holds a control character: ${JSON.stringify(line)}`);
    const parsed = parseIrcLine(line);
    check(parsed.ok, () => `output line does not parse: ${JSON.stringify(line)}`);
    const body = line.startsWith('@') ? line.slice(line.indexOf(' ') + 1) : line;
    check(Buffer.byteLength(body) <= IRC_MAX_BODY_BYTES, () => `output line over 510 bytes: ${body.length}`);
  }
}

export function fuzzIrc(budget: FuzzBudget): FuzzResult {
  const config = resolveConfig({ tcpPort: 0, httpPort: 0, serverName: 'fuzz.test', logLevel: 'silent' });
  const ctx = {
    config,
    codec: createClientCodec(),
    hub: { nickCount: 1, rooms: new Map() },
    sessions: new Set(),
    stats: new Stats(),
    log: pino({ level: 'silent' }),
    auth: undefined,
  } as unknown as ServerContext;
  const counter = new Counter();
  const property = fc.property(fc.array(ircLine, { minLength: 1, maxLength: 12 }), hostile, (lines, hostileText) => {
    counter.count++;
    const host = new FuzzHost(ctx, hostileText);
    for (const line of lines) {
      checkParse(line);
      counter.units++;
      if (host.isClosing) break;
      host.irc.onLine(line);
      host.answerAll();
    }
    for (const bytes of host.written) checkOutput(bytes);
  });
  return { ...runSync('irc', budget, counter, property), units: { name: 'lines', count: counter.units } };
}
