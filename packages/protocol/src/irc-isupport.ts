/**
 * The RPL_ISUPPORT (005) tokens that describe loopchat to an IRC client
 * (https://modern.ircdocs.horse/#rplisupport-005, https://defs.ircdocs.horse/defs/isupport).
 * Each is derived from a loopchat limit, so the two cannot disagree.
 */
import { IRC_CASEMAPPING, IRC_CHANNEL_PREFIX } from './irc-casemapping.js';
import { MAX_HISTORY_LIMIT } from './limits.js';

export interface IsupportOptions {
  network: string;
  /** Rooms one connection may be in (server config). */
  maxRoomsPerConnection: number;
}

/** Longest nick and room name NICK_PATTERN and ROOM_PATTERN allow (irc-numerics.test.ts holds them to the patterns). */
const NICKLEN = 24;
const ROOMLEN = 32;

export function isupportTokens(options: IsupportOptions): string[] {
  return [
    `NETWORK=${options.network}`,
    `CASEMAPPING=${IRC_CASEMAPPING}`,
    `CHANTYPES=${IRC_CHANNEL_PREFIX}`,
    `CHANLIMIT=${IRC_CHANNEL_PREFIX}:${options.maxRoomsPerConnection}`,
    `CHANNELLEN=${ROOMLEN + IRC_CHANNEL_PREFIX.length}`,
    `NICKLEN=${NICKLEN}`,
    // Room moderation (issue 16) as IRC modes: list modes +b (ban) and +q (quiet: mute),
    // +n and +t always on; one member prefix, @ for a room operator (+o).
    'CHANMODES=bq,,,nt',
    'PREFIX=(o)@',
    // IRCv3 chathistory: the most messages one request returns, and msgid references.
    `CHATHISTORY=${MAX_HISTORY_LIMIT}`,
    'MSGREFTYPES=msgid',
    // Text is UTF-8 end to end (the decoder replaces invalid bytes).
    'UTF8ONLY',
  ];
}
