/**
 * Per-message cost of the moderation filter, for the bench (BENCHMARKS.md) and for deciding
 * whether the filter belongs on the event loop. Messages are generated (chat-corpus.ts) before
 * the timed part; each check() is timed alone with process.hrtime.bigint(), so the figures
 * include ~50 ns of timer overhead per message and no generation or GC of the corpus.
 *
 * The filter is the server's own createModerationFilter, passed in: the bench loads it from
 * the build (workers/filter-cost-worker.ts), the tests from the source.
 */
import type { FilterLevel, ModerationFilter, ModerationFilterOptions } from '../../src/moderation/index.js';
import { generateChatMessages } from './chat-corpus.js';

/** The server's createModerationFilter (src/moderation/filter.ts). */
export type CreateModerationFilter = (options: ModerationFilterOptions) => ModerationFilter;

export interface FilterCostOptions {
  level: FilterLevel;
  /** Messages timed. */
  messages: number;
  /** Untimed messages run first so the JIT has compiled the hot path. @default min(messages, 5000) */
  warmup?: number;
  /** Corpus seed. @default 1 */
  seed?: number;
  /** Filter options besides the level (term list, layout…). @default the shipped list */
  filter?: Omit<ModerationFilterOptions, 'level'>;
  /** Simulated time between messages, ms: keeps flood/repetition realistic. @default 2 */
  intervalMs?: number;
}

export interface FilterCost {
  p50us: number;
  p99us: number;
  meanus: number;
  maxus: number;
  /** 1 / mean: what one core sustains doing nothing but filtering. */
  messagesPerSecond: number;
  /** Verdicts over the timed messages. */
  verdicts: { allow: number; mask: number; reject: number };
}

export function measureFilterCost(createModerationFilter: CreateModerationFilter, options: FilterCostOptions): FilterCost {
  const { level, messages } = options;
  if (!Number.isInteger(messages) || messages < 1) throw new RangeError('messages must be a positive integer');
  const warmup = options.warmup ?? Math.min(messages, 5000);
  const interval = options.intervalMs ?? 2;
  const filter = createModerationFilter({ ...options.filter, level });
  const corpus = generateChatMessages(warmup + messages, { seed: options.seed ?? 1 });
  let now = 0;
  for (let i = 0; i < warmup; i++) {
    const m = corpus[i] as (typeof corpus)[number];
    filter.check(m.sender, m.text, (now += interval));
  }
  const ns = new Float64Array(messages);
  const verdicts = { allow: 0, mask: 0, reject: 0 };
  for (let i = 0; i < messages; i++) {
    const m = corpus[warmup + i] as (typeof corpus)[number];
    now += interval;
    const t0 = process.hrtime.bigint();
    const v = filter.check(m.sender, m.text, now);
    ns[i] = Number(process.hrtime.bigint() - t0);
    verdicts[v.action]++;
  }
  ns.sort();
  let total = 0;
  for (const x of ns) total += x;
  const at = (q: number): number => (ns[Math.min(messages - 1, Math.floor(q * messages))] as number) / 1000;
  const round = (x: number): number => Math.round(x * 100) / 100;
  const mean = total / messages / 1000;
  return {
    p50us: round(at(0.5)),
    p99us: round(at(0.99)),
    meanus: round(mean),
    maxus: round((ns[messages - 1] as number) / 1000),
    messagesPerSecond: Math.round(1e6 / mean),
    verdicts,
  };
}
