/**
 * Which dialect a TCP connection speaks, from its first line (DESIGN.md, "Dialects on the
 * TCP port"): an IRC client opens with a registration command (RFC 2812 §3.1: PASS, NICK,
 * USER; IRCv3 capability negotiation: CAP), a program with `{`, a person with anything
 * else. `/nick alice` is text mode: the slash is what a person types.
 *
 * Upper case only. RFC 2812 lets a server take commands in any case, but every client sends
 * its registration in upper case, while a person's first line may well be "Nick here" or
 * "pass the salt": that must stay a chat line in text mode, not open an IRC session.
 */

const REGISTRATION = /^(?:CAP|NICK|USER|PASS)(?: |$)/;

/** Whether a connection's first line (leading spaces removed) is an IRC registration command. */
export function isIrcFirstLine(line: string): boolean {
  return REGISTRATION.test(line);
}
