/** The memory part: KiB per idle connection of each server (scenarios/memory.ts). */
import { BENCH_LOOPCHAT_ARGS } from '../lib/loopchat-args.js';
import { SERVER_KINDS, type ServerId } from '../lib/servers.js';
import { fixed } from '../lib/summary.js';
import { renderMemory } from '../report/memory.js';
import { runMemory } from '../scenarios/memory.js';
import { oneOf, positiveInt } from './cli-values.js';
import { bySize, declareFlags, flag, flagValues, type FlagValues } from './flags.js';
import { fail, log, type BenchPart } from './part.js';

const MEMORY_SERVERS: ServerId[] = ['bare-net', 'loopchat-tcp', 'loopchat-ws', 'naive-ws', 'naive-net'];

const MEMORY_FLAGS = {
  connections: flag('--connections <n>', 'idle connections per server (memory)', positiveInt, bySize(1000, 10_000)),
  rooms: flag('--rooms <n>', 'rooms the idle connections join (memory)', positiveInt, 100),
  settleMs: flag('--settle <ms>', 'quiet time before reading RSS (memory)', positiveInt, 2000),
  memoryRuns: flag('--memory-runs <n>', 'memory runs per server (median reported)', positiveInt, bySize(1, 3)),
  memoryServers: flag(
    '--memory-servers <list>',
    `servers for the memory bench (${MEMORY_SERVERS.join(',')})`,
    oneOf(MEMORY_SERVERS, 'server'),
    MEMORY_SERVERS,
  ),
};

export type MemoryOptions = FlagValues<typeof MEMORY_FLAGS>;

export const memoryPart: BenchPart<MemoryOptions> = {
  id: 'memory',

  addFlags: (program) => declareFlags(program, MEMORY_FLAGS),
  options: (f, q) => flagValues(MEMORY_FLAGS, f, q),

  async run(o, results) {
    // Runs interleave the servers, so slow drift on the machine spreads over all of them.
    for (let run = 1; run <= o.memoryRuns; run++) {
      for (const id of o.memoryServers) {
        try {
          const x = await runMemory(SERVER_KINDS[id], {
            connections: o.connections,
            rooms: o.rooms,
            connectRate: o.connectRate,
            settleMs: o.settleMs,
            quietWaitS: o.quietWaitS,
            loopchatArgs: [...BENCH_LOOPCHAT_ARGS, ...o.loopchatArgs],
          });
          (results.memory[id] ??= []).push(x);
          log(
            `memory ${id} run ${run}: ${fixed(x.kibPerConnection, 2)} KiB/conn after GC, ${fixed(x.kibPerConnectionSettled, 2)} settled ` +
              `(${x.rssBeforeKiB} → ${x.rssSettledKiB} → ${x.rssAfterKiB} KiB), other load ${fixed(x.otherLoadPercent, 0)} %, ${x.connected}/${x.connections} connected in ` +
              `${fixed(x.connectSeconds, 2)} s, p99 ${fixed(x.connectP99Ms, 1)} ms` +
              (x.problems.length > 0 ? ` — PROBLEMS: ${x.problems.join('; ')}` : ''),
          );
        } catch (err) {
          fail(results, id, 'memory', err);
        }
      }
    }
  },

  render: renderMemory,
};
