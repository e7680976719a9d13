/**
 * What every IRC reader of one server sees the same: the server's name in prefixes, the
 * network, the host part of user masks, 003's date and the MOTD. Built once per server, when
 * it starts (server.ts: so an unusable MOTD file is a startup error), and kept by its config
 * object in a WeakMap: tests that start several servers in one process get one each.
 */
import { PROTOCOL_VERSION, type IrcServerInfo } from '@loopchat/protocol';
import type { ServerContext } from '../core/context.js';
import { loadMotd } from './irc-motd.js';

/** ISUPPORT NETWORK and 001's wording. */
const NETWORK = 'loopchat';

/** The host part of every user mask: loopchat does not reveal its users' addresses. */
const MASK_HOST = 'loopchat';

const infos = new WeakMap<ServerContext['config'], IrcServerInfo>();

export function ircServerInfo(ctx: Pick<ServerContext, 'config' | 'stats'>): IrcServerInfo {
  let info = infos.get(ctx.config);
  if (info === undefined) {
    info = Object.freeze({
      server: ircServerName(ctx.config.serverName),
      network: NETWORK,
      host: MASK_HOST,
      version: `loopchat-v${PROTOCOL_VERSION}`,
      created: new Date(ctx.stats.startedAt).toUTCString(),
      motd: ctx.config.motdFile === '' ? [] : loadMotd(ctx.config.motdFile),
    });
    infos.set(ctx.config, info);
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
