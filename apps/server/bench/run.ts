#!/usr/bin/env node
/**
 * `npm run bench`: idle-connection memory and fan-out benchmarks of loopchat against a
 * bare node:net server and naive ws / node:net broadcast servers; writes BENCHMARKS.md
 * (and the raw results as JSON under /tmp). See DESIGN.md, "Performance notes".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import './lib/children.js';
import { nowUs } from './lib/clock.js';
import { BENCH_LOOPCHAT_ARGS } from './lib/loopchat-args.js';
import { REPO_ROOT, TMP_DIR } from './lib/paths.js';
import { QUIET_PERCENT } from './lib/quiet.js';
import type { BenchOptions, BenchResults, SaturationStep } from './lib/results.js';
import { SERVER_KINDS, type ServerId } from './lib/servers.js';
import { fixed, rate } from './lib/summary.js';
import { machineInfo } from './report/machine.js';
import { renderMarkdown, sustainedVerdict } from './report/markdown.js';
import { FanoutSeries, type FanoutOptions, type FanoutResult } from './scenarios/fanout.js';
import { runMemory } from './scenarios/memory.js';

/** Phases re-measured because other processes loaded the machine, at most, per bench run. */
const MAX_RETRIES = 6;
const SATURATION_WARMUP_S = 1;
const MEMORY_SERVERS: ServerId[] = ['bare-net', 'loopchat-tcp', 'loopchat-ws', 'naive-ws', 'naive-net'];
const FANOUT_SERVERS: ServerId[] = ['loopchat-tcp', 'loopchat-ws', 'naive-ws', 'naive-net'];

const positiveInt = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return Number(value);
};
const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
};
const rateList = (value: string): number[] => {
  if (value === 'none' || value === '') return [];
  return value.split(',').map((v) => positiveNumber(v.trim()));
};
const serverList =
  (allowed: ServerId[]) =>
  (value: string): ServerId[] => {
    const ids = value.split(',').map((v) => v.trim()) as ServerId[];
    for (const id of ids)
      if (!allowed.includes(id)) throw new InvalidArgumentError(`unknown server '${id}' (one of ${allowed.join(', ')}).`);
    return ids;
  };

