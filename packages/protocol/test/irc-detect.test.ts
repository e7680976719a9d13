import { describe, expect, it } from 'vitest';
import { isIrcFirstLine } from '../src/irc-detect.js';

describe('isIrcFirstLine', () => {
  it('takes the IRC registration commands in upper case, alone or with parameters', () => {
    for (const line of ['CAP LS 302', 'NICK alice', 'USER a 0 * :A', 'PASS secret', 'NICK'])
      expect(isIrcFirstLine(line), line).toBe(true);
  });

  it('leaves text mode and JSON alone', () => {
    for (const line of ['/nick alice', '{"type":"hello"}', 'nickname is what?', 'hello', 'CAPS LOCK', '#general', ''])
      expect(isIrcFirstLine(line), line).toBe(false);
  });

  it('leaves a person’s first line that starts with a registration word in text mode', () => {
    for (const line of ['Nick here', 'nick alice', 'pass the salt', 'User error', 'cap ls'])
      expect(isIrcFirstLine(line), line).toBe(false);
  });
});
