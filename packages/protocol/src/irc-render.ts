/**
 * loopchat server frames as IRC messages for one reader, given the capabilities it enabled.
 *
 *   msg      → PRIVMSG #room   (@time, @msgid=<room>-<seq> with server-time / message-tags)
 *   dm       → PRIVMSG nick
 *   presence → JOIN / PART / QUIT (a leave with `quit`) / NICK (a rename)
 *   history  → PRIVMSGs, inside `BATCH chathistory` when the reader has `batch`
 *   members  → 353/366 (NAMES) or 352/315 when the request was WHO
 *   rooms    → 322/323 (LIST)       notice → NOTICE      error → irc-error-replies.ts
 *   welcome  → 001–005 and the MOTD   ping → PING        pong → PONG     ack → nothing
 *
 * Specs: RFC 2812 §3.3 (PRIVMSG, NOTICE); IRCv3 server-time, message-ids, echo-message,
 * batch, labeled-response (https://ircv3.net/irc/). Pure: the adapter serializes the result.
 */
import type { DeleteFrame, DmFrame, ModFrame, MsgFrame, ServerFrame, TopicFrame } from './frames.js';
import { ircNamesEqual, roomToChannel } from './irc-casemapping.js';
import { ircErrorReplies, type IrcRequestContext } from './irc-error-replies.js';
import { isupportTokens } from './irc-isupport.js';
import { IRC_MAX_BODY_BYTES, type IrcMessage } from './irc-message.js';
import { listReplies, motdReplies, namesReplies, welcomeReplies, whoReplies } from './irc-numerics.js';
import { ACTION_PREFIX, ircTextLines } from './irc-text.js';
import { ROOM_PATTERN } from './limits.js';

/** What is the same for every reader: built once by the adapter. */
export interface IrcServerInfo {
  /** The server's name in prefixes (`:server 001 …`). */
  server: string;
  network: string;
  /** The host part of every user mask (`nick!nick@host`): loopchat does not reveal addresses. */
  host: string;
  version: string;
  /** When the server started, as shown in 003. */
  created: string;
  /** Message of the day, one entry per line; empty sends 422. */
  motd: readonly string[];
}

export interface IrcRenderContext {
  info: IrcServerInfo;
  /** The reader's nick. */
  nick: string;
  /** The reader's enabled capabilities (IrcRegistration.caps). */
  caps: ReadonlySet<string>;
}

/** `nick!nick@host`: loopchat has no idents, so the user part is the nick. */
export function userMask(nick: string, host: string): string {
  return `${nick}!${nick}@${host}`;
}

/** IRCv3 message-ids: `<room>-<seq>` is unique on the network and tells history where a message stands. */
export function messageId(room: string, seq: number): string {
  return `${room}-${seq}`;
}

/**
 * The room and seq a msgid names (CHATHISTORY `msgid=` selectors), or undefined. Room names
 * may hold `-`, seqs never do: the last `-` splits them.
 */
export function parseMessageId(msgid: string): { room: string; seq: number } | undefined {
  const dash = msgid.lastIndexOf('-');
  const room = msgid.slice(0, dash);
  const digits = msgid.slice(dash + 1);
  if (dash < 1 || !/^[0-9]{1,15}$/.test(digits) || !ROOM.test(room)) return undefined;
  return { room: room.toLowerCase(), seq: Number(digits) };
}

const ROOM = new RegExp(ROOM_PATTERN);

/** The reason every QUIT carries: loopchat's own, never one a user typed. */
export const QUIT_REASON = 'Quit';

/**
 * The IRC messages `frame` becomes for this reader. `request` names the command the frame
 * answers (the adapter keeps it by the frame's `id`): it picks WHO over NAMES and the
 * subject of an error numeric.
 */