function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('bench')
    .description('loopchat benchmarks: idle-connection memory and room fan-out, against bare and naive servers')
    .addOption(new Option('--only <what>', 'run one part only').choices(['memory', 'fanout']))
    .option('--connections <n>', 'idle connections per server (memory)', positiveInt)
    .option('--rooms <n>', 'rooms the idle connections join (memory)', positiveInt, 100)
    .option('--concurrency <n>', 'connections being opened at once (memory)', positiveInt, 500)
    .option('--settle <ms>', 'quiet time before reading RSS (memory)', positiveInt, 2000)
    .option('--memory-runs <n>', 'memory runs per server (median reported)', positiveInt)
    .option(
      '--memory-servers <list>',
      `servers for the memory bench (${MEMORY_SERVERS.join(',')})`,
      serverList(MEMORY_SERVERS),
    )
    .option('--members <n>', 'members of the fan-out room', positiveInt)
    .option('--rate <n>', 'fixed fan-out rate, deliveries per second', positiveNumber, 100_000)
    .option('--warmup <s>', 'fan-out warm-up, seconds', positiveNumber)
    .option('--duration <s>', 'fan-out measurement window, seconds', positiveNumber)
    .option('--runs <n>', 'fixed-rate fan-out runs per server (median reported)', positiveInt)
    .option('--saturation <list>', "saturation steps, deliveries/s, comma-separated, or 'none'", rateList)
    .option('--saturation-duration <s>', 'measurement window of each saturation step, seconds', positiveNumber)
    .option('--client-procs <n>', 'client processes holding the fan-out members', positiveInt, 2)
    .option(
      '--fanout-servers <list>',
      `servers for the fan-out bench (${FANOUT_SERVERS.join(',')})`,
      serverList(FANOUT_SERVERS),
    )
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
  const f = program.opts<{
    only?: 'memory' | 'fanout';
    connections?: number;
    rooms: number;
    concurrency: number;
    settle: number;
    memoryRuns?: number;
    memoryServers?: ServerId[];
    members?: number;
    rate: number;
    warmup?: number;
    duration?: number;
    runs?: number;
    saturation?: number[];
    saturationDuration?: number;
    clientProcs: number;
    fanoutServers?: ServerId[];
    quick: boolean;
    out?: string;
    raw: string;
    quietWait: number;
    loopchatArgs: string;
  }>();
  const q = f.quick;
  const durationS = f.duration ?? (q ? 3 : 10);
  // npm runs scripts from the repo root; a path given by hand is relative to where the user was.
  const out =
    f.out === undefined
      ? join(REPO_ROOT, 'BENCHMARKS.md')
      : isAbsolute(f.out)
        ? f.out
        : resolve(process.env.INIT_CWD ?? process.cwd(), f.out);
  return {
    only: f.only ?? 'all',
    connections: f.connections ?? (q ? 1000 : 10_000),
    rooms: f.rooms,
    concurrency: f.concurrency,
    settleMs: f.settle,
    memoryRuns: f.memoryRuns ?? (q ? 1 : 3),
    memoryServers: f.memoryServers ?? MEMORY_SERVERS,
    members: f.members ?? (q ? 200 : 2000),
    rate: f.rate,
    warmupS: f.warmup ?? (q ? 1 : 2),
    durationS,
    runs: f.runs ?? (q ? 1 : 3),
    saturationRates: f.saturation ?? (q ? [200_000, 400_000] : [200_000, 400_000, 800_000, 1_600_000, 3_200_000, 6_400_000]),
    saturationDurationS: f.saturationDuration ?? (q ? durationS : Math.max(1, durationS / 2)),
    clientProcs: f.clientProcs,
    fanoutServers: f.fanoutServers ?? FANOUT_SERVERS,
    quick: q,
    quietWaitS: f.quietWait,
    loopchatArgs: f.loopchatArgs.split(/\s+/).filter((a) => a !== ''),
    out,
    raw: f.raw,
    argv,
  };
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function describeFanout(x: FanoutResult): string {
  return (
    `delivered ${rate(x.deliveredPerSecond)}/s of ${rate(x.offeredPerSecond)}, ${fixed(x.serverCpuUsPerDelivery, 2)} µs/delivery ` +
    `(server ${fixed(x.serverCpuPercent, 0)} % CPU), p50 ${fixed(x.latencyP50Ms, 1)} ms p99 ${fixed(x.latencyP99Ms, 1)} ms, ` +
    `clients ${x.clientCpuPercentPerProc.map((v) => fixed(v, 0)).join('+')} % CPU, ${x.totalDelivered}/${x.totalExpected} delivered` +
    `, other load ${fixed(x.otherLoadPercent, 0)} %` +
    (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : '') +
    (x.warnings.length > 0 ? ` — WARNINGS: ${x.warnings.join('; ')}` : '')
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = nowUs();
  const results: BenchResults = {
    options,
    machine: machineInfo(),
    startedAt: new Date().toISOString(),
    elapsedS: 0,
    memory: {},
    fanout: {},
    saturation: {},
    failures: [],
  };
  log(`loopchat bench: ${options.only}; report → ${options.out}; server logs → ${TMP_DIR}`);

  if (options.only !== 'fanout') {
    // Runs interleave the servers, so slow drift on the machine spreads over all of them.
    for (let run = 1; run <= options.memoryRuns; run++) {
      for (const id of options.memoryServers) {
        try {
          const x = await runMemory(SERVER_KINDS[id], {
            connections: options.connections,
            rooms: options.rooms,
            concurrency: options.concurrency,
            settleMs: options.settleMs,
            quietWaitS: options.quietWaitS,
            loopchatArgs: [...BENCH_LOOPCHAT_ARGS, ...options.loopchatArgs],
          });
          (results.memory[id] ??= []).push(x);
          log(
            `memory ${id} run ${run}: ${fixed(x.kibPerConnection, 2)} KiB/conn after GC, ${fixed(x.kibPerConnectionSettled, 2)} settled ` +
              `(${x.rssBeforeKiB} → ${x.rssSettledKiB} → ${x.rssAfterKiB} KiB), other load ${fixed(x.otherLoadPercent, 0)} %, ${x.connected}/${x.connections} connected in ` +
              `${fixed(x.connectSeconds, 2)} s, p99 ${fixed(x.connectP99Ms, 1)} ms` +
              (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : ''),
          );
        } catch (err) {
          results.failures.push({ server: id, scenario: 'memory', error: (err as Error).message });
          log(`memory ${id}: FAILED: ${(err as Error).stack ?? String(err)}`);
        }
      }
    }
  }

  if (options.only !== 'memory') {
    const fanoutOptions: FanoutOptions = {
      members: options.members,
      warmupS: options.warmupS,
      clientProcs: options.clientProcs,
      drainTimeoutMs: 5_000,
      quietWaitS: options.quietWaitS,
      loopchatArgs: [...BENCH_LOOPCHAT_ARGS, ...options.loopchatArgs],
    };
    // A phase spoiled by other processes on the machine is run again, within a budget.
    let retries = MAX_RETRIES;
    const measure = async (
      series: FanoutSeries,
      what: string,
      offered: number,
      durationS: number,
      warmupS?: number,
    ): Promise<FanoutResult> => {
      for (;;) {
        const x = await series.run(offered, durationS, warmupS);
        const spoiled =
          x.otherLoadPercent > QUIET_PERCENT &&
          (sustainedVerdict(x) !== 'yes' || x.problems.length > 0 || x.otherLoadPercent > 2 * QUIET_PERCENT);
        if (!spoiled || retries === 0) return x;
        retries--;
        log(
          `${what}: other processes used ${fixed(x.otherLoadPercent, 0)} % of a core; measuring again (${retries} retries left): ${describeFanout(x)}`,
        );
      }
    };
    for (const id of options.fanoutServers) {
      let series: FanoutSeries | undefined;
      let phase = 'setup';
      try {
        series = await FanoutSeries.open(SERVER_KINDS[id], fanoutOptions);
        for (let run = 1; run <= options.runs; run++) {
          phase = `fan-out run ${run}`;
          const x = await measure(series, `fan-out ${id} run ${run}`, options.rate, options.durationS);
          (results.fanout[id] ??= []).push(x);
          log(`fan-out ${id} run ${run}: ${describeFanout(x)}`);
        }
        const steps: SaturationStep[] = (results.saturation[id] = []);
        for (const offered of options.saturationRates) {
          phase = `saturation ${rate(offered)}/s`;
          // The server is warm by now: a short warm-up per step is enough.
          const x = await measure(
            series,
            `saturation ${id} ${rate(offered)}/s`,
            offered,
            options.saturationDurationS,
            SATURATION_WARMUP_S,
          );
          const why = sustainedVerdict(x);
          steps.push({ result: x, sustained: why === 'yes', why });
          log(
            `saturation ${id} ${rate(offered)}/s: ${why === 'yes' ? 'sustained' : `NOT sustained (${why})`}: ${describeFanout(x)}`,
          );
          if (why !== 'yes') break;
        }
      } catch (err) {
        results.failures.push({
          server: id,
          scenario: phase === 'setup' ? 'fan-out setup' : phase,
          error: (err as Error).message,
        });
        log(`${phase} ${id}: FAILED: ${(err as Error).stack ?? String(err)}`);
      } finally {
        await series?.close();
      }
    }
  }

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
