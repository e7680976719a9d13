/**
 * The numeric replies the IRC adapter sends, named as in RFC 2812 §5 and
 * https://modern.ircdocs.horse/#numerics, with builders that return an IrcMessage.
 *
 * Every numeric has the same shape (RFC 2812 §2.4): `:server NNN <target> <fields…>`, where
 * the target is the client's nick, or `*` before it has one. So one builder, `numericReply()`,
 * makes them all; the named builders below only fix the fields and the RFC's wording, and
 * the few replies that must be split to fit 510 bytes (NAMES, ISUPPORT) build several.
 */
import { IRC_MAX_BODY_BYTES, type IrcMessage } from './irc-message.js';

// Registration (RFC 2812 §5.1; 005 is ISUPPORT, https://modern.ircdocs.horse/#rplisupport-005)
export const RPL_WELCOME = '001';
export const RPL_YOURHOST = '002';
export const RPL_CREATED = '003';
export const RPL_MYINFO = '004';
export const RPL_ISUPPORT = '005';
// LUSERS (RFC 2812 §3.4.2)
export const RPL_LUSERCLIENT = '251';
export const RPL_LUSEROP = '252';
export const RPL_LUSERUNKNOWN = '253';
export const RPL_LUSERCHANNELS = '254';
export const RPL_LUSERME = '255';
// Queries
export const RPL_UMODEIS = '221';
export const RPL_ENDOFWHO = '315';
export const RPL_LIST = '322';
export const RPL_LISTEND = '323';
export const RPL_CHANNELMODEIS = '324';
export const RPL_NOTOPIC = '331';
export const RPL_TOPIC = '332';
export const RPL_WHOREPLY = '352';
export const RPL_NAMREPLY = '353';
export const RPL_ENDOFNAMES = '366';
export const RPL_ENDOFBANLIST = '368';
export const RPL_MOTD = '372';
export const RPL_MOTDSTART = '375';
export const RPL_ENDOFMOTD = '376';
// Errors (RFC 2812 §5.2; 417 is from modern.ircdocs.horse)
export const ERR_NOSUCHNICK = '401';
export const ERR_NOSUCHCHANNEL = '403';
export const ERR_CANNOTSENDTOCHAN = '404';
export const ERR_TOOMANYCHANNELS = '405';
export const ERR_NORECIPIENT = '411';
export const ERR_NOTEXTTOSEND = '412';
export const ERR_INVALIDCAPCMD = '410';
export const ERR_INPUTTOOLONG = '417';
export const ERR_UNKNOWNCOMMAND = '421';
export const ERR_NOMOTD = '422';
export const ERR_NONICKNAMEGIVEN = '431';
export const ERR_ERRONEUSNICKNAME = '432';
export const ERR_NICKNAMEINUSE = '433';
export const ERR_USERNOTINCHANNEL = '441';
export const ERR_NOTONCHANNEL = '442';
export const ERR_NOTREGISTERED = '451';
export const ERR_NEEDMOREPARAMS = '461';
export const ERR_ALREADYREGISTERED = '462';
export const ERR_PASSWDMISMATCH = '464';
export const ERR_UNKNOWNMODE = '472';
export const ERR_INVITEONLYCHAN = '473';
export const ERR_BANNEDFROMCHAN = '474';
export const ERR_NOPRIVILEGES = '481';
export const ERR_CHANOPRIVSNEEDED = '482';
export const ERR_USERSDONTMATCH = '502';
// SASL (https://ircv3.net/specs/extensions/sasl-3.1)
export const RPL_LOGGEDIN = '900';
export const RPL_SASLSUCCESS = '903';
export const ERR_SASLFAIL = '904';
export const ERR_SASLTOOLONG = '905';
export const ERR_SASLABORTED = '906';
export const RPL_SASLMECHS = '908';

/** The target of a numeric for a client that has no nick yet (modern.ircdocs.horse, "Numerics"). */
export const NO_NICK = '*';

/** `:server NNN target fields…`: the shape of every numeric reply. */
export function numericReply(server: string, target: string, code: string, ...fields: string[]): IrcMessage {
  return { prefix: server, command: code, params: [target, ...fields] };
}

/** A server NOTICE (RFC 2812 §3.3.2), for what has no numeric: the human message is the text. */
export function ircServerNotice(server: string, target: string, text: string): IrcMessage {
  return { prefix: server, command: 'NOTICE', params: [target, text] };
}

/** `ERROR :reason` (RFC 2812 §3.7.4): what a server sends just before it closes a connection. */
export function ircClosingError(reason: string): IrcMessage {
  return { command: 'ERROR', params: [reason] };
}

