import { describe, expect, it } from 'vitest';
import {
  ERR_NOSUCHNICK,
  IRC_ERROR_TEXT,
  IRC_MAX_BODY_BYTES,
  MAX_HISTORY_LIMIT,
  RPL_ENDOFNAMES,
  RPL_ISUPPORT,
  RPL_NAMREPLY,
  channelToRoom,
  checkNick,
  isupportReplies,
  isupportTokens,
  lusersReplies,
  motdReplies,
  namesReplies,
  numericError,
  numericReply,
  saslSuccessReplies,
  serializeIrcMessage,
  welcomeReplies,
  whoReplies,
  type IrcMessage,
} from '../src/index.js';
import * as protocol from '../src/index.js';

const S = 'irc.loopchat.test';

function commands(messages: readonly IrcMessage[]): string[] {
  return messages.map((m) => m.command);
}

function serializesAll(messages: readonly IrcMessage[]): void {
  for (const m of messages) expect(serializeIrcMessage(m).ok, JSON.stringify(m)).toBe(true);
}

describe('numeric constants', () => {
  it('are three digits, and each name is used once', () => {
    const entries = Object.entries(protocol).filter(([name]) => /^(RPL|ERR)_/.test(name));
    expect(entries.length).toBeGreaterThanOrEqual(40);
    for (const [name, value] of entries) expect(value, name).toMatch(/^[0-9]{3}$/);
    expect(new Set(entries.map(([, value]) => value)).size).toBe(entries.length);
  });

  it('include every numeric the server needs', () => {
    const needed =
      '001 002 003 004 005 251 252 253 254 255 375 372 376 422 332 353 366 352 315 324 368 401 403 404 421 431 432 433 451 461 462 900 903 904';
    const values = new Set(
      Object.entries(protocol)
        .filter(([name]) => /^(RPL|ERR)_/.test(name))
        .map(([, v]) => v),
    );
    for (const code of needed.split(' ')) expect(values.has(code), code).toBe(true);
  });
});

describe('reply builders', () => {
  it('put the server as prefix and the target nick first', () => {
    expect(numericReply(S, 'alice', '999', 'a', 'b c')).toEqual({
      prefix: S,
      command: '999',
      params: ['alice', 'a', 'b c'],
    });
    expect(numericError(S, 'alice', ERR_NOSUCHNICK, 'bob')).toEqual({
      prefix: S,
      command: '401',
      params: ['alice', 'bob', IRC_ERROR_TEXT[ERR_NOSUCHNICK]],
    });
  });

  it('build the registration burst: 001 to 005', () => {
    const isupport = isupportTokens({ network: 'loopchat', maxRoomsPerConnection: 50 });
    const replies = welcomeReplies(S, {
      network: 'loopchat',
      nick: 'alice',
      mask: 'alice!alice@loopchat',
      version: 'loopchat-1',
      created: 'today',
      isupport,
    });
    expect(commands(replies)).toEqual(['001', '002', '003', '004', '005']);
    expect(replies[0]!.params[1]).toContain('alice!alice@loopchat');
    serializesAll(replies);
  });

  it('announce CASEMAPPING=ascii, CHANTYPES=#, NICKLEN=24, CHANNELLEN=33 and the history limit', () => {
    const tokens = isupportTokens({ network: 'loopchat', maxRoomsPerConnection: 50 });
    for (const token of [
      'CASEMAPPING=ascii',
      'CHANTYPES=#',
      'NICKLEN=24',
      'CHANNELLEN=33',
      'CHANLIMIT=#:50',
      `CHATHISTORY=${MAX_HISTORY_LIMIT}`,
    ])
      expect(tokens).toContain(token);
  });

  it('announce the NICKLEN and CHANNELLEN that NICK_PATTERN and ROOM_PATTERN allow', () => {
    const tokens = isupportTokens({ network: 'n', maxRoomsPerConnection: 1 });
    const nicklen = Number(tokens.find((t) => t.startsWith('NICKLEN='))!.split('=')[1]);
    const channellen = Number(tokens.find((t) => t.startsWith('CHANNELLEN='))!.split('=')[1]);
    expect(checkNick('a'.repeat(nicklen)).ok).toBe(true);
    expect(checkNick('a'.repeat(nicklen + 1)).ok).toBe(false);
    expect(channelToRoom(`#${'a'.repeat(channellen - 1)}`).ok).toBe(true);
    expect(channelToRoom(`#${'a'.repeat(channellen)}`).ok).toBe(false);
  });

  it('split ISUPPORT into lines of at most 13 tokens', () => {
    const tokens = Array.from({ length: 30 }, (_, i) => `T${i}`);
    const replies = isupportReplies(S, 'alice', tokens);
    expect(replies.map((r) => r.params.length - 2)).toEqual([13, 13, 4]);
    expect(replies.every((r) => r.command === RPL_ISUPPORT && r.params.at(-1) === 'are supported by this server')).toBe(
      true,
    );
  });

  it('build LUSERS and the MOTD, or 422 without one', () => {
    expect(commands(lusersReplies(S, 'alice', { users: 3, channels: 2, localClients: 3 }))).toEqual([
      '251',
      '252',
      '253',
      '254',
      '255',
    ]);
    expect(commands(motdReplies(S, 'alice', ['one', 'two']))).toEqual(['375', '372', '372', '376']);
    expect(commands(motdReplies(S, 'alice', []))).toEqual(['422']);
  });

  it('pack NAMES into 353 lines that fit 510 bytes, then 366', () => {
    const nicks = Array.from({ length: 200 }, (_, i) => `member${i}`.padEnd(24, 'x'));
    const replies = namesReplies(S, 'alice', '#general', nicks);
    expect(replies.at(-1)!.command).toBe(RPL_ENDOFNAMES);
    const lines = replies.filter((r) => r.command === RPL_NAMREPLY);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.flatMap((r) => r.params.at(-1)!.split(' '))).toEqual(nicks);
    serializesAll(replies);
    for (const r of replies) {
      const result = serializeIrcMessage(r);
      if (result.ok) expect(Buffer.byteLength(result.line) - 2).toBeLessThanOrEqual(IRC_MAX_BODY_BYTES);
    }
  });

  it('send only 366 for an empty channel, and mark a private one with @', () => {
    expect(commands(namesReplies(S, 'alice', '#a', []))).toEqual(['366']);
    expect(namesReplies(S, 'alice', '#a', ['bob'], true)[0]!.params[1]).toBe('@');
  });

  it('build WHO as 352 per member then 315', () => {
    const replies = whoReplies(S, 'alice', '#a', ['bob', 'carol'], 'loopchat');
    expect(commands(replies)).toEqual(['352', '352', '315']);
    expect(replies[0]!.params).toEqual(['alice', '#a', 'bob', 'loopchat', S, 'bob', 'H', '0 bob']);
  });

  it('build 900 and 903 for SASL success', () => {
    expect(commands(saslSuccessReplies(S, 'alice', 'alice!alice@loopchat', 'alice'))).toEqual(['900', '903']);
  });
});
