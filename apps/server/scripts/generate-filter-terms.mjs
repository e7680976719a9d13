#!/usr/bin/env node
/**
 * Generates apps/server/data/filter-terms.txt, the DEMONSTRATION term list shipped with the
 * moderation filter (src/moderation/terms.ts documents the syntax).
 *
 * A base vocabulary of a few hundred stems and phrases (mild-to-moderate profanity, insults,
 * threats, and common spam/scam phrases), written here by hand, is expanded by fixed rules into
 * inflections, compounds and phrase variants. Deterministic: the same script always writes the
 * same file, so the list can be regenerated and diffed.
 *
 *   node apps/server/scripts/generate-filter-terms.mjs [output-path]
 *
 * Not a complete or authoritative moderation list; operators supply their own with
 * `--filter-terms PATH`. No slurs against protected groups are included on purpose.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = process.argv[2] ?? fileURLToPath(new URL('../data/filter-terms.txt', import.meta.url));

/** @type {Map<string, string>} term → section, first occurrence wins */
const terms = new Map();
const add = (section, term) => {
  const t = term.trim().replace(/\s+/g, ' ');
  if (t !== '' && !terms.has(t)) terms.set(t, section);
};

// --- Profanity: verbs with inflections -------------------------------------------------
const VERB_STEMS = ['fuck', 'shit', 'piss', 'crap', 'bugger', 'frig', 'feck', 'wank', 'damn', 'bitch'];
const VERB_SUFFIXES = ['', 's', 'ed', 'er', 'ers', 'ing', 'in', 'ery', 'y'];
const doubled = { shit: 'shitt', crap: 'crapp', frig: 'frigg' }; // shitty, crappy, frigging
for (const stem of VERB_STEMS) {
  for (const suffix of VERB_SUFFIXES) {
    const base = suffix !== '' && /^[aeiouy]/.test(suffix) && doubled[stem] ? doubled[stem] : stem;
    add('profanity', suffix === 's' && /(s|sh|ch)$/.test(stem) ? stem + 'es' : base + suffix);
  }
}

// --- Profanity: nouns, compounds, prefixed forms ------------------------------------------
const PROFANE_STEMS = [
  'fuck',
  'shit',
  'piss',
  'crap',
  'dick',
  'ass',
  'arse',
  'douche',
  'wank',
  'twat',
  'bitch',
  'knob',
  'butt',
  'turd',
  'scum',
  'cock',
  'prick',
  'bollock',
];
const COMPOUND_TAILS = [
  'head',
  'face',
  'wit',
  'wad',
  'bag',
  'stick',
  'brain',
  'nugget',
  'bucket',
  'weasel',
  'muppet',
  'goblin',
  'monkey',
  'pants',
  'show',
  'storm',
  'fest',
  'load',
  'hole',
  'waffle',
  'biscuit',
  'lord',
  'nozzle',
  'sack',
  'stain',
  'trumpet',
  'lips',
  'burger',
  'hound',
];
for (const stem of PROFANE_STEMS) {
  for (const tail of COMPOUND_TAILS) {
    add('profanity compounds', stem + tail);
    add('profanity compounds', stem + tail + 's');
  }
}
const PREFIXES = [
  'mother',
  'bull',
  'horse',
  'dog',
  'chicken',
  'dumb',
  'dip',
  'jack',
  'lame',
  'smart',
  'cluster',
  'mind',
  'fat',
  'lazy',
  'dumbass',
];
const PREFIXED = ['fucker', 'fuckers', 'fucking', 'shit', 'shits', 'ass', 'asses', 'arse'];
for (const p of PREFIXES) for (const w of PREFIXED) add('profanity compounds', p + w);

// Respellings that leet/look-alike folding does not reach.
const RESPELLINGS = [
  'fck',
  'fcking',
  'fckin',
  'fcked',
  'fuk',
  'fuks',
  'fukd',
  'fukin',
  'fuking',
  'fuq',
  'fuqing',
  'phuck',
  'phucking',
  'fcuk',
  'fkn',
  'fking',
  'fkin',
  'effing',
  'effin',
  'mofo',
  'mofos',
  'mfer',
  'mfers',
  'stfu',
  'gtfo',
  'wtf',
  'fml',
  'sht',
  'shyt',
  'shite',
  'shitey',
  'btch',
  'biatch',
  'biotch',
  'beeyotch',
  'azz',
  'azzhole',
  'dik',
  'dikhead',
  'prik',
  'wankr',
  'bastad',
  'basterd',
  'bich',
  'biches',
  'bullcrap',
  'horsecrap',
  'jackarse',
  'arsed',
  'arsey',
  'pissy',
  'pissant',
];
for (const r of RESPELLINGS) add('respellings', r);