export interface WelcomeFields {
  network: string;
  nick: string;
  /** `nick!user@host`, as the client will see itself in prefixes. */
  mask: string;
  version: string;
  /** When the server started, as text (RFC 2812 leaves the format free). */
  created: string;
  /** ISUPPORT tokens (irc-isupport.ts). */
  isupport: readonly string[];
}

/**
 * 001–005: what a client waits for to know it is registered. 004 names only the modes
 * loopchat behaves as, none of which a client can set: users are `i` (no global WHO), rooms
 * `n` and `t` (324 says the same; ISUPPORT CHANMODES lists no settable mode).
 */
export function welcomeReplies(server: string, f: WelcomeFields): IrcMessage[] {
  return [
    numericReply(server, f.nick, RPL_WELCOME, `Welcome to the ${f.network} IRC network ${f.mask}`),
    numericReply(server, f.nick, RPL_YOURHOST, `Your host is ${server}, running version ${f.version}`),
    numericReply(server, f.nick, RPL_CREATED, `This server was created ${f.created}`),
    numericReply(server, f.nick, RPL_MYINFO, server, f.version, 'i', 'nt'),
    ...isupportReplies(server, f.nick, f.isupport),
  ];
}

/** https://modern.ircdocs.horse/#rplisupport-005: at most 13 tokens per line (15 params with target and text). */
export function isupportReplies(server: string, nick: string, tokens: readonly string[]): IrcMessage[] {
  const replies: IrcMessage[] = [];
  for (let i = 0; i < tokens.length; i += 13) {
    replies.push(numericReply(server, nick, RPL_ISUPPORT, ...tokens.slice(i, i + 13), 'are supported by this server'));
  }
  return replies;
}

export interface LusersFields {
  users: number;
  channels: number;
  /** Connections on this server (cluster mode: this instance). */
  localClients: number;
}

/** RFC 2812 §3.4.2 LUSERS. loopchat has no operators and no unregistered count worth telling: 252/253 say 0. */
export function lusersReplies(server: string, nick: string, f: LusersFields): IrcMessage[] {
  return [
    numericReply(server, nick, RPL_LUSERCLIENT, `There are ${f.users} users and 0 services on 1 servers`),
    numericReply(server, nick, RPL_LUSEROP, '0', 'operator(s) online'),
    numericReply(server, nick, RPL_LUSERUNKNOWN, '0', 'unknown connection(s)'),
    numericReply(server, nick, RPL_LUSERCHANNELS, String(f.channels), 'channels formed'),
    numericReply(server, nick, RPL_LUSERME, `I have ${f.localClients} clients and 1 servers`),
  ];
}

/** 375/372…/376, or 422 when there is no MOTD (RFC 2812 §3.4.1). */
export function motdReplies(server: string, nick: string, lines: readonly string[]): IrcMessage[] {
  if (lines.length === 0) return [numericReply(server, nick, ERR_NOMOTD, 'MOTD File is missing')];
  return [
    numericReply(server, nick, RPL_MOTDSTART, `- ${server} Message of the day - `),
    ...lines.map((line) => numericReply(server, nick, RPL_MOTD, `- ${line}`)),
    numericReply(server, nick, RPL_ENDOFMOTD, 'End of MOTD command'),
  ];
}

export function topicReply(server: string, nick: string, channel: string, topic: string): IrcMessage {
  return numericReply(server, nick, RPL_TOPIC, channel, topic);
}

/**
 * 353… then 366 (RFC 2812 §3.2.5). Nicks are packed into as few 353 lines as fit in 510
 * bytes; `=` marks a public channel, `@` a secret one (a private room).
 */
export function namesReplies(
  server: string,
  nick: string,
  channel: string,
  nicks: readonly string[],
  isPrivate = false,
): IrcMessage[] {
  const symbol = isPrivate ? '@' : '=';
  // `:server 353 nick = #channel :` then the list; every piece here is ASCII, so length is bytes.
  const budget = IRC_MAX_BODY_BYTES - `:${server} ${RPL_NAMREPLY} ${nick} ${symbol} ${channel} :`.length;
  const replies: IrcMessage[] = [];
  let line = '';
  for (const member of nicks) {
    if (line !== '' && line.length + 1 + member.length > budget) {
      replies.push(numericReply(server, nick, RPL_NAMREPLY, symbol, channel, line));
      line = '';
    }
    line = line === '' ? member : `${line} ${member}`;
  }
  if (line !== '') replies.push(numericReply(server, nick, RPL_NAMREPLY, symbol, channel, line));
  replies.push(numericReply(server, nick, RPL_ENDOFNAMES, channel, 'End of NAMES list'));
  return replies;
}

