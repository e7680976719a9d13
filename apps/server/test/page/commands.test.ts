/** The chat page's command line (public/app/commands.js): what each typed line asks for. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain browser module, without types (tests are not type-checked by tsc -b)
import { parseInput } from '../../public/app/commands.js';

const parse = parseInput as (raw: string, current: string | null) => Record<string, unknown>;

describe('the page’s commands', () => {
  it('sends plain lines and //lines to the current room, and asks for a room without one', () => {
    expect(parse(' hi ', 'general')).toEqual({ kind: 'send', room: 'general', text: 'hi' });
    expect(parse('//not a command', 'general')).toEqual({ kind: 'send', room: 'general', text: '/not a command' });
    expect(parse('hi', null)).toEqual({ kind: 'no-room' });
    expect(parse('   ', 'general')).toEqual({ kind: 'none' });
  });

  it('answers an unknown command with its name, never sending it as a message', () => {
    expect(parse('/whatever now', 'general')).toEqual({ kind: 'unknown', command: 'whatever' });
    expect(parse('/WHATEVER', 'general')).toEqual({ kind: 'unknown', command: 'whatever' });
  });

  it('reads room commands, /me, /topic and /nick', () => {
    expect(parse('/join #News', null)).toEqual({ kind: 'join', room: 'news' });
    expect(parse('/join a b', null)).toMatchObject({ kind: 'usage' });
    expect(parse('/leave', 'general')).toEqual({ kind: 'leave', room: 'general' });
    expect(parse('/msg bob hi there', null)).toEqual({ kind: 'dm', to: 'bob', text: 'hi there' });
    expect(parse('/me waves  twice', 'general')).toEqual({ kind: 'send', room: 'general', text: 'waves  twice', action: true });
    expect(parse('/topic', 'general')).toEqual({ kind: 'topic', room: 'general', text: undefined });
    expect(parse('/topic release day', 'general')).toEqual({ kind: 'topic', room: 'general', text: 'release day' });
    expect(parse('/nick 9lives', 'general')).toMatchObject({ kind: 'usage' });
  });

  it("builds operators' frames with their fields, and explains a bad argument", () => {
    const mod = (type: string, fields: Record<string, unknown>) => ({ kind: 'moderate', type, fields });
    expect(parse('/kick bob spamming links', 'general')).toEqual(mod('kick', { room: 'general', nick: 'bob', reason: 'spamming links' }));
    expect(parse('/ban bob 60', 'general')).toEqual(mod('ban', { room: 'general', nick: 'bob', minutes: 60 }));
    expect(parse('/ban bob forever', 'general')).toMatchObject({ kind: 'usage' });
    expect(parse('/op bob', 'general')).toEqual(mod('op', { room: 'general', nick: 'bob' }));
    expect(parse('/slow 30', 'general')).toEqual(mod('slow', { room: 'general', seconds: 30 }));
    expect(parse('/delete 41', 'general')).toEqual(mod('delete', { room: 'general', seq: 41 }));
    expect(parse('/delete 0', 'general')).toMatchObject({ kind: 'usage' });
    expect(parse('/op bob', null)).toEqual({ kind: 'no-room' });
  });
});
