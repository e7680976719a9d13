/** BENCHMARKS.md as a whole (bench/report/markdown.ts): every registered part renders its section. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PARTS, type BenchResults } from '../../bench/lib/results.js';
import { renderMarkdown } from '../../bench/report/markdown.js';
import { heldResult } from './connections-fixture.js';

/** A real `--only memory` run's raw results (2026-12-04), as run.ts writes them. */
function memoryRun(): BenchResults {
  return JSON.parse(readFileSync(new URL('./fixtures/memory-run.json', import.meta.url), 'utf8')) as BenchResults;
}

describe('renderMarkdown', () => {
  it('renders a memory run as it did before the parts registry', async () => {
    await expect(renderMarkdown(memoryRun())).toMatchFileSnapshot('./fixtures/memory-run.md');
  });

  it('renders every part, in the report order, from one results object', async () => {
    const r = memoryRun();
    const history = { rooms: 100, members: 2, outstanding: 8, warmupS: 2, durationS: 5 };
    const options = { ...r.options, parts: [...PARTS], historyModes: ['memory', 'sqlite'] as const, history };
    const all = { ...r, options: { ...options, historyModes: [...options.historyModes] }, connections: heldResult() };
    await expect(renderMarkdown(all)).toMatchFileSnapshot('./fixtures/all-parts.md');
  });
});