export function renderIrc(frame: ServerFrame, ctx: IrcRenderContext, request: IrcRequestContext = {}): IrcMessage[] {
  const { info, nick } = ctx;
  switch (frame.type) {
    case 'welcome':
      return [
        ...welcomeReplies(info.server, {
          network: info.network,
          nick: frame.nick,
          mask: userMask(frame.nick, info.host),
          version: info.version,
          created: info.created,
          isupport: isupportTokens({ network: info.network, maxRoomsPerConnection: frame.limits.maxRooms }),
        }),
        ...motdReplies(info.server, frame.nick, info.motd),
      ];
    case 'msg':
      return renderMsg(frame, ctx);
    case 'dm':
      return renderDm(frame, ctx);
    case 'presence':
      if (frame.event === 'rename') {
        return [{ prefix: userMask(frame.old ?? frame.nick, info.host), command: 'NICK', params: [frame.nick] }];
      }
      if (frame.quit === true) {
        // RFC 2812 §3.1.7: one QUIT for a user gone from every channel. Never the user's own
        // reason: it would reach the channels without passing moderation. The adapter sends
        // it once per connection though a presence comes from every shared room.
        return [{ prefix: userMask(frame.nick, info.host), command: 'QUIT', params: [QUIT_REASON] }];
      }
      return [
        {
          prefix: userMask(frame.nick, info.host),
          command: frame.event === 'join' ? 'JOIN' : 'PART',
          params: [roomToChannel(frame.room)],
        },
      ];
    case 'mod':
    case 'topic':
    case 'delete':
      return renderRoomEvent(frame, ctx);
    case 'history':
      return renderHistory(frame.room, frame.messages, ctx, frame.id);
    case 'members': {
      const channel = roomToChannel(frame.room);
      return request.command === 'WHO'
        ? whoReplies(info.server, nick, channel, frame.nicks, info.host)
        : namesReplies(info.server, nick, channel, withOpPrefix(frame.nicks, frame.ops));
    }
    case 'rooms':
      return listReplies(
        info.server,
        nick,
        frame.rooms.map((r) => ({ channel: roomToChannel(r.room), members: r.members })),
      );
    case 'notice': {
      const target = frame.room === undefined ? nick : roomToChannel(frame.room);
      return textMessages(info.server, 'NOTICE', target, frame.text, timeTags(ctx, frame.ts));
    }
    case 'error':
      return ircErrorReplies(info.server, nick, frame.code, frame.message, request);
    case 'ping':
      return [{ command: 'PING', params: [info.server] }];
    case 'pong':
      // The adapter passes a client's PING token as the ping's id, so PONG can return it (RFC 2812 §3.7.3).
      return [
        {
          prefix: info.server,
          command: 'PONG',
          params: [info.server, frame.id === undefined ? info.server : String(frame.id)],
        },
      ];
    case 'typing':
      // IRCv3 carries typing as a `+typing` client tag on TAGMSG, which needs message-tags
      // and a TAGMSG path in the adapter; until then IRC readers see nothing, like text mode.
      return [];
    case 'ack':
      // IRC has no acknowledgement: the echo (echo-message) or nothing is the answer. A
      // labeled-response `ACK` for commands with no other answer is the adapter's, which
      // knows what the id was for.
      return [];
  }
}

/**
 * Own messages come back only with echo-message (IRCv3 echo-message: without it, a client
 * shows what it sent itself and an echo would show twice). The echo carries the client's
 * label (labeled-response), which the adapter used as the loopchat id. The core answers a
 * sender with an `ack`, not its own `msg`: the adapter builds the echo frame from the ack
 * (seq, ts) and the text it sent, and renders it here like any other.
 */
function renderMsg(frame: MsgFrame, ctx: IrcRenderContext): IrcMessage[] {
  const own = ircNamesEqual(frame.from, ctx.nick);
  if (own && !ctx.caps.has('echo-message')) return [];
  const tags = { ...timeTags(ctx, frame.ts), ...idTags(ctx, frame.room, frame.seq) };
  if (own) Object.assign(tags, labelTags(ctx, frame.id));
  const channel = roomToChannel(frame.room);
  return textMessages(userMask(frame.from, ctx.info.host), 'PRIVMSG', channel, frame.text, tags, frame.action === true);
}

/** IRC channel modes for loopchat's room roles and restrictions (`+q` is the quiet list of ircd-seven and Ergo). */
const MODE_OF: Partial<Record<ModFrame['action'], string>> = {
  op: '+o',
  deop: '-o',
  ban: '+b',
  unban: '-b',
  mute: '+q',
  unmute: '-q',
};

/**
 * Room moderation as IRC shows it (RFC 2812 §3.2.4 TOPIC, §3.2.8 KICK, §3.2.3 MODE); what
 * IRC has no command for (slow mode, a deleted message) is a NOTICE to the channel.
 */
function renderRoomEvent(frame: ModFrame | TopicFrame | DeleteFrame, ctx: IrcRenderContext): IrcMessage[] {
  const channel = roomToChannel(frame.room);
  const { server, host } = ctx.info;
  if (frame.type === 'topic') {
    return [
      {
        prefix: frame.by === undefined ? server : userMask(frame.by, host),
        command: 'TOPIC',
        params: [channel, frame.text],
      },
    ];
  }
  const by = frame.by === '*' ? server : userMask(frame.by, host);
  if (frame.type === 'delete') {
    return textMessages(server, 'NOTICE', channel, `${frame.by} deleted message ${messageId(frame.room, frame.seq)}`, {});
  }
  if (frame.action === 'kick' && frame.nick !== undefined) {
    return [{ prefix: by, command: 'KICK', params: [channel, frame.nick, frame.reason ?? frame.by] }];
  }
  const mode = MODE_OF[frame.action];
  if (mode !== undefined && frame.nick !== undefined) {
    const subject = mode.endsWith('o') ? frame.nick : `${frame.nick}!*@*`;
    return [{ prefix: by, command: 'MODE', params: [channel, mode, subject] }];
  }
  const what = frame.action === 'slow' ? `slow mode: ${frame.seconds ?? 0} s` : frame.action;
  return textMessages(server, 'NOTICE', channel, `${frame.by}: ${what}`, {});
}

