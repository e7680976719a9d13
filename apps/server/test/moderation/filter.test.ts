import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModerationError } from '../../src/moderation/errors.js';
import { createModerationFilter, type ModerationFilterOptions } from '../../src/moderation/filter.js';

const TERMS = ['hello', 'idiot', 'free crypto', '*fuck*', 'ass', '!kill yourself'];
const make = (o: Partial<ModerationFilterOptions> = {}) => createModerationFilter({ level: 'basic', terms: TERMS, ...o });

describe('createModerationFilter: levels', () => {
  it('off allows everything without tracking senders', () => {
    const f = make({ level: 'off', floodMax: 1 });
    for (let i = 0; i < 5; i++)
      expect(f.check('s', 'IDIOT idiot https://a.com https://b.com https://c.com https://d.com', i)).toEqual({
        action: 'allow',
      });
    expect(f.trackedSenders).toBe(0);
    expect(f.termCount).toBe(0);
  });

  it('basic masks a blocked term', () => {
    expect(make().check('s', 'you idiot, hi', 0)).toEqual({ action: 'mask', text: 'you *****, hi', matches: 1 });
  });

  it('basic rejects a term marked ! (always reject)', () => {
    expect(make().check('s', 'just k1ll y0urself', 0)).toEqual({ action: 'reject', reason: 'blocked_term' });
  });

  it('strict rejects any blocked term', () => {
    expect(make({ level: 'strict' }).check('s', 'you idiot', 0)).toEqual({ action: 'reject', reason: 'blocked_term' });
  });

  it('allows clean text with the shared allow verdict', () => {
    const f = make({ level: 'strict' });
    expect(f.check('s', 'this class has a shell and some grass', 0)).toEqual({ action: 'allow' });
  });

  it('loads the shipped demonstration list by default', () => {
    const f = createModerationFilter({ level: 'basic' });
    expect(f.termCount).toBeGreaterThan(3000);
    expect(f.check('s', 'psst: FR33 CRYPT0 for you', 0)).toEqual({
      action: 'mask',
      text: 'psst: *********** for you',
      matches: 1,
    });
    expect(f.check('t', 'c.l.i.c.k here to claim', 0)).toMatchObject({ action: 'mask', text: '***********************' });
    expect(f.check('u', 'see you at the meeting tomorrow', 0)).toEqual({ action: 'allow' });
  });
});

describe('the shipped list on ordinary chat', () => {
  const ORDINARY = [
    'I will find you a seat',
    'I will beat you at chess',
    'the class assignment is due',
    'run the shell script',
    'please assess the risk',
    'a cocktail party in Scunthorpe',
    'the grass is green',
    'my assistant is a classic',
    'our therapist does data analysis',
    'I work from home today',
    'send money to the charity',
    'what is a seed phrase?',
    'the tax refund arrived',
    'use the promo code',
    'this is a hack week',
    'I saw a rat',
    'the cluster is up',
    'Dick Smith called',
    'the bass player from Sussex',
    'assume nothing',
    'hell yes',
    'Shiitake mushrooms',
    'Arsenal won',
    'the cockpit',
    'Dickens and Hancock',
    'as soon as possible',
    'free coffee in the kitchen',
    'kill -9 the worker',
    'I will kill this process',
    'we should end the meeting',
    'U.S.A. and U.K.',
    'e.g. this',
    // Doubled letters in ordinary words (the doubled-letter rule must not take them for terms).
    'please assess it again',
    'a looser fit',
    'what a faff',
    'the committee will assess success',
    'good food and coffee',
    'the boss passes the ball',
  ];

  it.each(ORDINARY)('allows %j at strict', (text) => {
    const f = createModerationFilter({ level: 'strict' });
    expect(f.check('s', text, 0)).toEqual({ action: 'allow' });
  });
});

describe('doubled-letter disguises', () => {
  it.each(['what the fuuck', 'this is shiit', 'you iddiot', 'you are a loosser'])('catches %j at strict', (text) => {
    const f = createModerationFilter({ level: 'strict' });
    expect(f.check('s', text, 0)).toEqual({ action: 'reject', reason: 'blocked_term' });
  });

  it('masks them at basic like the plain spelling', () => {
    expect(make().check('s', 'what the fuuck', 0)).toEqual({ action: 'mask', text: 'what the *****', matches: 1 });
  });
});

