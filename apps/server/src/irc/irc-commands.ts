/**
 * The commands of a registered IRC client, one handler each (RFC 2812 §3): those that need
 * the core become core frames (IrcDialect.request: JOIN → join, PRIVMSG → msg or dm, NAMES
 * and WHO → who, LIST → rooms, CHATHISTORY → history); the rest are answered here from what
 * loopchat is (no modes, no topics, no operators).
 *
 * A line pays one rate-limit token (IrcDialect.onLine); each further target of a
 * comma-separated list pays one more, so `JOIN #a,#b,#c` costs what three JSON joins cost.
 */
import {
  ACTION_PREFIX,
  ERR_NEEDMOREPARAMS,
  ERR_NORECIPIENT,
  ERR_NOSUCHNICK,
  ERR_NOTEXTTOSEND,
  ERR_UNKNOWNCOMMAND,
  ERR_UNKNOWNMODE,
  ERR_USERSDONTMATCH,
  NICK_PATTERN,
  RPL_ENDOFNAMES,
  RPL_ENDOFWHO,
  RPL_UMODEIS,
  channelModeReply,
  channelToRoom,
  checkNick,
  endOfBanListReply,
  ircNamesEqual,
  ircTextToLoopchat,
  lusersReplies,
  motdReplies,
  roomToChannel,
  type IrcMessage,
} from '@loopchat/protocol';
import { planChathistory } from './irc-chathistory.js';
import type { IrcDialect } from './irc-dialect.js';

type Handler = (irc: IrcDialect, params: readonly string[], command: string) => void;

const NICK = new RegExp(NICK_PATTERN);

