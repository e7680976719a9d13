import { describe, expect, it } from 'vitest';
import { IRC_MAX_LINE_BYTES, IrcRegistration, parseIrcLine, type IrcMessage, type RegistrationStep } from '../src/index.js';
import { decodeChunks, everySplit } from './helpers.js';

const S = 'irc.loopchat.test';

function msg(line: string): IrcMessage {
  const result = parseIrcLine(line);
  if (!result.ok) throw new Error(`bad fixture ${line}`);
  return result.message;
}

/** Feeds lines in order and returns every step. */
function feed(registration: IrcRegistration, ...lines: string[]): RegistrationStep[] {
  return lines.map((line) => registration.handle(msg(line)));
}

function last(registration: IrcRegistration, ...lines: string[]): RegistrationStep {
  return feed(registration, ...lines).at(-1)!;
}

function commands(step: RegistrationStep): string[] {
  return step.replies.map((r) => r.command);
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('IrcRegistration without CAP (RFC 2812 §3.1)', () => {
  it('registers after NICK and USER, in either order, with the pass if one was given', () => {
    const a = new IrcRegistration(S);
    const steps = feed(a, 'PASS secret-token', 'NICK Alice', 'USER alice 0 * :Alice L');
    expect(steps.slice(0, 2).every((s) => s.registered === undefined)).toBe(true);
    expect(steps[2]!.registered).toEqual({
      nick: 'Alice',
      user: 'alice',
      realname: 'Alice L',
      caps: new Set(),
      pass: 'secret-token',
    });
    expect(a.registered).toBe(true);

    const b = new IrcRegistration(S);
    expect(last(b, 'USER bob 0 * :Bob', 'NICK bob').registered?.nick).toBe('bob');
  });

  it('answers commands before registration with 451', () => {
    const step = new IrcRegistration(S).handle(msg('JOIN #general'));
    expect(step.replies).toEqual([{ prefix: S, command: '451', params: ['*', 'You have not registered'] }]);
  });

  it('answers PING before registration, and leaves it to the adapter after', () => {
    const r = new IrcRegistration(S);
    expect(last(r, 'PING abc').replies).toEqual([{ prefix: S, command: 'PONG', params: [S, 'abc'] }]);
    feed(r, 'NICK a', 'USER a 0 * :a');
    expect(last(r, 'PING abc')).toEqual({ replies: [], unhandled: true });
  });

  it('reports QUIT before registration', () => {
    expect(last(new IrcRegistration(S), 'QUIT :bye').quit).toBe(true);
  });

  it.each([
    ['USER alice 0 *', '461'],
    ['USER', '461'],
    ['PASS', '461'],
    ['NICK', '431'],
    ['NICK 9lives', '432'],
    ['NICK [away]', '432'],
    ['CAP', '461'],
    ['CAP FOO', '410'],
    ['AUTHENTICATE', '461'],
  ])('answers %j with %s', (line, numeric) => {
    expect(commands(last(new IrcRegistration(S), line))).toEqual([numeric]);
  });

  it('answers USER and PASS after registration with 462, and hands NICK and other commands to the adapter', () => {
    const r = new IrcRegistration(S);
    feed(r, 'NICK alice', 'USER alice 0 * :A');
    expect(last(r, 'USER again 0 * :x').replies).toEqual([
      { prefix: S, command: '462', params: ['alice', 'Unauthorized command (already registered)'] },
    ]);
    expect(commands(last(r, 'PASS x'))).toEqual(['462']);
    expect(last(r, 'NICK bob').unhandled).toBe(true);
    expect(last(r, 'PRIVMSG #a :hi').unhandled).toBe(true);
  });

  it('registers again with a new NICK after the core refused the nick (433)', () => {
    const r = new IrcRegistration(S);
    expect(last(r, 'NICK alice', 'USER alice 0 * :A').registered?.nick).toBe('alice');
    r.nickRejected();
    expect(r.registered).toBe(false);
    expect(commands(last(r, 'JOIN #a'))).toEqual(['451']);
    expect(last(r, 'NICK alice2').registered?.nick).toBe('alice2');
  });
});

describe('IrcRegistration: CAP negotiation (IRCv3)', () => {
  it('lists the capabilities, with values for CAP LS 302 only', () => {
    const r = new IrcRegistration(S);
    const ls302 = last(r, 'CAP LS 302').replies[0]!;
    expect(ls302.params.slice(0, 2)).toEqual(['*', 'LS']);
    expect(ls302.params[2]!.split(' ')).toEqual([
      'server-time',
      'message-tags',
      'echo-message',
      'batch',
      'draft/chathistory',
      'sasl=PLAIN',
    ]);
    expect(last(r, 'CAP LS').replies[0]!.params[2]).toContain(' sasl');
    expect(last(r, 'CAP LS').replies[0]!.params[2]).not.toContain('=');
  });

  it('holds registration from CAP LS until CAP END', () => {
    const r = new IrcRegistration(S);
    const steps = feed(r, 'CAP LS 302', 'NICK alice', 'USER alice 0 * :A', 'CAP REQ :server-time message-tags', 'CAP END');
    expect(steps.slice(0, 4).some((s) => s.registered !== undefined)).toBe(false);
    expect(steps[3]!.replies).toEqual([{ prefix: S, command: 'CAP', params: ['alice', 'ACK', 'server-time message-tags'] }]);
    expect(steps[4]!.registered?.caps).toEqual(new Set(['server-time', 'message-tags']));
  });

  it('NAKs a whole request when one capability is unknown, and changes nothing', () => {
    const r = new IrcRegistration(S);
    expect(last(r, 'CAP REQ :server-time multi-prefix').replies[0]!.params.slice(1)).toEqual([
      'NAK',
      'server-time multi-prefix',
    ]);
    expect(r.caps.size).toBe(0);
    expect(last(r, 'CAP REQ :').replies[0]!.params[1]).toBe('NAK');
  });

  it('disables with -name and lists what is enabled', () => {
    const r = new IrcRegistration(S);
    feed(r, 'CAP REQ :batch echo-message', 'CAP REQ :-batch');
    expect(last(r, 'CAP LIST').replies[0]!.params.slice(1)).toEqual(['LIST', 'echo-message']);
  });

  it('accepts CAP REQ after registration (the adapter reads caps)', () => {
    const r = new IrcRegistration(S);
    feed(r, 'NICK alice', 'USER alice 0 * :A');
    const step = last(r, 'CAP REQ server-time');
    expect(step.replies[0]!.params).toEqual(['alice', 'ACK', 'server-time']);
    expect(step.registered).toBeUndefined();
    expect(r.caps.has('server-time')).toBe(true);
    expect(last(r, 'CAP END')).toEqual({ replies: [] });
  });

  it('registers on NICK and USER with CAP END never sent only when no CAP LS or REQ came', () => {
    const r = new IrcRegistration(S);
    expect(last(r, 'CAP LIST', 'NICK a', 'USER a 0 * :a').registered).toBeDefined();
  });
});

describe('IrcRegistration: SASL PLAIN (IRCv3 SASL 3.1)', () => {
  it('collects credentials, waits for the adapter, then answers 900/903 and registers at CAP END', () => {
    const r = new IrcRegistration(S);
    feed(r, 'CAP LS 302', 'NICK alice', 'USER alice 0 * :A', 'CAP REQ sasl');
    expect(last(r, 'AUTHENTICATE PLAIN').replies).toEqual([{ command: 'AUTHENTICATE', params: ['+'] }]);
    const step = last(r, `AUTHENTICATE ${b64('\0alice\0tok3n')}`);
    expect(step.saslCredentials).toEqual({ authzid: '', account: 'alice', password: 'tok3n' });
    expect(last(r, 'CAP END').registered).toBeUndefined();
    const success = r.saslSucceeded('alice!alice@loopchat');
    expect(commands(success)).toEqual(['900', '903']);
    expect(success.registered?.sasl).toEqual({ authzid: '', account: 'alice', password: 'tok3n' });
  });

  it('takes a payload in 400-byte chunks, ended by a shorter chunk or +', () => {
    const payload = b64(`\0alice\0${'t'.repeat(600)}`);
    const chunks = payload.match(/.{1,400}/g)!;
    const r = new IrcRegistration(S);
    feed(r, 'AUTHENTICATE PLAIN');
    const steps = feed(r, ...chunks.map((c) => `AUTHENTICATE ${c}`));
    expect(steps.at(-1)!.saslCredentials?.password).toBe('t'.repeat(600));

    const exact = b64(`\0bob\0${'u'.repeat(294)}`);
    expect(exact).toHaveLength(400);
    const s = new IrcRegistration(S);
    feed(s, 'AUTHENTICATE PLAIN');
    expect(last(s, `AUTHENTICATE ${exact}`).saslCredentials).toBeUndefined();
    expect(last(s, 'AUTHENTICATE +').saslCredentials?.account).toBe('bob');
  });

  it('answers 904 on failure and lets the client try again', () => {
    const r = new IrcRegistration(S);
    feed(r, 'AUTHENTICATE PLAIN', `AUTHENTICATE ${b64('\0alice\0bad')}`);
    expect(commands(r.saslFailed())).toEqual(['904']);
    feed(r, 'AUTHENTICATE PLAIN');
    expect(last(r, `AUTHENTICATE ${b64('\0alice\0good')}`).saslCredentials?.password).toBe('good');
  });

  it.each([
    ['not base64', 'AUTHENTICATE !!!!', '904'],
    ['two fields', `AUTHENTICATE ${b64('alice\0pw')}`, '904'],
    ['an empty account', `AUTHENTICATE ${b64('\0\0pw')}`, '904'],
    ['a chunk over 400 bytes', `AUTHENTICATE ${'A'.repeat(404)}`, '905'],
    ['an abort', 'AUTHENTICATE *', '906'],
  ])('refuses %s', (_, line, numeric) => {
    const r = new IrcRegistration(S);
    feed(r, 'AUTHENTICATE PLAIN');
    expect(commands(last(r, line))).toEqual([numeric]);
  });

  it('offers PLAIN (908) and fails (904) another mechanism', () => {
    expect(commands(last(new IrcRegistration(S), 'AUTHENTICATE EXTERNAL'))).toEqual(['908', '904']);
  });

  it('aborts an unfinished exchange (906) when registration completes', () => {
    const r = new IrcRegistration(S);
    const step = last(r, 'NICK alice', 'AUTHENTICATE PLAIN', 'USER alice 0 * :A');
    expect(commands(step)).toEqual(['906']);
    expect(step.registered?.sasl).toBeUndefined();
  });

  it('ignores saslSucceeded when nothing is being verified', () => {
    expect(new IrcRegistration(S).saslSucceeded('x!x@y')).toEqual({ replies: [] });
  });
});

describe('IrcRegistration from bytes', () => {
  it('registers a client’s opening lines however the socket chunks them', () => {
    const opening = Buffer.from(
      'CAP LS 302\r\nNICK alice\r\nUSER alice 0 * :Alice\r\nCAP REQ :server-time message-tags echo-message\r\nCAP END\r\n',
    );
    for (const [label, chunks] of everySplit(opening)) {
      const r = new IrcRegistration(S);
      const steps = decodeChunks(chunks, IRC_MAX_LINE_BYTES).lines.map((line) => r.handle(msg(line)));
      expect(
        steps.map((step) => step.registered?.nick),
        label,
      ).toEqual([undefined, undefined, undefined, undefined, 'alice']);
      expect(steps[4]!.registered?.caps, label).toEqual(new Set(['server-time', 'message-tags', 'echo-message']));
    }
  });
});
