#!/usr/bin/env node
/**
 * `npm run bench`: idle-connection memory and fan-out benchmarks of loopchat against a
 * bare node:net server and naive ws / node:net broadcast servers; writes BENCHMARKS.md
 * (and the raw results as JSON under /tmp). See DESIGN.md, "Performance notes".
 *
 * Each part (its flags, options, runner and report section) is a module under parts/, listed
 * in parts/registry.ts; this file parses the command line and runs the parts asked for.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Command } from 'commander';
import './lib/children.js';
import { nowUs } from './lib/clock.js';
import { REPO_ROOT, TMP_DIR } from './lib/paths.js';
import { PARTS, emptyResults, type BenchOptions, type CommonOptions } from './lib/results.js';
import { machineInfo } from './report/machine.js';
import { renderMarkdown } from './report/markdown.js';
import { oneOf, positiveInt, positiveNumber } from './parts/cli-values.js';
import { log } from './parts/part.js';
import { BENCH_PARTS } from './parts/registry.js';

function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('bench')
    .description(
      "loopchat benchmarks: idle-connection memory and room fan-out against bare and naive servers; moderation filter cost, cluster scaling, the cluster primary's ceiling and bus latency",
    )
    .option('--only <parts>', `run only these parts, comma-separated (${PARTS.join(',')})`, oneOf(PARTS, 'part'))
    // 1,000/s: a ramp every server here keeps up with; one it falls behind (2,000/s had loopchat's
    // connect p99 at 4.6 s on a slow day) measures a backlog, and its memory, not idle connections.
    .option('--connect-rate <n>', 'new connections per second the loadgen opens (memory, fan-out)', positiveInt, 1000);
  for (const part of BENCH_PARTS) part.addFlags(program);
  program
    .option('--quick', 'smoke run: 1000 connections, 200 members, 3 s windows, one run of each, two saturation steps', false)
    .option(
      '--quiet-wait <s>',
      'before each measurement, wait up to this long for other processes to leave the CPU idle',
      positiveNumber,
      10,
    )
    .option('--loopchat-args <flags>', "extra loopchat flags for every loopchat run, e.g. '--workers 2'", '')
    .option('--out <path>', 'where to write the report (default: BENCHMARKS.md at the repo root)')
    .option('--raw <path>', 'where to write the raw results (JSON)', join(TMP_DIR, 'results.json'))
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const f = program.opts();
  // npm runs scripts from the repo root; a path given by hand is relative to where the user was.
  const out =
    f.out === undefined
      ? join(REPO_ROOT, 'BENCHMARKS.md')
      : isAbsolute(f.out)
        ? f.out
        : resolve(process.env.INIT_CWD ?? process.cwd(), f.out);
  const common: CommonOptions = {
    parts: f.only ?? [...PARTS],
    connectRate: f.connectRate,
    quick: f.quick,
    quietWaitS: f.quietWait,
    loopchatArgs: f.loopchatArgs.split(/\s+/).filter((a: string) => a !== ''),
    out,
    raw: f.raw,
    argv,
  };
  // Every part fills its own share; together they are the whole of BenchOptions.
  return Object.assign(common, ...BENCH_PARTS.map((part) => part.options(f, f.quick))) as BenchOptions;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = nowUs();
  const results = emptyResults(options, machineInfo(), new Date().toISOString());
  log(`loopchat bench: ${options.parts.join(', ')}; report → ${options.out}; server logs → ${TMP_DIR}`);
  for (const part of BENCH_PARTS) if (options.parts.includes(part.id)) await part.run(options, results);

  results.elapsedS = (nowUs() - started) / 1e6;
  mkdirSync(dirname(options.raw), { recursive: true });
  writeFileSync(options.raw, JSON.stringify(results, null, 2));
  writeFileSync(options.out, renderMarkdown(results));
  log(
    `done in ${Math.round(results.elapsedS)} s: ${options.out} (raw: ${options.raw}); ${results.failures.length} failure(s)`,
  );
  if (results.failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
