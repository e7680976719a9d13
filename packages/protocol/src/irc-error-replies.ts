/**
 * Every loopchat ErrorCode (errors.ts) as an IRC answer: a numeric when RFC 2812 §5.2 (or
 * IRCv3) has one that a client will act on, a NOTICE when none fits, and ERROR (RFC 2812
 * §3.7.4) for the codes after which loopchat closes the connection, since that is what an
 * IRC client expects to read last. In every case the text is loopchat's human message, not
 * the RFC's wording: it says more (which limit, which rule).
 */
import type { ErrorCode } from './errors.js';
import type { IrcMessage } from './irc-message.js';
import { ircTextLines, sanitizeForIrc } from './irc-text.js';
import {
  ERR_CANNOTSENDTOCHAN,
  ERR_ALREADYREGISTERED,
  ERR_BANNEDFROMCHAN,
  ERR_CHANOPRIVSNEEDED,
  ERR_NOPRIVILEGES,
  ERR_USERNOTINCHANNEL,
  ERR_ERRONEUSNICKNAME,
  ERR_INVITEONLYCHAN,
  ERR_NEEDMOREPARAMS,
  ERR_NICKNAMEINUSE,
  ERR_NOSUCHCHANNEL,
  ERR_NOSUCHNICK,
  ERR_NOTONCHANNEL,
  ERR_NOTREGISTERED,
  ERR_PASSWDMISMATCH,
  ERR_TOOMANYCHANNELS,
  ERR_UNKNOWNCOMMAND,
  NO_NICK,
  ircClosingError,
  numericReply,
  ircServerNotice,
} from './irc-numerics.js';

/** What a numeric names before its text (RFC 2812 §5.2): nothing, the failed command, or the nick or channel it named. */
export type IrcErrorSubject = 'none' | 'command' | 'target';

export type IrcErrorRule =
  | { readonly kind: 'numeric'; readonly numeric: string; readonly subject: IrcErrorSubject }
  | { readonly kind: 'notice' }
  | { readonly kind: 'error' };

const notice = { kind: 'notice' } as const;
const close = { kind: 'error' } as const;
const n = (code: string, subject: IrcErrorSubject): IrcErrorRule => ({ kind: 'numeric', numeric: code, subject });

/** The table the README shows. A mapped type: adding an ErrorCode without a rule does not compile. */
export const IRC_ERROR_RULES: { readonly [C in ErrorCode]: IrcErrorRule } = {
  line_too_long: close,
  invalid_json: notice,
  invalid_frame: notice,
  unknown_type: n(ERR_UNKNOWNCOMMAND, 'command'),
  forbidden_key: notice,
  text_too_long: notice,
  invalid_nick: n(ERR_ERRONEUSNICKNAME, 'target'),
  invalid_room: n(ERR_NOSUCHCHANNEL, 'target'),
  binary_not_supported: notice,
  unknown_command: n(ERR_UNKNOWNCOMMAND, 'command'),
  missing_argument: n(ERR_NEEDMOREPARAMS, 'command'),
  not_registered: n(ERR_NOTREGISTERED, 'none'),
  // PASS or SASL carried the token; loopchat closes, so ERROR follows (ircErrorReplies).
  unauthorized: n(ERR_PASSWDMISMATCH, 'none'),
  // A private room is invite-only in IRC terms.
  forbidden: n(ERR_INVITEONLYCHAN, 'target'),
  already_registered: n(ERR_ALREADYREGISTERED, 'none'),
  nick_taken: n(ERR_NICKNAMEINUSE, 'target'),
  // 404 for PRIVMSG; PART gets 442 (ircErrorReplies).
  not_in_room: n(ERR_CANNOTSENDTOCHAN, 'target'),
  no_such_nick: n(ERR_NOSUCHNICK, 'target'),
  too_many_rooms: n(ERR_TOOMANYCHANNELS, 'target'),
  // ircd-style: a message refused by a channel's rules is a 404 with the reason.
  filtered: n(ERR_CANNOTSENDTOCHAN, 'target'),
  // Room moderation: the numerics ircd operators and clients already know.
  not_op: n(ERR_CHANOPRIVSNEEDED, 'target'),
  not_admin: n(ERR_NOPRIVILEGES, 'none'),
  banned: n(ERR_BANNEDFROMCHAN, 'target'),
  muted: n(ERR_CANNOTSENDTOCHAN, 'target'),
  slow_mode: n(ERR_CANNOTSENDTOCHAN, 'target'),
  not_member: n(ERR_USERNOTINCHANNEL, 'target'),
  no_such_message: notice,
  list_full: notice,
  not_author: n(ERR_CHANOPRIVSNEEDED, 'target'),
  // IRC servers throttle silently (fake lag); loopchat drops the line, so it says so.
  rate_limited: notice,
  slow_consumer: close,
  idle_timeout: close,
  server_full: close,
  too_many_connections: close,
  kicked: close,
  shutdown: close,
  unavailable: notice,
  internal: notice,
};

/** What the adapter kept about the request a frame answers: the IRC command and the nick or channel it named. */
export interface IrcRequestContext {
  /** The IRC command, e.g. `PRIVMSG`. */
  command?: string;
  /** The nick or `#channel` the command named. */
  target?: string;
}

/**
 * Whether loopchat closes the connection after this error, so the adapter sends ERROR last
 * and ends. `unauthorized` closes but keeps its numeric (464) before the ERROR, for clients
 * that show why their password was refused.
 */
export function isClosingError(code: string): boolean {
  return (
    code === 'unauthorized' || (Object.hasOwn(IRC_ERROR_RULES, code) && IRC_ERROR_RULES[code as ErrorCode].kind === 'error')
  );
}

/**
 * The IRC lines for a loopchat error frame sent to `nick` (`*` before registration). An
 * unknown code (a newer server core) becomes a NOTICE. A closing code ends with ERROR.
 * The message is sanitized (irc-text.ts) and cut to ERROR_TEXT_BYTES: an operator's kick
 * reason can be long, and a reply must still fit 510 bytes with the longest subject.
 */
export function ircErrorReplies(
  server: string,
  nick: string,
  code: string,
  message: string,
  context: IrcRequestContext = {},
): IrcMessage[] {
  const text = fitErrorText(code, message);
  const rule: IrcErrorRule = Object.hasOwn(IRC_ERROR_RULES, code) ? IRC_ERROR_RULES[code as ErrorCode] : notice;
  const replies: IrcMessage[] = [];
  if (rule.kind === 'notice') replies.push(ircServerNotice(server, nick, `${code}: ${text}`));
  else if (rule.kind === 'numeric') {
    const command = code === 'not_in_room' && context.command === 'PART' ? ERR_NOTONCHANNEL : rule.numeric;
    const subject = rule.subject === 'command' ? context.command : rule.subject === 'target' ? context.target : undefined;
    replies.push(
      rule.subject === 'none'
        ? numericReply(server, nick, command, text)
        : numericReply(server, nick, command, subject ?? NO_NICK, text),
    );
  }
  if (isClosingError(code)) replies.push(ircClosingError(`Closing link: ${text}`));
  return replies;
}

/** Room for the text of an error reply: 510 bytes less prefix, numeric, nick and a channel or command. */
const ERROR_TEXT_BYTES = 300;

function fitErrorText(code: string, message: string): string {
  return ircTextLines(sanitizeForIrc(message), ERROR_TEXT_BYTES)[0] ?? code;
}
