/**
 * The IRC dialect of one TCP connection (RFC 2812 + IRCv3): IRC lines in, core frames out;
 * core frames in, IRC lines out for this reader. The codec (packages/protocol irc-*.ts)
 * does the syntax; this adapter keeps what a connection must remember between a request and
 * its answer, since IRC answers name what was asked (the channel of a 404, NAMES or WHO).
 *
 *   line ─▶ parseIrcLine ─▶ one rate-limit token ─▶ IrcRegistration ─▶ replies, hello
 *                                                     └ registered ─▶ irc-commands.ts
 *   command ─▶ core frame with an id of ours ─▶ the core's handlers (moderation, rooms, bus)
 *   answer (by id) ─▶ the request it answers ─▶ renderIrc with that context ─▶ bytes in order
 *   room broadcast ─▶ a FrameRenderer per capability set: rendered once per set, shared
 *   quit, rename ─▶ one per nick for this reader (irc-presence-once.ts), then shared as above
 *
 * The host (core/session.ts) owns the socket, the rate limit, the answer order and the
 * outbound budget; this class owns only IRC state, so it is tested with a fake host.
 */
import {
  ErrorCodes,
  ProtocolError,
  ircClosingError,
  ircErrorReplies,
  ircTextLines,
  isupportTokens,
  lusersReplies,
  motdReplies,
  numericError,
  numericReply,
  parseIrcLine,
  renderIrc,
  serializeIrcMessage,
  userMask,
  welcomeReplies,
  type ClientFrame,
  type ErrorCode,
  type Id,
  type IrcCapability,
  type IrcCodecError,
  type IrcMessage,
  type IrcRegistered,
  type IrcRenderContext,
  type IrcServerInfo,
  type RegistrationStep,
  type SaslCredentials,
  type ServerFrame,
  type WelcomeFrame,
  IrcRegistration,
  ERR_INPUTTOOLONG,
  ERR_UNKNOWNCOMMAND,
  RPL_NOTOPIC,
  RPL_TOPIC,
} from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';
import { EncodedFrame, renderSlot, type FrameRenderer } from '../core/encoded-frame.js';
import { bump } from '../core/stats.js';
import { historyAnswer } from './irc-chathistory.js';
import { runIrcCommand } from './irc-commands.js';
import { PresenceOnce } from './irc-presence-once.js';
import { ircServerInfo } from './irc-server-info.js';

/** What the dialect needs of the connection that owns it (core/session.ts implements it). */
export interface IrcHost {
  readonly ctx: ServerContext;
  /** The registered nick; null until the core accepted one. */
  readonly nick: string | null;
  /** The rooms this connection is in. */
  readonly rooms: ReadonlySet<{ readonly name: string }>;
  readonly isClosing: boolean;
  /** A core frame, answered through send/answer later; `charged`: through the rate limit first. */
  submit(frame: ClientFrame, charged: boolean): void;
  /** One token of the rate limit; false when none is left. */
  takeToken(): boolean;
  /** Bytes for the client, in answer order (behind answers still waiting for the bus). */
  sendBytes(bytes: Buffer): void;
  /** Closes after the pending answers, with goodbye() last. */
  quit(): void;
}

/** What the dialect remembers of a request until the core answers it. */
export interface IrcRequest {
  /** The IRC command: names the subject of an error numeric and how the answer is shown. */
  readonly command: string;
  /** The nick or `#channel` the command named. */
  readonly target?: string;
  /** The loopchat room, for commands on a channel. */
  readonly room?: string;
  /** CHATHISTORY: only messages with after < seq < before are the answer. */
  readonly window?: { readonly after: number; readonly before: number };
  /** NICK after registration: a rename from this (old) nick to `target`, not a registration. */
  readonly renameFrom?: string;
}

const EMPTY = Buffer.alloc(0);

/** Requests in flight at once; the core answers each, so this is only a bound against a bug. */
const MAX_PENDING = 1024;

/** Broadcast renderings differ by these capabilities only: a renderer per combination. */
const SERVER_TIME = 1;
const MESSAGE_TAGS = 2;
const VARIANT_CAPS: readonly (readonly IrcCapability[])[] = [
  [],
  ['server-time'],
  ['message-tags'],
  ['server-time', 'message-tags'],
];