const handlers: Readonly<Record<string, Handler>> = {
  JOIN(irc, params) {
    const list = params[0];
    if (list === undefined || list === '') return irc.numericError(ERR_NEEDMOREPARAMS, 'JOIN');
    // RFC 2812 §3.2.1: `JOIN 0` leaves every channel.
    if (list === '0') return partAll(irc);
    eachTarget(irc, list, (channel) => {
      const room = channelToRoom(channel);
      if (!room.ok) return irc.numeric(room.numeric, safe(channel), room.text);
      // Already there: IRC servers say nothing (a client re-joins on reconnect scripts).
      if (inRoom(irc, room.name)) return;
      irc.joining(room.name);
      irc.request({ type: 'join', room: room.name }, { command: 'JOIN', target: roomToChannel(room.name), room: room.name });
    });
  },

  PART(irc, params) {
    const list = params[0];
    if (list === undefined || list === '') return irc.numericError(ERR_NEEDMOREPARAMS, 'PART');
    eachTarget(irc, list, (channel) => {
      const room = channelToRoom(channel);
      if (!room.ok) return irc.numeric(room.numeric, safe(channel), room.text);
      irc.request(
        { type: 'leave', room: room.name },
        { command: 'PART', target: roomToChannel(room.name), room: room.name },
      );
    });
  },

  PRIVMSG: message,
  NOTICE: message,

  NAMES(irc, params) {
    const list = params[0];
    if (list === undefined || list === '') return irc.numeric(RPL_ENDOFNAMES, '*', 'End of NAMES list');
    eachTarget(irc, list, (channel) => {
      const room = channelToRoom(channel);
      if (!room.ok) return irc.numeric(RPL_ENDOFNAMES, safe(channel), 'End of NAMES list');
      irc.request({ type: 'who', room: room.name }, { command: 'NAMES', target: roomToChannel(room.name) });
    });
  },

  WHO(irc, params) {
    const mask = params[0] ?? '*';
    const room = channelToRoom(mask);
    // Only channel members are listed: loopchat users are +i (no global WHO, RFC 2812 §3.6.1).
    if (!room.ok) return irc.numeric(RPL_ENDOFWHO, safe(mask), 'End of WHO list');
    irc.request({ type: 'who', room: room.name }, { command: 'WHO', target: roomToChannel(room.name) });
  },

  /**
   * Queries are answered here so clients consider a channel synced (324, 368); changes are
   * room moderation (issue 16): +o/-o operator, +b/-b ban, +q/-q quiet (mute), each a core
   * command the room's state decides (482 when the sender is not an operator).
   */
  MODE(irc, params) {
    const target = params[0];
    if (target === undefined) return irc.numericError(ERR_NEEDMOREPARAMS, 'MODE');
    if (!target.startsWith('#')) {
      if (!ircNamesEqual(target, irc.nick)) return irc.numericError(ERR_USERSDONTMATCH);
      return irc.numeric(RPL_UMODEIS, '+i');
    }
    const room = channelToRoom(target);
    if (!room.ok) return irc.numeric(room.numeric, safe(target), room.text);
    const channel = roomToChannel(room.name);
    const modes = params[1];
    if (modes === undefined) return irc.reply([channelModeReply(irc.info.server, irc.nick, channel)]);
    if (/^[+]?[bq]$/.test(modes) && params.length === 2)
      return irc.reply([endOfBanListReply(irc.info.server, irc.nick, channel)]);
    changeModes(irc, room.name, channel, modes, params.slice(2));
  },

  /** RFC 2812 §3.2.4: the topic (332/331), or a new one (operators; the room tells every member). */
  TOPIC(irc, params) {
    const target = params[0];
    if (target === undefined) return irc.numericError(ERR_NEEDMOREPARAMS, 'TOPIC');
    const room = channelToRoom(target);
    if (!room.ok) return irc.numeric(room.numeric, safe(target), room.text);
    const channel = roomToChannel(room.name);
    const frame =
      params.length > 1 ? { type: 'topic', room: room.name, text: params[1] } : { type: 'topic', room: room.name };
    irc.request(frame, { command: 'TOPIC', target: channel, room: room.name });
  },

  /** RFC 2812 §3.2.8: `KICK #room nick [:reason]`; several nicks pay a token each. */
  KICK(irc, params) {
    const [target, nicks, reason] = params;
    if (target === undefined || nicks === undefined) return irc.numericError(ERR_NEEDMOREPARAMS, 'KICK');
    const room = channelToRoom(target);
    if (!room.ok) return irc.numeric(room.numeric, safe(target), room.text);
    const channel = roomToChannel(room.name);
    eachTarget(irc, nicks, (nick) => {
      if (!NICK.test(nick)) return irc.numericError(ERR_NOSUCHNICK, safe(nick));
      const kick = { type: 'kick', room: room.name, nick };
      irc.request(reason === undefined || reason === '' ? kick : { ...kick, reason }, {
        command: 'KICK',
        target: channel,
        room: room.name,
      });
    });
  },

  LIST(irc) {
    irc.request({ type: 'rooms' }, { command: 'LIST' });
  },

  CHATHISTORY(irc, params) {
    const plan = planChathistory(irc.info.server, params);
    if (!plan.ok) return irc.reply([plan.fail]);
    irc.request(plan.frame, plan.request);
  },

  PING(irc, params) {
    const token = params[0];
    if (token === undefined) return irc.numericError(ERR_NEEDMOREPARAMS, 'PING');
    irc.reply([{ prefix: irc.info.server, command: 'PONG', params: [irc.info.server, token] }]);
  },

  /** RFC 2812 §3.1.2 after registration: a rename, cluster-wide, like JSON's `nick`. */
  NICK(irc, params) {
    const checked = checkNick(params[0]);
    if (!checked.ok) return irc.numeric(checked.numeric, ...(params[0] ? [safe(params[0])] : []), checked.text);
    if (ircNamesEqual(checked.name, irc.nick)) return;
    irc.request({ type: 'nick', nick: checked.name }, { command: 'NICK', target: checked.name, renameFrom: irc.nick });
  },

  LUSERS(irc) {
    const { ctx } = irc.host;
    irc.reply(
      lusersReplies(irc.info.server, irc.nick, {
        users: ctx.hub.nickCount,
        channels: ctx.hub.rooms.size,
        localClients: ctx.sessions.size,
      }),
    );
  },

  MOTD(irc) {
    irc.reply(motdReplies(irc.info.server, irc.nick, irc.info.motd));
  },

  QUIT(irc) {
    irc.host.quit();
  },
};

/** A registered client's command (IrcRegistration handled the registration ones). */
export function runIrcCommand(irc: IrcDialect, message: IrcMessage): void {
  const handler = Object.hasOwn(handlers, message.command) ? handlers[message.command] : undefined;
  if (handler === undefined) return irc.numericError(ERR_UNKNOWNCOMMAND, message.command.slice(0, 32));
  handler(irc, message.params, message.command);
}