// Whole words that are ordinary inside longer words: whole-word only (the default).
const NOUNS = [
  'ass',
  'asses',
  'arse',
  'arses',
  'asshole',
  'assholes',
  'arsehole',
  'arseholes',
  'bastard',
  'bastards',
  'bollocks',
  'bullshit',
  'bullshitter',
  'dickhead',
  'douchebag',
  'jackass',
  'jackasses',
  'prick',
  'pricks',
  'twat',
  'twats',
  'wanker',
  'wankers',
  'tosser',
  'tossers',
  'knobhead',
  'butthead',
  'dumbass',
  'dipshit',
  'shithead',
  'scumbag',
  'sleazebag',
  'slimeball',
  'dirtbag',
  'numbnuts',
  'pillock',
  'plonker',
  'berk',
  'sod off',
  'piss off',
  'bugger off',
  'get stuffed',
  'up yours',
  'screw you',
  'screw off',
  'damn you',
  'to hell with you',
  'go to hell',
  'eat shit',
  'eat dirt',
  'suck it',
  'bite me',
  'kiss my ass',
  'kiss my arse',
  'shove it',
  'shut the hell up',
  'shut your mouth',
  'shut your face',
];
for (const w of NOUNS) add('profanity', w);

// Substring terms: stems that do not occur inside ordinary English words.
for (const w of ['*fuck*', '*motherfuck*', '*bullshit*', '*asshole*', '*arsehole*', '*dickhead*', '*shithead*'])
  add('substring', w);

// --- Insults: nouns, adjective + noun, "you …" -------------------------------------------
const INSULT_NOUNS = [
  'idiot',
  'moron',
  'imbecile',
  'cretin',
  'dimwit',
  'nitwit',
  'halfwit',
  'dunce',
  'loser',
  'creep',
  'lowlife',
  'scum',
  'dork',
  'dweeb',
  'doofus',
  'nincompoop',
  'buffoon',
  'clown',
  'troll',
  'jerk',
  'schmuck',
  'putz',
  'bozo',
  'numpty',
  'simpleton',
  'ignoramus',
  'degenerate',
  'parasite',
  'leech',
  'worm',
  'maggot',
  'rat',
  'snake',
  'weasel',
  'pig',
  'slob',
  'oaf',
  'lout',
  'brute',
  'hack',
  'fraud',
  'phony',
  'coward',
  'crybaby',
  'wimp',
  'sissy',
  'weirdo',
  'freak',
  'psycho',
  'nutjob',
  'airhead',
  'bonehead',
  'blockhead',
  'meathead',
  'knucklehead',
  'pinhead',
  'fathead',
  'dingbat',
  'dipstick',
];
const INSULT_ADJECTIVES = [
  'stupid',
  'dumb',
  'pathetic',
  'worthless',
  'useless',
  'brainless',
  'clueless',
  'spineless',
  'gutless',
  'disgusting',
  'ugly',
  'fat',
  'lazy',
  'filthy',
  'miserable',
  'sad',
  'fucking',
  'damn',
  'bloody',
  'total',
  'complete',
  'absolute',
];
const YOU_FORMS = [
  'you',
  'you are a',
  'youre a',
  'you are such a',
  'youre such a',
  'ur a',
  'what a',
  'shut up',
  'go away',
  'nobody likes you',
];
// Ordinary words in other senses ("a rat in the kitchen", "a hack week"): phrases only.
const AMBIGUOUS = new Set([
  'rat',
  'snake',
  'pig',
  'worm',
  'weasel',
  'leech',
  'hack',
  'fraud',
  'clown',
  'troll',
  'freak',
  'brute',
  'parasite',
  'maggot',
  'creep',
  'phony',
  'psycho',
]);
for (const n of INSULT_NOUNS) {
  if (!AMBIGUOUS.has(n)) {
    add('insults', n);
    add('insults', n.endsWith('s') ? n + 'es' : n + 's');
  }
  for (const y of YOU_FORMS) add('insult phrases', `${y} ${n}`);
  for (const a of INSULT_ADJECTIVES) add('insult phrases', `${a} ${n}`);
}

// --- Threats and self-harm incitement: always rejected -----------------------------------
const THREAT_SUBJECTS = ['i will', 'ill', 'i am going to', 'im going to', 'im gonna', 'gonna', 'we will', 'someone should'];
// Not 'find' or 'beat': "I will find you a seat", "I will beat you at chess".
const THREAT_VERBS = ['kill', 'hurt', 'dox', 'stab', 'shoot', 'end'];
for (const s of THREAT_SUBJECTS) for (const v of THREAT_VERBS) add('threats', `!${s} ${v} you`);
for (const t of [
  'kill yourself',
  'kill urself',
  'kys',
  'go die',
  'hope you die',
  'you should die',
  'drink bleach',
  'neck yourself',
  'end yourself',
  'i know where you live',
  'we know where you live',
  'nobody would miss you',
  'the world is better without you',
  'i will leak your address',
])
  add('threats', `!${t}`);

