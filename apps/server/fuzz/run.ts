#!/usr/bin/env node
/**
 * `npm run fuzz`: feeds generated inputs to the line decoder, the codec, text mode and a
 * live server's session state machine, and prints inputs tried per target and per second.
 *
 *   npm run fuzz -- [--runs N] [--session-runs N] [--seed S] [--time-limit 60s]
 *                   [--only line-decoder,codec,text-mode,irc,session] [--include-known]
 *
 * Defaults: 350,000 inputs for each pure target and 3,000 session sequences (tens of
 * thousands of frames): over 1,000,000 inputs in all. A failure prints fast-check's
 * counterexample, seed and path; rerun with the same `--seed` to reproduce it.
 * Exit code: 0 when every target held, 1 when one failed, 2 on a bad flag.
 */
import { parseArgs } from 'node:util';
import { fuzzCodec } from './codec.fuzz.js';
import { fuzzIrc } from './irc.fuzz.js';
import { KNOWN_BUGS } from './known-bugs.js';
import { fuzzLineDecoder } from './line-decoder.fuzz.js';
import { fuzzSession } from './session.fuzz.js';
import { startFuzzServer } from './session-server.js';
import { perSecond, type FuzzBudget, type FuzzResult } from './target.js';
import { fuzzTextMode } from './text-mode.fuzz.js';

const TARGETS = ['line-decoder', 'codec', 'text-mode', 'irc', 'session'] as const;
type Target = (typeof TARGETS)[number];

function fail(message: string): never {
  console.error(`fuzz: ${message}`);
  process.exit(2);
}

function count(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) fail(`--${flag} must be a positive whole number`);
  return Number(value);
}

/** `90`, `90s`, `2m`: seconds unless suffixed. */
function duration(value: string | undefined): number {
  if (value === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (m === null) fail('--time-limit must look like 90, 90s, 2m or 500ms');
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    'session-runs': { type: 'string' },
    seed: { type: 'string' },
    'time-limit': { type: 'string' },
    only: { type: 'string' },
    'include-known': { type: 'boolean', default: false },
  },
});

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(seed)) fail('--seed must be an integer');
const only = (values.only ?? TARGETS.join(',')).split(',').map((t) => t.trim()) as Target[];
for (const t of only) if (!TARGETS.includes(t)) fail(`unknown target "${t}" (${TARGETS.join(', ')})`);
const base = { seed, timeLimitMs: duration(values['time-limit']), includeKnown: values['include-known'] };
const pure: FuzzBudget = { ...base, runs: count('runs', values.runs, 350_000) };
const session: FuzzBudget = { ...base, runs: count('session-runs', values['session-runs'], 3_000) };

console.log(`fuzz: seed ${seed} (rerun with --seed ${seed}); node ${process.version}`);
if (!base.includeKnown && KNOWN_BUGS.length > 0) {
  console.log(`fuzz: skipping inputs that trigger ${KNOWN_BUGS.length} known bug(s) (--include-known to feed them):`);
  for (const bug of KNOWN_BUGS) console.log(`  - ${bug.name} [${bug.test}]`);
}

const results: FuzzResult[] = [];
function report(result: FuzzResult): void {
  results.push(result);
  const units = result.units === undefined ? '' : `, ${result.units.count.toLocaleString('en')} ${result.units.name}`;
  const skipped = result.skippedKnown > 0 ? `, ${result.skippedKnown} skipped (known bugs)` : '';
  const verdict = result.failure === undefined ? 'held' : 'FAILED';
  console.log(
    `${result.target.padEnd(13)} ${result.inputs.toLocaleString('en').padStart(10)} inputs in ${(result.ms / 1000).toFixed(1)} s` +
      ` (${perSecond(result).toLocaleString('en')}/s${units}${skipped})${result.interrupted ? ' [time limit]' : ''}: ${verdict}`,
  );
  if (result.extra !== undefined) console.log(`${''.padEnd(13)} ${JSON.stringify(result.extra)}`);
  if (result.failure !== undefined) console.log(result.failure);
}

if (only.includes('line-decoder')) report(fuzzLineDecoder(pure));
if (only.includes('codec')) report(fuzzCodec(pure));
if (only.includes('text-mode')) report(fuzzTextMode(pure));
if (only.includes('irc')) report(fuzzIrc(pure));
if (only.includes('session')) report(await fuzzSession(session, startFuzzServer));

const total = results.reduce((n, r) => n + r.inputs, 0);
console.log(`fuzz: ${total.toLocaleString('en')} inputs in all, seed ${seed}`);
process.exit(results.some((r) => r.failure !== undefined) ? 1 : 0);