/**
 * PRIVMSG and NOTICE (RFC 2812 §3.3) to channels and nicks, several at once. NOTICE is a
 * message like any other here: loopchat has one kind of message. CTCP ACTION becomes a `/me`
 * action; other CTCP is refused (irc-text.ts), silently for a NOTICE (a CTCP reply).
 */
function message(irc: IrcDialect, params: readonly string[], command: string): void {
  const [list, raw] = params;
  if (list === undefined || list === '') return irc.numeric(ERR_NORECIPIENT, `No recipient given (${command})`);
  if (raw === undefined || raw === '') return irc.numericError(ERR_NOTEXTTOSEND);
  const text = ircTextToLoopchat(raw);
  if (!text.ok) {
    if (command === 'PRIVMSG') notice(irc, `CTCP ${text.ctcp} is not supported here; only ACTION (${ACTION_PREFIX.trim()})`);
    return;
  }
  eachTarget(irc, list, (target) => {
    if (target.startsWith('#')) {
      const room = channelToRoom(target);
      if (!room.ok) return irc.numeric(room.numeric, safe(target), room.text);
      const msg = { type: 'msg', room: room.name, text: text.text, ...(text.action ? { action: true } : {}) };
      return irc.request(msg, { command, target: roomToChannel(room.name) });
    }
    if (!NICK.test(target)) return irc.numericError(ERR_NOSUCHNICK, safe(target));
    irc.request(
      { type: 'dm', to: target, text: text.action ? `${ACTION_PREFIX}${text.text}` : text.text },
      { command, target },
    );
  });
}

/** Room moderation as modes: the letter and the core frames that set and unset it. */
const MODE_COMMANDS: Readonly<Record<string, readonly [set: string, unset: string]>> = {
  o: ['op', 'deop'],
  b: ['ban', 'unban'],
  q: ['mute', 'unmute'],
};

/** `+o-b alice bob`: each letter takes the next argument, a nick (a ban mask `nick!*@*` names its nick). */
function changeModes(irc: IrcDialect, room: string, channel: string, modes: string, args: readonly string[]): void {
  let set = true;
  let next = 0;
  let first = true;
  for (const letter of modes) {
    if (letter === '+' || letter === '-') {
      set = letter === '+';
      continue;
    }
    const commands = Object.hasOwn(MODE_COMMANDS, letter) ? MODE_COMMANDS[letter] : undefined;
    if (commands === undefined) return irc.numeric(ERR_UNKNOWNMODE, safe(letter), 'is unknown mode char to me');
    const arg = args[next++];
    if (arg === undefined) return irc.numericError(ERR_NEEDMOREPARAMS, 'MODE');
    const nick = arg.split('!')[0]!;
    if (!NICK.test(nick)) return irc.numericError(ERR_NOSUCHNICK, safe(arg));
    if (!first && !irc.spendToken()) return;
    first = false;
    irc.request({ type: set ? commands[0] : commands[1], room, nick }, { command: 'MODE', target: channel, room });
  }
}

function partAll(irc: IrcDialect): void {
  const rooms = [...irc.host.rooms].map((room) => room.name);
  rooms.forEach((room, i) => {
    if (i > 0 && !irc.spendToken()) return;
    irc.request({ type: 'leave', room }, { command: 'PART', target: roomToChannel(room), room });
  });
}

/** Runs `each` per comma-separated target; every target after the first pays a token. */
function eachTarget(irc: IrcDialect, list: string, each: (target: string) => void): void {
  const targets = list.split(',').filter((t) => t !== '');
  for (let i = 0; i < targets.length; i++) {
    if (i > 0 && !irc.spendToken()) return;
    each(targets[i]!);
  }
}

function inRoom(irc: IrcDialect, room: string): boolean {
  for (const r of irc.host.rooms) if (r.name === room) return true;
  return false;
}

function notice(irc: IrcDialect, text: string): void {
  irc.reply([{ prefix: irc.info.server, command: 'NOTICE', params: [irc.nick, text] }]);
}

/** A name the client sent, echoed in a numeric: no spaces or controls, short. */
function safe(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 64) || '*';
}