// --- Spam and scams ---------------------------------------------------------------------
const SPAM_OBJECTS = [
  'crypto',
  'bitcoin',
  'btc',
  'eth',
  'ethereum',
  'usdt',
  'dogecoin',
  'solana',
  'nft',
  'nfts',
  'tokens',
  'coins',
  'gift card',
  'gift cards',
  'robux',
  'vbucks',
  'v bucks',
  'skins',
  'followers',
  'likes',
  'subscribers',
  'views',
  'iphone',
  'cash',
  'money',
  'prizes',
  'nitro',
  'discord nitro',
  'steam keys',
  'game keys',
];
const SPAM_TEMPLATES = [
  'free {o}',
  'get free {o}',
  'claim your {o}',
  'claim free {o}',
  'win free {o}',
  '{o} giveaway',
  'double your {o}',
  '{o} doubler',
  'buy {o} now',
  '{o} airdrop',
  'earn {o} fast',
  'instant {o}',
  'unlimited {o}',
  '{o} generator',
  'free {o} generator',
  'legit {o} giveaway',
];
for (const t of SPAM_TEMPLATES) {
  for (const o of SPAM_OBJECTS) {
    const phrase = t.replace('{o}', o);
    add('spam', phrase);
    add('spam (joined)', phrase.replace(/ /g, ''));
  }
}
const AMOUNTS = ['$100', '$200', '$300', '$500', '$1000', '$5000', '100 dollars', '500 dollars', '1000 dollars'];
const AMOUNT_TEMPLATES = [
  'earn {a} a day',
  'make {a} a day',
  'earn {a} per day',
  'make {a} per day',
  '{a} per day',
  '{a} daily',
  'earn {a} a week',
  'make {a} from home',
];
for (const t of AMOUNT_TEMPLATES) for (const a of AMOUNTS) add('spam', t.replace('{a}', a));
const SPAM_PHRASES = [
  'click here to claim',
  'click here to win',
  'click the link below',
  'click the link in my bio',
  'link in bio',
  'check my bio',
  'limited time offer',
  'act now',
  'risk free',
  '100% free',
  'no credit card required',
  'make money fast',
  'make money online',
  'work from home and earn',
  'be your own boss',
  'guaranteed income',
  'guaranteed returns',
  'guaranteed profit',
  'passive income',
  'investment opportunity',
  'financial freedom',
  'dm me to earn',
  'dm for promo',
  'dm me for details',
  'message me on telegram',
  'join my telegram',
  'whatsapp me',
  'verify your account',
  'confirm your password',
  'send me your password',
  'send me your seed phrase',
  'your account has been suspended',
  'your account will be deleted',
  'you have won',
  'you have been selected',
  'congratulations you won',
  'claim your prize',
  'claim your reward',
  'enter your seed phrase',
  'enter your recovery phrase',
  'wallet validation',
  'connect your wallet',
  'validate your wallet',
  'sync your wallet',
  'hot singles',
  'singles in your area',
  'meet singles',
  'xxx',
  'viagra',
  'cialis',
  'casino bonus',
  'free spins',
  'no deposit bonus',
  'bet now',
  'lottery winner',
  'inheritance claim',
  'pay the customs fee',
  'follow for follow',
  'f4f',
  'sub4sub',
  'like4like',
  'cheap followers',
  'buy followers',
  'buy likes',
  'increase your followers',
  'get rich quick',
  'miracle cure',
  'lose weight fast',
  'weight loss pills',
  'crypto signals',
  '1000x gem',
  '100x gem',
  'next 100x',
  'presale now live',
  'elon giveaway',
  'elon musk giveaway',
  'send 1 btc get 2 btc',
  'send 1 eth get 2 eth',
  'forex signals',
  'binary options',
  'account manager will contact you',
  'recover your lost funds',
  'funds recovery',
  'hacked account recovery',
  'i can hack',
  'hire a hacker',
  'spell caster',
];
for (const p of SPAM_PHRASES) add('spam', p);

// --- Write ------------------------------------------------------------------------------
const lines = [
  '# loopchat moderation filter: DEMONSTRATION term list.',
  '# Generated by apps/server/scripts/generate-filter-terms.mjs: edit the script, not this file.',
  '# Not a complete or authoritative list; supply your own with --filter-terms PATH.',
  '# Syntax (src/moderation/terms.ts): one term per line, whole word by default;',
  '#   term* = word start, *term = word end, *term* = anywhere, !term = always reject.',
  `# ${terms.size} terms.`,
];
// Grouped by section, sections in order of first appearance, terms in generation order.
const sections = new Map();
for (const [term, section] of terms) {
  if (!sections.has(section)) sections.set(section, []);
  sections.get(section).push(term);
}
for (const [section, list] of sections) lines.push('', `# ${section} (${list.length})`, ...list);
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${terms.size} terms to ${out}`);
