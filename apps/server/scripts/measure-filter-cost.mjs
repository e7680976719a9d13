#!/usr/bin/env node
/**
 * Prints the moderation filter's per-message cost for each level and automaton layout, and the
 * automaton search alone per layout. Needs a build first (`npx tsc -b`: the server's dist/ and
 * the bench's dist-bench/, where the corpus and measureFilterCost live).
 *
 *   node apps/server/scripts/measure-filter-cost.mjs [messages]
 *
 * The bench runner calls measureFilterCost() itself; this is the quick look while tuning.
 */
import { performance } from 'node:perf_hooks';
import { MatchList } from '../dist/moderation/aho-corasick.js';
import { generateChatMessages } from '../dist-bench/lib/chat-corpus.js';
import { measureFilterCost } from '../dist-bench/lib/filter-cost.js';
import { createModerationFilter } from '../dist/moderation/filter.js';
import { Normalizer } from '../dist/moderation/normalize.js';
import { DEFAULT_TERMS_PATH, compileTerms, loadTermsFile } from '../dist/moderation/terms.js';

const messages = Number(process.argv[2] ?? 50_000);
console.log(`node ${process.version}, ${messages} messages per run`);
for (const level of ['off', 'basic', 'strict']) {
  for (const layout of ['dense', 'sparse']) {
    const c = measureFilterCost(createModerationFilter, { level, messages, filter: { layout } });
    console.log(
      `${level.padEnd(6)} ${layout.padEnd(6)} p50 ${c.p50us} µs  p99 ${c.p99us} µs  mean ${c.meanus} µs  ${c.messagesPerSecond} msg/s`,
      c.verdicts,
    );
    if (level === 'off') break;
  }
}

// The automaton alone, over pre-normalized messages.
const lines = loadTermsFile(DEFAULT_TERMS_PATH);
const normalizer = new Normalizer();
const normalized = generateChatMessages(20_000, { seed: 5 }).map(({ text }) => {
  const n = normalizer.run(text);
  return { ...n, symbols: n.symbols.slice(0, n.length), runs: n.runs.slice(0, n.length), flags: n.flags.slice(0, n.length) };
});
for (const layout of ['dense', 'sparse']) {
  const t0 = performance.now();
  const { automaton } = compileTerms(lines, layout);
  const build = performance.now() - t0;
  const out = new MatchList();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = process.hrtime.bigint();
    for (const n of normalized) automaton.search(n, out);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / normalized.length / 1000);
  }
  console.log(
    `search ${layout.padEnd(6)} ${best.toFixed(3)} µs/message (states ${automaton.states}, k ${automaton.alphabetSize}, compile ${build.toFixed(0)} ms)`,
  );
}
