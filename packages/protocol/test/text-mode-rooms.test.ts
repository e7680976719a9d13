import { describe, expect, it } from 'vitest';
import { createClientCodec, parseTextLine, renderText, type ClientFrame, type ErrorCode } from '../src/index.js';

const codec = createClientCodec();

function expectFrame(line: string, frame: ClientFrame): void {
  expect(parseTextLine(line, 'general', codec), line).toEqual({ kind: 'frame', frame });
}

function expectCode(line: string, code: ErrorCode, room: string | null = 'general', registered = true): void {
  const command = parseTextLine(line, room, codec, registered);
  expect(command.kind, line).toBe('error');
  if (command.kind === 'error') expect(command.error.code, line).toBe(code);
}

describe('text-mode room commands', () => {
  it('act on the current room', () => {
    expectFrame('/me waves at everyone', { type: 'msg', room: 'general', text: 'waves at everyone', action: true });
    expectFrame('/topic', { type: 'topic', room: 'general' });
    expectFrame('/topic release day: 4 pm', { type: 'topic', room: 'general', text: 'release day: 4 pm' });
    expectFrame('/kick bob', { type: 'kick', room: 'general', nick: 'bob' });
    expectFrame('/kick bob stop  spamming', { type: 'kick', room: 'general', nick: 'bob', reason: 'stop  spamming' });
    expectFrame('/ban bob', { type: 'ban', room: 'general', nick: 'bob' });
    expectFrame('/ban bob 30', { type: 'ban', room: 'general', nick: 'bob', minutes: 30 });
    expectFrame('/ban 203.0.113.7 5', { type: 'ban', room: 'general', ip: '203.0.113.7', minutes: 5 });
    expectFrame('/unban bob', { type: 'unban', room: 'general', nick: 'bob' });
    expectFrame('/unban 2001:db8::1', { type: 'unban', room: 'general', ip: '2001:db8::1' });
    expectFrame('/mute bob 10', { type: 'mute', room: 'general', nick: 'bob', minutes: 10 });
    expectFrame('/unmute bob', { type: 'unmute', room: 'general', nick: 'bob' });
    expectFrame('/op bob', { type: 'op', room: 'general', nick: 'bob' });
    expectFrame('/DEOP bob', { type: 'deop', room: 'general', nick: 'bob' });
    expectFrame('/slow 30', { type: 'slow', room: 'general', seconds: 30 });
    expectFrame('/slow 0', { type: 'slow', room: 'general', seconds: 0 });
    expectFrame('/delete 41', { type: 'delete', room: 'general', seq: 41 });
  });

  it('say how to use them when an argument is missing or not a number', () => {
    for (const line of ['/me', '/kick', '/ban', '/ban bob soon', '/ban bob 5 more', '/mute', '/op', '/op a b', '/slow', '/slow x', '/delete', '/delete -1', '/unban']) {
      expectCode(line, 'missing_argument');
    }
  });

  it('check names and bounds through the codec like JSON frames', () => {
    expectCode('/kick 9lives', 'invalid_nick');
    expectCode('/slow 99999', 'invalid_frame');
    expectCode('/delete 0', 'invalid_frame');
    expectCode(`/topic ${'x'.repeat(301)}`, 'text_too_long');
  });

  it('need a nick, then a room, in that order', () => {
    expectCode('/kick bob', 'not_registered', null, false);
    expectCode('/kick bob', 'not_in_room', null, true);
    expectCode('/me waves', 'not_in_room', null, true);
  });

  it('are listed by /help', () => {
    const help = parseTextLine('/help', null, codec);
    expect(help.kind).toBe('help');
  });
});

describe('renderText for room events', () => {
  it('shows actions, tombstones and renames as sentences', () => {
    const base = { type: 'msg', room: 'general', from: 'ann', seq: 3, ts: 1 } as const;
    expect(renderText({ ...base, text: 'waves', action: true })).toBe('[general] * ann waves\n');
    expect(renderText({ ...base, text: '', deleted: true })).toBe('[general] (a message by ann was deleted)\n');
    expect(renderText({ type: 'presence', room: 'general', nick: 'bo', event: 'rename', old: 'bob' })).toBe(
      '* bob is now known as bo (general)\n',
    );
  });

  it('shows moderation with who did it, and never a control character from a reason', () => {
    const mod = { type: 'mod', room: 'general', by: 'ann', ts: 1 } as const;
    expect(renderText({ ...mod, action: 'kick', nick: 'bob', reason: 'spam\u001b[2J' })).toBe(
      '* [general] bob was kicked by ann: spam\uFFFD[2J\n',
    );
    expect(renderText({ ...mod, action: 'ban', nick: 'bob', minutes: 5 })).toBe('* [general] bob was banned by ann for 5 min\n');
    expect(renderText({ ...mod, action: 'op', nick: 'ann', by: '*' })).toBe('* [general] the server made ann an operator\n');
    expect(renderText({ ...mod, action: 'slow', seconds: 30 })).toBe(
      '* [general] ann set slow mode: one message per 30 s per member\n',
    );
    expect(renderText({ type: 'topic', room: 'general', text: 'hi\u0007', by: 'ann', ts: 1 })).toBe(
      '* [general] topic: hi\uFFFD (set by ann)\n',
    );
    expect(renderText({ type: 'topic', room: 'general', text: '' })).toBe('* [general] no topic is set\n');
    expect(renderText({ type: 'delete', room: 'general', seq: 4, by: 'ann', ts: 1 })).toBe(
      '* [general] ann deleted message 4\n',
    );
  });
});
