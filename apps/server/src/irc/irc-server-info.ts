/**
 * What every IRC reader of one server sees the same: the server's name in prefixes, the
 * network, the host part of user masks, 003's date and the MOTD. Built once per server
 * context (a WeakMap, so tests that start several servers in one process get one each).
 */
import { PROTOCOL_VERSION, type IrcServerInfo } from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';

/** ISUPPORT NETWORK and 001's wording. */
const NETWORK = 'loopchat';

/** The host part of every user mask: loopchat does not reveal its users' addresses. */
const MASK_HOST = 'loopchat';

const infos = new WeakMap<ServerContext, IrcServerInfo>();

export function ircServerInfo(ctx: ServerContext): IrcServerInfo {
  let info = infos.get(ctx);
  if (info === undefined) {
    info = Object.freeze({
      server: ircServerName(ctx.config.serverName),
      network: NETWORK,
      host: MASK_HOST,
      version: `loopchat-v${PROTOCOL_VERSION}`,
      created: new Date(ctx.stats.startedAt).toUTCString(),
      motd: [],
    });
    infos.set(ctx, info);
  }
  return info;
}

/**
 * A server name IRC clients take for one: no space or `!`/`@` (it would read as a user mask)
 * and a dot (clients such as irc-framework tell a server prefix from a nick by its dot).
 */
export function ircServerName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9.-]/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'loopchat';
  return safe.includes('.') ? safe : `${safe}.loopchat`;
}