describe('masking', () => {
  it('replaces the original span, separators and invisible characters inside it included', () => {
    const f = make();
    expect(f.check('s', 'say h.e.l.l.o now', 0)).toEqual({ action: 'mask', text: 'say ********* now', matches: 1 });
    expect(f.check('s', 'an 1d\u200bi0t!', 0)).toEqual({ action: 'mask', text: 'an ******!', matches: 1 });
    expect(f.check('s', 'get ｆｒｅｅ   ｃｒｙｐｔｏ today', 0)).toEqual({
      action: 'mask',
      text: `get ${'*'.repeat(13)} today`,
      matches: 1,
    });
  });

  it('masks every occurrence and merges overlapping matches into one span', () => {
    const f = make({ terms: ['hello', '*ell*', 'idiot'] });
    expect(f.check('s', 'hello idiot hello', 0)).toEqual({ action: 'mask', text: '***** ***** *****', matches: 3 });
  });

  it('keeps the UTF-16 length and changes nothing outside matches (property)', () => {
    const f = make({ floodMax: 1000, floodWindowMs: 1 });
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.constantFrom(
        'hello',
        'h.e.l.l.o',
        'H3LL0',
        'idiot',
        'free crypto',
        'fuuuck',
        'a$$',
        'ıdıot',
        '\u200b',
        '\u0301',
        ' ',
        '.',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const text = pieces.join('');
        const v = f.check('p', text, 0);
        if (v.action === 'allow') return;
        expect(v.action).toBe('mask');
        if (v.action !== 'mask') return;
        expect(v.text.length).toBe(text.length);
        for (let i = 0; i < text.length; i++) if (v.text[i] !== '*') expect(v.text[i]).toBe(text[i]);
      }),
      { numRuns: 300 },
    );
  });

  it('masks a disguised term completely wherever it is placed between words (property)', () => {
    const f = make({ floodMax: 1000, floodWindowMs: 1 });
    const word = fc.constantFrom('we', 'ship', 'the', 'release', 'today', 'ok', 'thanks', 'team');
    const term = fc.constantFrom('idiot', '1d10t', 'IDIOT', 'i.d.i.o.t', 'ídiót', 'іdіоt', 'iddddiooot', 'i\u200bdiot');
    fc.assert(
      fc.property(fc.array(word, { maxLength: 5 }), term, fc.array(word, { maxLength: 5 }), (before, t, after) => {
        const prefix = before.length > 0 ? before.join(' ') + ' ' : '';
        const suffix = after.length > 0 ? ' ' + after.join(' ') : '';
        const v = f.check('p', prefix + t + suffix, 0);
        expect(v).toEqual({ action: 'mask', text: prefix + '*'.repeat(t.length) + suffix, matches: 1 });
      }),
      { numRuns: 200 },
    );
  });
});

describe('rejection reasons and their order', () => {
  it('rejects more than maxLinks links at basic and strict', () => {
    for (const level of ['basic', 'strict'] as const) {
      const f = make({ level, maxLinks: 2 });
      expect(f.check('s', 'see https://a.com and www.b.org', 0)).toEqual({ action: 'allow' });
      expect(f.check('s', 'see https://a.com and www.b.org and c.io/x', 1)).toEqual({ action: 'reject', reason: 'links' });
    }
  });

  it('checks flood before links before terms', () => {
    const f = make({ floodMax: 1, maxLinks: 0 });
    expect(f.check('s', 'idiot x.com', 0)).toEqual({ action: 'reject', reason: 'links' });
    expect(f.check('s', 'idiot x.com', 1)).toEqual({ action: 'reject', reason: 'flood' });
  });

  it('basic never rewrites shouting (not even case); strict rejects it', () => {
    const loud = 'WHY IS THE BUILD BROKEN AGAIN';
    expect(make().check('s', loud, 0)).toEqual({ action: 'allow' });
    expect(make().check('s', 'BROADCAST-MARK BROADCAST-MARK', 0)).toEqual({ action: 'allow' });
    expect(make().check('s', 'YOU IDIOT, THE BUILD IS BROKEN', 0)).toEqual({
      action: 'mask',
      text: 'YOU *****, THE BUILD IS BROKEN',
      matches: 1,
    });
    expect(make({ level: 'strict' }).check('s', loud, 0)).toEqual({ action: 'reject', reason: 'caps' });
    expect(make({ level: 'strict' }).check('s', 'OK LGTM', 0)).toEqual({ action: 'allow' });
  });

  it('strict rejects the third copy of one text within the window; basic does not check', () => {
    const strict = make({ level: 'strict' });
    expect(strict.check('s', 'buy my stuff', 0)).toEqual({ action: 'allow' });
    expect(strict.check('s', 'BUY my stuff', 1000)).toEqual({ action: 'allow' });
    expect(strict.check('s', 'buy  my stuff.', 2000)).toEqual({ action: 'reject', reason: 'repetition' });
    expect(strict.check('other', 'buy my stuff', 2000)).toEqual({ action: 'allow' });
    const basic = make();
    for (let i = 0; i < 5; i++) expect(basic.check('s', 'buy my stuff', i)).toEqual({ action: 'allow' });
  });

  it('rejects flood at basic and strict with an injected clock', () => {
    for (const level of ['basic', 'strict'] as const) {
      const f = make({ level, floodMax: 3, floodWindowMs: 1000 });
      expect([0, 100, 200].map((t) => f.check('s', `message ${t}`, t).action)).toEqual(['allow', 'allow', 'allow']);
      expect(f.check('s', 'one too many', 300)).toEqual({ action: 'reject', reason: 'flood' });
    }
  });
});

describe('options', () => {
  it('rejects a bad option with FILTER_INVALID_OPTION', () => {
    const bad: Partial<ModerationFilterOptions>[] = [
      { level: 'loud' as never },
      { floodMax: 0 },
      { floodWindowMs: 1.5 },
      { repeatMax: 20, repeatHistory: 8 },
      { capsRatio: 2 },
      { maxSenders: -1 },
      { layout: 'tree' as never },
    ];
    for (const o of bad) {
      let err: unknown;
      try {
        make(o);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModerationError);
      expect((err as ModerationError).code).toBe('FILTER_INVALID_OPTION');
    }
  });

  it('gives the same verdicts with the dense and sparse layouts', () => {
    const dense = createModerationFilter({ level: 'basic', layout: 'dense', floodMax: 1000 });
    const sparse = createModerationFilter({ level: 'basic', layout: 'sparse', floodMax: 1000 });
    for (const text of ['you f.u.c.k.i.n.g idiot', 'free bitcoin giveaway!!', 'hello world', 'sh1thead', 'kill urself']) {
      expect(sparse.check('s', text, 0)).toEqual(dense.check('s', text, 0));
    }
  });
});