/** A DM to oneself is delivered once (as to anyone else); one to another is echoed only with echo-message. */
function renderDm(frame: DmFrame, ctx: IrcRenderContext): IrcMessage[] {
  const own = ircNamesEqual(frame.from, ctx.nick);
  const toSelf = ircNamesEqual(frame.to, ctx.nick);
  if (own && !toSelf && !ctx.caps.has('echo-message')) return [];
  const tags = timeTags(ctx, frame.ts);
  if (own) Object.assign(tags, labelTags(ctx, frame.id));
  // DMs have no action flag: an IRC client's ACTION to a nick travels as `/me ` text (irc-text.ts).
  const action = frame.text.startsWith(ACTION_PREFIX);
  const text = action ? frame.text.slice(ACTION_PREFIX.length) : frame.text;
  return textMessages(userMask(frame.from, ctx.info.host), 'PRIVMSG', frame.to, text, tags, action);
}

/**
 * IRCv3 chathistory answers in a `chathistory` batch when the reader has `batch`. Its own
 * messages are included whatever echo-message says: history is the record, not an echo.
 * The batch is opened and closed in one answer, so no two are ever open at once on a
 * connection and a reference built from the room and first seq cannot collide.
 */
function renderHistory(
  room: string,
  messages: readonly MsgFrame[],
  ctx: IrcRenderContext,
  id?: string | number,
): IrcMessage[] {
  const channel = roomToChannel(room);
  const lines: IrcMessage[] = [];
  const batch = ctx.caps.has('batch') ? `h${messages[0]?.seq ?? 0}` : undefined;
  for (const m of messages) {
    const tags: Record<string, string> = { ...timeTags(ctx, m.ts), ...idTags(ctx, m.room, m.seq) };
    if (batch !== undefined) tags['batch'] = batch;
    lines.push(...textMessages(userMask(m.from, ctx.info.host), 'PRIVMSG', channel, m.text, tags, m.action === true));
  }
  if (batch === undefined) return lines;
  return [
    withTags(labelTags(ctx, id), {
      prefix: ctx.info.server,
      command: 'BATCH',
      params: [`+${batch}`, 'chathistory', channel],
    }),
    ...lines,
    { prefix: ctx.info.server, command: 'BATCH', params: [`-${batch}`] },
  ];
}

/**
 * A text as one or more PRIVMSG or NOTICE lines (irc-text.ts): each fits 510 bytes with its
 * prefix, command and target. The first carries every tag; the others only `time` and
 * `batch`, since a msgid or label must name one message.
 */
function textMessages(
  prefix: string,
  command: string,
  target: string,
  text: string,
  tags: Record<string, string>,
  action = false,
): IrcMessage[] {
  const budget =
    IRC_MAX_BODY_BYTES - Buffer.byteLength(`:${prefix} ${command} ${target} :`) - (action ? ACTION_FRAME_BYTES : 0);
  const rest: Record<string, string> = {};
  if (tags['time'] !== undefined) rest['time'] = tags['time'];
  if (tags['batch'] !== undefined) rest['batch'] = tags['batch'];
  return ircTextLines(text, budget).map((piece, i) =>
    withTags(i === 0 ? tags : rest, {
      prefix,
      command,
      params: [target, action ? `\x01ACTION ${piece}\x01` : piece],
    }),
  );
}

/** `\x01ACTION ` and the closing `\x01`. */
const ACTION_FRAME_BYTES = 9;

function withTags(tags: Record<string, string>, message: IrcMessage): IrcMessage {
  return Object.keys(tags).length === 0 ? message : { tags, ...message };
}

/** IRCv3 server-time: `time=YYYY-MM-DDThh:mm:ss.sssZ`, the time loopchat sequenced the message. */
function timeTags(ctx: IrcRenderContext, ts: number): Record<string, string> {
  return ctx.caps.has('server-time') ? { time: new Date(ts).toISOString() } : {};
}

/** IRCv3 message-ids: sent to clients that enabled message-tags. */
function idTags(ctx: IrcRenderContext, room: string, seq: number): Record<string, string> {
  return ctx.caps.has('message-tags') ? { msgid: messageId(room, seq) } : {};
}

function labelTags(ctx: IrcRenderContext, id: string | number | undefined): Record<string, string> {
  return id !== undefined && ctx.caps.has('labeled-response') ? { label: String(id) } : {};
}

/** NAMES shows a room's operators with ISUPPORT's PREFIX=(o)@ (RFC 2812 §3.2.5, RPL_NAMREPLY). */
function withOpPrefix(nicks: readonly string[], ops: readonly string[] | undefined): readonly string[] {
  if (ops === undefined || ops.length === 0) return nicks;
  const op = new Set(ops);
  return nicks.map((n) => (op.has(n) ? `@${n}` : n));
}
