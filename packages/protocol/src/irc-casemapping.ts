/**
 * IRC names ⇄ loopchat names: case folding, channel ↔ room, nick validity.
 *
 * CASEMAPPING=ascii (https://modern.ircdocs.horse/#casemapping-parameter): only A–Z fold
 * to a–z. loopchat names are ASCII letters, digits and `_ - .` (NICK_PATTERN, ROOM_PATTERN),
 * folded by the core with toLowerCase, which on those characters is exactly the ascii
 * mapping. The RFC 1459 default (`rfc1459`) also folds `[]\~` to `{}|^`; none of those can be
 * in a loopchat name, so advertising it would be true but would make clients fold strings
 * the server never compares. `ascii` says what the server does.
 */
import { NICK_PATTERN, ROOM_PATTERN } from './limits.js';
import { ERR_ERRONEUSNICKNAME, ERR_NONICKNAMEGIVEN, ERR_NOSUCHCHANNEL } from './irc-numerics.js';

/** The ISUPPORT value; see the file comment for why. */
export const IRC_CASEMAPPING = 'ascii';

/** The only channel prefix (ISUPPORT CHANTYPES=#): loopchat rooms are one namespace, network-wide. */
export const IRC_CHANNEL_PREFIX = '#';

const NICK = new RegExp(NICK_PATTERN);
const ROOM = new RegExp(ROOM_PATTERN);

/** ascii casemapping: A–Z → a–z, nothing else changes (unlike toLowerCase on non-ASCII input). */
export function ircFold(name: string): string {
  return name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** Whether two nicks or channels are the same name under CASEMAPPING=ascii. */
export function ircNamesEqual(a: string, b: string): boolean {
  return a.length === b.length && ircFold(a) === ircFold(b);
}

/** A name loopchat can use, or the numeric (RFC 2812 §5.2) that refuses it. */
export type IrcNameResult =
  { readonly ok: true; readonly name: string } | { readonly ok: false; readonly numeric: string; readonly text: string };

/**
 * `#Room` → `room`. Other channel types (`&` local, `+` modeless, `!` safe) do not exist
 * here. A name loopchat cannot represent gets 403, which RFC 2812 §5.2 defines as "the
 * given channel name is invalid" (the non-standard 479 ERR_BADCHANNAME is not in every client).
 */
export function channelToRoom(channel: string): IrcNameResult {
  if (!channel.startsWith(IRC_CHANNEL_PREFIX)) return { ok: false, numeric: ERR_NOSUCHCHANNEL, text: 'No such channel' };
  const room = channel.slice(IRC_CHANNEL_PREFIX.length);
  if (!ROOM.test(room)) return { ok: false, numeric: ERR_NOSUCHCHANNEL, text: 'Illegal channel name' };
  return { ok: true, name: ircFold(room) };
}

/** `room` → `#room`. Rooms are stored folded, so the channel is folded too. */
export function roomToChannel(room: string): string {
  return `${IRC_CHANNEL_PREFIX}${room}`;
}

/**
 * A NICK argument checked against loopchat's NICK_PATTERN: 431 when missing (RFC 2812
 * §3.1.2), 432 when IRC would allow it but loopchat does not (`[]\`^{}|`, a leading digit
 * or `_`, over 24 characters). The case is kept: a nick is shown as chosen, compared folded.
 */
export function checkNick(nick: string | undefined): IrcNameResult {
  if (nick === undefined || nick === '') return { ok: false, numeric: ERR_NONICKNAMEGIVEN, text: 'No nickname given' };
  if (!NICK.test(nick)) return { ok: false, numeric: ERR_ERRONEUSNICKNAME, text: 'Erroneous nickname' };
  return { ok: true, name: nick };
}