/**
 * 352… then 315 (RFC 2812 §3.6.1). Every member is `H` (here): loopchat has no away state and
 * no operators. Hop count 0: everyone is on this network's one logical server.
 */
export function whoReplies(
  server: string,
  nick: string,
  channel: string,
  members: readonly string[],
  host: string,
): IrcMessage[] {
  return [
    ...members.map((member) =>
      numericReply(server, nick, RPL_WHOREPLY, channel, member, host, server, member, 'H', `0 ${member}`),
    ),
    numericReply(server, nick, RPL_ENDOFWHO, channel, 'End of WHO list'),
  ];
}

/** 322… then 323 (RFC 2812 §3.2.6). loopchat rooms have no topics: the topic field is empty. */
export function listReplies(
  server: string,
  nick: string,
  channels: readonly { channel: string; members: number }[],
): IrcMessage[] {
  return [
    ...channels.map((c) => numericReply(server, nick, RPL_LIST, c.channel, String(c.members), '')),
    numericReply(server, nick, RPL_LISTEND, 'End of LIST'),
  ];
}

/** MODE #channel: 324 with `+nt` (no outside messages, topic locked), the behaviour loopchat has. */
export function channelModeReply(server: string, nick: string, channel: string): IrcMessage {
  return numericReply(server, nick, RPL_CHANNELMODEIS, channel, '+nt');
}

/** MODE #channel b (clients ask on join): loopchat has no ban lists, so always the end of an empty one. */
export function endOfBanListReply(server: string, nick: string, channel: string): IrcMessage {
  return numericReply(server, nick, RPL_ENDOFBANLIST, channel, 'End of channel ban list');
}

/** RFC 2812 wording of the errors the registration and command handlers send. */
export const IRC_ERROR_TEXT: Readonly<Record<string, string>> = {
  [ERR_NOSUCHNICK]: 'No such nick/channel',
  [ERR_NOSUCHCHANNEL]: 'No such channel',
  [ERR_CANNOTSENDTOCHAN]: 'Cannot send to channel',
  [ERR_TOOMANYCHANNELS]: 'You have joined too many channels',
  [ERR_INVALIDCAPCMD]: 'Invalid CAP command',
  [ERR_NORECIPIENT]: 'No recipient given',
  [ERR_NOTEXTTOSEND]: 'No text to send',
  [ERR_INPUTTOOLONG]: 'Input line was too long',
  [ERR_UNKNOWNCOMMAND]: 'Unknown command',
  [ERR_NONICKNAMEGIVEN]: 'No nickname given',
  [ERR_ERRONEUSNICKNAME]: 'Erroneous nickname',
  [ERR_NICKNAMEINUSE]: 'Nickname is already in use',
  [ERR_NOTONCHANNEL]: "You're not on that channel",
  [ERR_NOTREGISTERED]: 'You have not registered',
  [ERR_NEEDMOREPARAMS]: 'Not enough parameters',
  [ERR_ALREADYREGISTERED]: 'Unauthorized command (already registered)',
  [ERR_PASSWDMISMATCH]: 'Password incorrect',
  [ERR_INVITEONLYCHAN]: 'Cannot join channel (+i)',
  [ERR_CHANOPRIVSNEEDED]: "You're not channel operator",
  [ERR_USERSDONTMATCH]: "Can't change mode for other users",
  [ERR_SASLFAIL]: 'SASL authentication failed',
  [ERR_SASLTOOLONG]: 'SASL message too long',
  [ERR_SASLABORTED]: 'SASL authentication aborted',
};

/** An error numeric with its RFC text: `numericError(s, n, ERR_NOSUCHNICK, 'bob')`, or without a subject. */
export function numericError(server: string, nick: string, code: string, subject?: string): IrcMessage {
  const text = IRC_ERROR_TEXT[code] ?? 'Error';
  return subject === undefined ? numericReply(server, nick, code, text) : numericReply(server, nick, code, subject, text);
}

/** 900 then 903 (IRCv3 SASL 3.1): the account is the nick the token was issued for. */
export function saslSuccessReplies(server: string, nick: string, mask: string, account: string): IrcMessage[] {
  return [
    numericReply(server, nick, RPL_LOGGEDIN, mask, account, `You are now logged in as ${account}`),
    numericReply(server, nick, RPL_SASLSUCCESS, 'SASL authentication successful'),
  ];
}
