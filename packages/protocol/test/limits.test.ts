/**
 * NICK_RULE and ROOM_RULE describe NICK_PATTERN and ROOM_PATTERN to people: each claim
 * of the words is checked against the pattern, so neither can change without the other.
 */
import { describe, expect, it } from 'vitest';
import { NICK_PATTERN, NICK_RULE, ROOM_PATTERN, ROOM_RULE } from '../src/index.js';

const nick = new RegExp(NICK_PATTERN);
const room = new RegExp(ROOM_PATTERN);

describe('NICK_RULE', () => {
  it('says 1 to 24 characters, starting with a letter', () => {
    expect(NICK_RULE).toContain('1 to 24 characters');
    expect(NICK_RULE).toContain('starting with a letter');
    expect(nick.test('a')).toBe(true);
    expect(nick.test(`a${'b'.repeat(23)}`)).toBe(true);
    expect(nick.test(`a${'b'.repeat(24)}`)).toBe(false);
    expect(nick.test('')).toBe(false);
    for (const first of ['9', '_', '-']) expect(nick.test(`${first}abc`), first).toBe(false);
    for (const first of ['a', 'Z']) expect(nick.test(`${first}bc`), first).toBe(true);
  });

  it('allows exactly letters a-z, A-Z, digits, _ and - after the first', () => {
    expect(NICK_RULE).toContain('letters (a-z, A-Z), digits, _ and -');
    for (const c of ['a', 'Z', '0', '9', '_', '-']) expect(nick.test(`x${c}`), c).toBe(true);
    for (const c of ['.', ' ', 'é', '@', '#']) expect(nick.test(`x${c}`), c).toBe(false);
  });
});

describe('ROOM_RULE', () => {
  it('says 1 to 32 characters, starting with a letter or digit', () => {
    expect(ROOM_RULE).toContain('1 to 32 characters');
    expect(ROOM_RULE).toContain('starting with a letter or digit');
    expect(room.test('a')).toBe(true);
    expect(room.test('7')).toBe(true);
    expect(room.test(`a${'b'.repeat(31)}`)).toBe(true);
    expect(room.test(`a${'b'.repeat(32)}`)).toBe(false);
    for (const first of ['_', '-', '.']) expect(room.test(`${first}abc`), first).toBe(false);
  });

  it('allows exactly letters a-z, A-Z, digits, _, - and . after the first', () => {
    expect(ROOM_RULE).toContain('letters (a-z, A-Z), digits, _, - and .');
    for (const c of ['a', 'Z', '0', '_', '-', '.']) expect(room.test(`x${c}`), c).toBe(true);
    for (const c of [' ', 'é', '@', '#', '/']) expect(room.test(`x${c}`), c).toBe(false);
  });
});
