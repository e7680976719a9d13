import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  IRC_ERROR_RULES,
  ircErrorReplies,
  isClosingError,
  serializeIrcMessage,
  type ErrorCode,
} from '../src/index.js';

const S = 'irc.loopchat.test';
const codes = Object.keys(ErrorCodes) as ErrorCode[];

describe('loopchat ErrorCode → IRC', () => {
  it.each(codes)('%s has a rule and renders to serializable IRC lines', (code) => {
    expect(Object.hasOwn(IRC_ERROR_RULES, code)).toBe(true);
    const replies = ircErrorReplies(S, 'alice', code, ErrorCodes[code], { command: 'PRIVMSG', target: '#general' });
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) expect(serializeIrcMessage(reply).ok).toBe(true);
  });

  it('has no rule for a code that does not exist', () => {
    expect(Object.keys(IRC_ERROR_RULES).sort()).toEqual([...codes].sort());
  });

  it.each(codes.filter((code) => ErrorCodes[code].includes('the connection is closed')))(
    '%s closes the connection, so it ends with ERROR',
    (code) => {
      expect(isClosingError(code)).toBe(true);
      expect(ircErrorReplies(S, 'alice', code, 'why').at(-1)).toEqual({ command: 'ERROR', params: ['Closing link: why'] });
    },
  );

  it('carries the human message as the text of a numeric, after the subject', () => {
    expect(ircErrorReplies(S, 'alice', 'no_such_nick', 'no connected user has this nick', { target: 'bob' })).toEqual([
      { prefix: S, command: '401', params: ['alice', 'bob', 'no connected user has this nick'] },
    ]);
    expect(ircErrorReplies(S, 'alice', 'unknown_type', 'm', { command: 'FOO' })[0]!.params).toEqual(['alice', 'FOO', 'm']);
    expect(ircErrorReplies(S, '*', 'not_registered', 'm')[0]!.params).toEqual(['*', 'm']);
  });

  it('uses * as the subject when the adapter does not know it', () => {
    expect(ircErrorReplies(S, 'alice', 'nick_taken', 'm')[0]!.params).toEqual(['alice', '*', 'm']);
  });

  it('answers not_in_room with 404 for PRIVMSG and 442 for PART', () => {
    expect(ircErrorReplies(S, 'alice', 'not_in_room', 'm', { command: 'PRIVMSG', target: '#a' })[0]!.command).toBe('404');
    expect(ircErrorReplies(S, 'alice', 'not_in_room', 'm', { command: 'PART', target: '#a' })[0]!.command).toBe('442');
  });

  it('sends 464 then ERROR for unauthorized', () => {
    expect(ircErrorReplies(S, '*', 'unauthorized', 'm').map((r) => r.command)).toEqual(['464', 'ERROR']);
  });

  it('sanitizes the message and cuts a long one so the reply still fits', () => {
    const replies = ircErrorReplies(S, 'alice', 'kicked', `spam\x01\r\n${'x'.repeat(2000)}`);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.params[0]).toMatch(/^Closing link: spamx+$/);
    expect(serializeIrcMessage(replies[0]!).ok).toBe(true);
    expect(ircErrorReplies(S, 'alice', 'internal', '\x01')[0]!.params[1]).toBe('internal: internal');
  });

  it('turns a code it does not know into a NOTICE with the code and message', () => {
    expect(ircErrorReplies(S, 'alice', 'brand_new', 'details')).toEqual([
      { prefix: S, command: 'NOTICE', params: ['alice', 'brand_new: details'] },
    ]);
    expect(isClosingError('brand_new')).toBe(false);
    expect(isClosingError('toString')).toBe(false);
  });
});

describe('IRC error documentation', () => {
  it('lists every error code in the README section "IRC dialect (codec)", in the row of its answer', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('### IRC dialect (codec)');
    const table = readme.indexOf('**Errors → IRC.**', start);
    expect(start).toBeGreaterThan(-1);
    expect(table).toBeGreaterThan(start);
    const section = readme.slice(table, readme.indexOf('\n### ', table));
    for (const code of codes) {
      const row = section.split('\n').find((line) => line.startsWith('| ') && line.includes(`\`${code}\``));
      expect(row, `README IRC section lacks ${code}`).toBeDefined();
      const rule = IRC_ERROR_RULES[code];
      const answer = rule.kind === 'numeric' ? `| ${rule.numeric} ` : rule.kind === 'notice' ? '| NOTICE' : '| ERROR';
      expect(row!.startsWith(answer), `${code}: ${row}`).toBe(true);
    }
  });
});
