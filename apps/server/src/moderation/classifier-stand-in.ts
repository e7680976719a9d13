/**
 * A stand-in for a per-message ML classifier (toxicity, spam models), for experiments only.
 *
 * Production moderation pipelines often score each message with a model costing from a
 * hundred microseconds to milliseconds of CPU. The term filter here costs ~5 µs, too little
 * for the cost of moving a message between processes to stay small beside it. With
 * `--filter-classifier-us N` every message that passes the filter (levels basic and strict)
 * also costs N µs of real CPU in the worker that received it, which is what cluster mode
 * spreads over cores (BENCHMARKS.md, cluster scaling). 0 (the default) adds nothing.
 *
 * The work is a hash over the text, repeated until N µs have passed: it burns CPU like a
 * model would (no sleep, no yield to the event loop), and its result is kept so the loop is
 * not optimised away.
 */
import { performance } from 'node:perf_hooks';

let sink = 0;

/** Spends `micros` µs of CPU on `text`; returns a score in [0, 1) that callers may ignore. */
export function classify(text: string, micros: number): number {
  const until = performance.now() + micros / 1000;
  let h = 0x811c9dc5;
  do {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  } while (performance.now() < until);
  sink ^= h;
  return (h >>> 0) / 2 ** 32;
}

/** The running XOR of every hash (keeps the work observable). */
export function classifierSink(): number {
  return sink;
}
