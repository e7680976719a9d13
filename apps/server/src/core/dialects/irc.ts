/**
 * IRC (RFC 2812 + IRCv3) on the TCP port: a connection whose first line is a registration
 * command (CAP, NICK, USER, PASS) speaks it. The protocol's irc-* codec does the syntax and
 * ../../irc/irc-dialect.ts keeps the per-connection IRC state (registration, capabilities,
 * the requests its answers name); this adapter plugs it into the session.
 */
import { IRC_MAX_LINE_BYTES, isIrcFirstLine, type Id, type ServerFrame } from '@loopchat/protocol';
import { IrcDialect } from '../../irc/irc-dialect.js';
import type { Dialect, DialectChoice, DialectSession } from '../dialect.js';
import type { EncodedFrame } from '../encoded-frame.js';

class IrcLines implements Dialect {
  readonly #irc: IrcDialect;

  constructor(session: DialectSession) {
    this.#irc = new IrcDialect(session);
  }

  get mode(): string {
    return 'irc';
  }

  /** Each reader sees its own rendering (its capabilities): no shared renderer. */
  get renderer(): undefined {
    return undefined;
  }

  get human(): boolean {
    return false;
  }

  /** NAMES on join (RFC 2812 §3.2.1). */
  get membersOnJoin(): boolean {
    return true;
  }

  /** IRCv3 message-tags: 8,191 bytes of tags may precede the 510-byte line. */
  get maxLineBytes(): number {
    return IRC_MAX_LINE_BYTES;
  }

  onLine(line: string): void {
    this.#irc.onLine(line);
  }

  /** Rendered per reader: its capabilities, and the request an answer is for. */
  bytesOf(encoded: EncodedFrame): Buffer {
    return this.#irc.bytesOf(encoded);
  }

  answer(_session: DialectSession, id: Id | undefined, seq: number | undefined, echo?: ServerFrame | EncodedFrame): void {
    this.#irc.answer(id, seq, echo);
  }

  farewell(): Buffer {
    return this.#irc.goodbye();
  }

  /** `ping` renders as an IRC PING; the client's PONG refreshes the connection's clock. */
  probe(session: DialectSession): void {
    session.send({ type: 'ping' });
  }
}

export const ircChoice: DialectChoice = {
  selects: isIrcFirstLine,
  open: (session) => new IrcLines(session),
};
