/**
 * Measures the moderation filter's cost per message with measureFilterCost (../lib/filter-cost.ts)
 * on the server's own filter from the build, in a process of its own so the bench runner's
 * heap and JIT state do not mix in. Usage (the runner spawns it):
 *
 *   node filter-cost-worker.js <level>[,<level>…] <messages> <runs>
 *
 * Prints one JSON line per run: { level, run, cost, cpuUs, wallUs }, then { totalCpuUs }.
 */
import { pathToFileURL } from 'node:url';
import { measureFilterCost } from '../lib/filter-cost.js';
import { LOOPCHAT_MODERATION } from '../lib/paths.js';

type Moderation = typeof import('../../src/moderation/index.js');

const [levelsArg = 'basic,strict', messagesArg = '100000', runsArg = '3'] = process.argv.slice(2);
const { createModerationFilter } = (await import(pathToFileURL(LOOPCHAT_MODERATION).href)) as Moderation;
if (typeof createModerationFilter !== 'function')
  throw new Error(`${LOOPCHAT_MODERATION} exports no createModerationFilter (build the server first: npx tsc -b)`);
const measure = (options: { level: 'basic' | 'strict'; messages: number }) =>
  measureFilterCost(createModerationFilter, options);

for (let run = 1; run <= Number(runsArg); run++) {
  for (const level of levelsArg.split(',') as ('basic' | 'strict')[]) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    // The same corpus every run (seed 1): runs differ only by what the machine did.
    const cost = measure({ level, messages: Number(messagesArg) });
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`${JSON.stringify({ level, run, cost, cpuUs: cpu.user + cpu.system, wallUs })}\n`);
  }
}
const total = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ totalCpuUs: total.user + total.system })}\n`);