export class IrcDialect {
  readonly #host: IrcHost;
  readonly info: IrcServerInfo;
  readonly #registration: IrcRegistration;
  readonly #requests = new Map<Id, IrcRequest>();
  /**
   * Rooms whose JOIN is in flight, with the topic the room sent the joiner meanwhile: the
   * room tells a joiner its topic before the join's answer comes back, but an IRC client
   * wants it as 332 after its JOIN line (RFC 2812 §3.2.1). Null until one arrives.
   */
  #joining: Map<string, Extract<ServerFrame, { type: 'topic' }> | null> | null = null;
  /** One QUIT per quitter and one NICK per rename, though each shared room announces it. */
  readonly #once = new PresenceOnce();
  #nextId = 1;

  constructor(host: IrcHost) {
    this.#host = host;
    this.info = ircServerInfo(host.ctx);
    this.#registration = new IrcRegistration(this.info.server);
  }

  get host(): IrcHost {
    return this.#host;
  }

  /** The reader's nick, or `*` before it has one (the target of numerics). */
  get nick(): string {
    return this.#host.nick ?? '*';
  }

  get caps(): ReadonlySet<IrcCapability> {
    return this.#registration.caps;
  }

  // ── inbound ──────────────────────────────────────────────────────────────────────

  /** One line from the client, terminator removed. */
  onLine(line: string): void {
    const parsed = parseIrcLine(line);
    // PONG answers our heartbeat: the read itself refreshed the connection's clock.
    if (parsed.ok && parsed.message.command === 'PONG') return;
    if (!parsed.ok && parsed.code === 'empty_line') return;
    if (!this.#host.takeToken()) return this.rateLimited();
    if (!parsed.ok) return this.#badLine(parsed, line);
    const step = this.#registration.handle(parsed.message);
    this.#step(step);
    if (step.unhandled) runIrcCommand(this, parsed.message);
  }

  /** A token for one more target of a multi-target command; on refusal the client is told once. */
  spendToken(): boolean {
    if (this.#host.takeToken()) return true;
    this.rateLimited();
    return false;
  }

  rateLimited(): void {
    bump(this.#host.ctx.stats.drops, 'rate_limited');
    this.reply(ircErrorReplies(this.info.server, this.nick, 'rate_limited', ErrorCodes.rate_limited));
  }

  /**
   * Sends a core frame for `value`, validated by the codec as a JSON frame would be (text
   * length, names), with an id of ours that its answer will carry back.
   */
  request(value: Record<string, unknown>, request: IrcRequest): void {
    const id = this.#nextId++;
    const frame = this.#host.ctx.codec.validate({ ...value, id });
    if (frame instanceof ProtocolError) return this.reply(this.#errorReplies(frame.code, frame.message, request));
    if (this.#requests.size >= MAX_PENDING) this.#requests.delete(this.#requests.keys().next().value!);
    this.#requests.set(id, request);
    // The line paid its token already (onLine); a frame must not pay twice.
    this.#host.submit(frame, false);
  }

  /** Replies that need no core: serialized and queued in answer order. */
  reply(messages: readonly IrcMessage[]): void {
    const bytes = this.#serialize(messages);
    if (bytes.length > 0) this.#host.sendBytes(bytes);
  }

  /** A numeric to this reader: `:server NNN nick fields…`. */
  numeric(code: string, ...fields: string[]): void {
    this.reply([numericReply(this.info.server, this.nick, code, ...fields)]);
  }

  /** An error numeric with its RFC text. */
  numericError(code: string, subject?: string): void {
    this.reply([numericError(this.info.server, this.nick, code, subject)]);
  }

  /** The reader's own mask, the prefix of its JOIN and PART. */
  get mask(): string {
    return userMask(this.nick, this.info.host);
  }

  #step(step: RegistrationStep): void {
    this.reply(step.replies);
    if (step.quit) return this.#host.quit();
    if (step.saslCredentials !== undefined) this.#verifySasl(step.saslCredentials);
    if (step.registered !== undefined) this.#hello(step.registered);
  }

  /** Registration is complete: the core claims the nick (and checks the token when auth is on). */
  #hello(registered: IrcRegistered): void {
    const token = registered.sasl?.password ?? registered.pass;
    this.request(
      token === undefined ? { type: 'hello', nick: registered.nick } : { type: 'hello', nick: registered.nick, token },
      { command: 'NICK', target: registered.nick },
    );
  }

  /**
   * SASL PLAIN: the password is a loopchat token for the account (the nick). With auth off
   * anyone may use any nick, so any credentials are accepted. The hello checks the token
   * again against the nick finally registered.
   */
  #verifySasl(credentials: SaslCredentials): void {
    const { auth } = this.#host.ctx;
    const verdict =
      auth === undefined
        ? Promise.resolve(true)
        : auth.verify(credentials.password, credentials.account).then((grant) => typeof grant !== 'string');
    verdict.then(
      (ok) => {
        if (this.#host.isClosing) return;
        const mask = userMask(credentials.account, this.info.host);
        this.#step(ok ? this.#registration.saslSucceeded(mask) : this.#registration.saslFailed());
      },
      () => this.#host.isClosing || this.#step(this.#registration.saslFailed()),
    );
  }

  /** A line the codec refused (RFC 2812 §2.3.1; modern.ircdocs.horse for 417). */
  #badLine(error: IrcCodecError, line: string): void {
    if (error.code === 'line_too_long' || error.code === 'tags_too_long') return this.numericError(ERR_INPUTTOOLONG);
    if (error.code === 'invalid_command') {
      const word = /^(?:@\S*\s+)?(?::\S*\s+)?(\S{1,32})/.exec(line)?.[1] ?? '*';
      return this.numericError(ERR_UNKNOWNCOMMAND, word.replace(/[^\x21-\x7e]/g, '?'));
    }
    this.reply([{ prefix: this.info.server, command: 'NOTICE', params: [this.nick, `${error.code}: ${error.message}`] }]);
  }

  // ── outbound ─────────────────────────────────────────────────────────────────────

  /**
   * The bytes of a frame for this reader. Room broadcasts are rendered once per capability
   * set and shared; answers to this connection's requests are rendered with what was asked.
   */
  bytesOf(encoded: EncodedFrame): Buffer {
    const frame = encoded.frame;
    switch (frame.type) {
      case 'welcome':
      case 'error':
      case 'members':
      case 'history':
      case 'rooms':
      case 'ack':
        return this.#serialize(this.#renderAnswer(frame, this.#take(frame.id)));
      case 'topic':
        // With an id: the answer to TOPIC #room (RFC 2812 §3.2.4: 332, or 331 when none is set).
        if (frame.id !== undefined) return this.#serialize(this.#topicAnswer(frame, this.#take(frame.id)));
        if (this.#joining?.has(frame.room)) {
          this.#joining.set(frame.room, frame);
          return EMPTY;
        }
        return encoded.bytes(broadcastRenderer(this.info, this.#variant(), this.#host.ctx));
      case 'notice':
        // A notice to everyone names each reader; one to a room is a room broadcast.
        if (frame.room === undefined) return this.#serialize(renderIrc(frame, this.#context()));
        return encoded.bytes(broadcastRenderer(this.info, this.#variant(), this.#host.ctx));
      case 'dm':
      case 'ping':
      case 'pong':
        return this.#serialize(renderIrc(frame, this.#context()));
      case 'presence':
        // Dropped for this reader before the shared rendering is used: the others still get it.
        if (this.#once.repeats(frame)) return EMPTY;
        return encoded.bytes(broadcastRenderer(this.info, this.#variant(), this.#host.ctx));
      default:
        // Room broadcasts (msg, typing, mod, topic, delete): the same for every
        // reader with the same capabilities, and never the sender's own (the hub skips it).
        return encoded.bytes(broadcastRenderer(this.info, this.#variant(), this.#host.ctx));
    }
  }

  /**
   * The core's answer to a join, leave, msg or dm (Session.answer): IRC shows the JOIN and
   * the channel's names, the PART, or the message itself with echo-message.
   */
  answer(id: Id | undefined, _seq: number | undefined, echo?: ServerFrame | EncodedFrame): void {
    const request = this.#take(id);
    if (request === undefined) return;
    switch (request.command) {
      case 'JOIN': {
        // RFC 2812 §3.2.1: the JOIN, the topic (332, when set), then NAMES: the core's echo
        // of a join is the member list, asked for once the join was stored.
        const topic = this.#joined(request.room!);
        const topicReply =
          topic === undefined || topic.text === ''
            ? []
            : [
                numericReply(
                  this.info.server,
                  this.nick,
                  RPL_TOPIC,
                  request.target!,
                  ircTextLines(topic.text, 300)[0] ?? '',
                ),
              ];
        const names = echo === undefined || echo instanceof EncodedFrame ? [] : renderIrc(echo, this.#context());
        return this.reply([{ prefix: this.mask, command: 'JOIN', params: [request.target!] }, ...topicReply, ...names]);
      }
      case 'PART':
        return this.reply([{ prefix: this.mask, command: 'PART', params: [request.target!] }]);
      case 'PRIVMSG':
      case 'NOTICE':
        return this.#echo(echo);
      case 'NICK':
        // The others see the rename as presence; the renamer sees its own NICK (RFC 2812 §3.1.2).
        if (request.renameFrom !== undefined) {
          const prefix = userMask(request.renameFrom, this.info.host);
          this.reply([{ prefix, command: 'NICK', params: [this.nick] }]);
        }
    }
  }

  /** A JOIN of `room` goes out to the core: a topic for it waits for the JOIN line. */
  joining(room: string): void {
    (this.#joining ??= new Map()).set(room, null);
  }

  /** The join of `room` was answered (or refused): the topic that waited for it, if any. */
  #joined(room: string): Extract<ServerFrame, { type: 'topic' }> | undefined {
    const topic = this.#joining?.get(room) ?? undefined;
    this.#joining?.delete(room);
    if (this.#joining?.size === 0) this.#joining = null;
    return topic;
  }

  #topicAnswer(frame: Extract<ServerFrame, { type: 'topic' }>, request: IrcRequest | undefined): IrcMessage[] {
    // A topic set is shown by the TOPIC every member (the setter too) gets from the room.
    if (request?.command !== 'TOPIC') return [];
    const channel = request.target ?? `#${frame.room}`;
    return frame.text === ''
      ? [numericReply(this.info.server, this.nick, RPL_NOTOPIC, channel, 'No topic is set')]
      : [numericReply(this.info.server, this.nick, RPL_TOPIC, channel, ircTextLines(frame.text, 300)[0] ?? '')];
  }

  /** What the connection reads last before a QUIT closes it (RFC 2812 §3.1.7). */
  goodbye(): Buffer {
    return this.#serialize([ircClosingError('Closing link: Quit')]);
  }

  /** IRCv3 echo-message: the sender's own message, as the others got it (msgid, time). */
  #echo(echo: ServerFrame | EncodedFrame | undefined): void {
    if (echo === undefined || !this.caps.has('echo-message')) return;
    const frame = echo instanceof EncodedFrame ? echo.frame : echo;
    // A DM to oneself is delivered like any other (hub.onDm); an echo would show it twice.
    if (frame.type === 'dm' && frame.to.toLowerCase() === this.nick.toLowerCase()) return;
    this.reply(renderIrc(frame, this.#context()));
  }

  #renderAnswer(frame: ServerFrame, request: IrcRequest | undefined): IrcMessage[] {
    const ctx = this.#context();
    switch (frame.type) {
      case 'welcome':
        return this.#welcome(frame);
      case 'error':
        if (request?.command === 'JOIN' && request.room !== undefined) this.#joined(request.room);
        if (frame.code === 'nick_taken' && request?.command === 'NICK' && request.renameFrom === undefined)
          this.#registration.nickRejected();
        return this.#errorReplies(frame.code, frame.message, request);
      case 'history':
        return historyAnswer(frame, request, ctx);
      default:
        return renderIrc(frame, ctx, request ?? {});
    }
  }

  #errorReplies(code: string, message: string, request: IrcRequest | undefined): IrcMessage[] {
    if (request?.command === 'CHATHISTORY') return historyError(this.info.server, code as ErrorCode, message, request);
    // A refused rename other than a taken or bad nick (sign-in forbids it, one per 10 s): in words.
    if (request?.renameFrom !== undefined && code !== 'nick_taken' && code !== 'invalid_nick')
      return ircErrorReplies(this.info.server, this.nick, 'rename', `${code}: ${message}`);
    return ircErrorReplies(this.info.server, this.nick, code, message, request ?? {});
  }

  /** 001–005, LUSERS, then the MOTD or 422: what clients wait for before they JOIN. */
  #welcome(frame: WelcomeFrame): IrcMessage[] {
    const { server, network, host, version, created, motd } = this.info;
    const { ctx } = this.#host;
    const nick = frame.nick;
    return [
      ...welcomeReplies(server, {
        network,
        nick,
        mask: userMask(nick, host),
        version,
        created,
        isupport: isupportTokens({ network, maxRoomsPerConnection: frame.limits.maxRooms }),
      }),
      ...lusersReplies(server, nick, {
        users: ctx.hub.nickCount,
        channels: ctx.hub.rooms.size,
        localClients: ctx.sessions.size,
      }),
      ...motdReplies(server, nick, motd),
    ];
  }

  #take(id: Id | undefined): IrcRequest | undefined {
    if (id === undefined) return undefined;
    const request = this.#requests.get(id);
    this.#requests.delete(id);
    return request;
  }

  #variant(): number {
    const caps = this.caps;
    return (caps.has('server-time') ? SERVER_TIME : 0) | (caps.has('message-tags') ? MESSAGE_TAGS : 0);
  }

  #context(): IrcRenderContext {
    return { info: this.info, nick: this.nick, caps: this.caps };
  }

  #serialize(messages: readonly IrcMessage[]): Buffer {
    return serializeAll(messages, this.#host.ctx);
  }
}

/** Messages as CR LF lines; one the codec cannot write is a server bug, logged and left out. */
function serializeAll(messages: readonly IrcMessage[], ctx: ServerContext): Buffer {
  let out = '';
  for (const message of messages) {
    const result = serializeIrcMessage(message);
    if (result.ok) out += result.line;
    else ctx.log.error({ code: result.code, command: message.command }, 'IRC reply not serializable');
  }
  return Buffer.from(out);
}

/** Per server (its name is in every prefix) and capability set, one EncodedFrame cache slot. */
const broadcastRenderers = new WeakMap<IrcServerInfo, FrameRenderer[]>();

function broadcastRenderer(info: IrcServerInfo, variant: number, ctx: ServerContext): FrameRenderer {
  let renderers = broadcastRenderers.get(info);
  if (renderers === undefined) {
    renderers = VARIANT_CAPS.map((caps) => {
      // `*` is no one's nick: a broadcast is rendered as someone else's message.
      const renderCtx: IrcRenderContext = { info, nick: '*', caps: new Set(caps) };
      return { slot: renderSlot(), render: (encoded) => serializeAll(renderIrc(encoded.frame, renderCtx), ctx) };
    });
    broadcastRenderers.set(info, renderers);
  }
  return renderers[variant]!;
}

/**
 * IRCv3 standard replies for CHATHISTORY (https://ircv3.net/specs/extensions/chathistory,
 * "Errors and Warnings"): a room the reader may not read is INVALID_TARGET; others are the
 * generic MESSAGE_ERROR with loopchat's message.
 */
function historyError(server: string, code: ErrorCode, message: string, request: IrcRequest): IrcMessage[] {
  const target = request.target ?? '*';
  const fail = code === 'not_in_room' || code === 'forbidden' ? 'INVALID_TARGET' : 'MESSAGE_ERROR';
  const text = ircTextLines(message, 300)[0] ?? code;
  return [{ prefix: server, command: 'FAIL', params: ['CHATHISTORY', fail, target, text] }];
}
