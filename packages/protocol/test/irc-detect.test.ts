import { describe, expect, it } from 'vitest';
import { isIrcFirstLine } from '../src/irc-detect.js';

describe('isIrcFirstLine', () => {
  it('takes the IRC registration commands, in any case, alone or with parameters', () => {
    for (const line of ['CAP LS 302', 'cap ls', 'NICK alice', 'nick alice', 'USER a 0 * :A', 'PASS secret', 'NICK'])
      expect(isIrcFirstLine(line), line).toBe(true);
  });

  it('leaves text mode and JSON alone', () => {
    for (const line of ['/nick alice', '{"type":"hello"}', 'nickname is what?', 'hello', 'CAPS LOCK', '#general', ''])
      expect(isIrcFirstLine(line), line).toBe(false);
  });
});
