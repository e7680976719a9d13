import { describe, expect, it } from 'vitest';
import {
  ERR_ERRONEUSNICKNAME,
  ERR_NONICKNAMEGIVEN,
  ERR_NOSUCHCHANNEL,
  IRC_CASEMAPPING,
  channelToRoom,
  checkNick,
  ircFold,
  ircNamesEqual,
  roomToChannel,
} from '../src/index.js';

describe('ascii casemapping', () => {
  it('is advertised as ascii', () => {
    expect(IRC_CASEMAPPING).toBe('ascii');
  });

  it('folds A-Z only: not the rfc1459 pairs, not non-ASCII letters', () => {
    expect(ircFold('AliCE_-09')).toBe('alice_-09');
    expect(ircFold('[]\\~')).toBe('[]\\~');
    expect(ircFold('ÉTÉ')).toBe('ÉtÉ');
  });

  it('compares names ignoring ASCII case', () => {
    expect(ircNamesEqual('Alice', 'aLICE')).toBe(true);
    expect(ircNamesEqual('alice', 'alice2')).toBe(false);
    expect(ircNamesEqual('a[', 'a{')).toBe(false);
  });
});

describe('channel ↔ room', () => {
  it('maps #Room to the folded room and back to #room', () => {
    expect(channelToRoom('#General.Dev-1')).toEqual({ ok: true, name: 'general.dev-1' });
    expect(roomToChannel('general')).toBe('#general');
  });

  it.each(['&local', '+modeless', '!12345safe', 'general', ''])('refuses %j (not a # channel) with 403', (channel) => {
    expect(channelToRoom(channel)).toMatchObject({ ok: false, numeric: ERR_NOSUCHCHANNEL });
  });

  it.each(['#', '#.dot-first', '#_under', '#has,comma', '#é', `#${'a'.repeat(33)}`, '##double'])(
    'refuses %j (not a loopchat room name) with 403',
    (channel) => {
      expect(channelToRoom(channel)).toMatchObject({ ok: false, numeric: ERR_NOSUCHCHANNEL });
    },
  );

  it('accepts the longest room name (32 characters)', () => {
    expect(channelToRoom(`#${'a'.repeat(32)}`).ok).toBe(true);
  });
});

describe('nick validity', () => {
  it('accepts loopchat nicks and keeps their case', () => {
    expect(checkNick('Alice_-9')).toEqual({ ok: true, name: 'Alice_-9' });
    expect(checkNick(`a${'b'.repeat(23)}`).ok).toBe(true);
  });

  it('refuses a missing nick with 431', () => {
    expect(checkNick(undefined)).toMatchObject({ ok: false, numeric: ERR_NONICKNAMEGIVEN });
    expect(checkNick('')).toMatchObject({ ok: false, numeric: ERR_NONICKNAMEGIVEN });
  });

  it.each(['[away]', 'ni|ck', '9lives', '_x', '-x', 'a^b', `a${'b'.repeat(24)}`, 'é'])(
    'refuses %j, valid IRC or not, with 432',
    (nick) => {
      expect(checkNick(nick)).toMatchObject({ ok: false, numeric: ERR_ERRONEUSNICKNAME });
    },
  );
});
