/**
 * How many file descriptors this process may hold, and so how many connections it can take
 * before accept() fails with EMFILE. Past that point libuv's EMFILE fallback accepts and
 * immediately closes pending connections (clients see resets), and anything that opens a
 * file (process.memoryUsage() reads /proc/self/stat) throws. So the process stops short of
 * the limit by a reserve for its own files: pipes, the event loop's fds, /proc reads, logs.
 */
import { readFileSync } from 'node:fs';

/** Descriptors kept back for the process's own use (it holds ~30 besides its sockets). */
export const FD_RESERVE = 100;

/** The soft RLIMIT_NOFILE from /proc/self/limits; undefined when unlimited or not on Linux. */
export function openFileLimit(limits = readProcLimits()): number | undefined {
  const line = limits?.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined || !/^\d+$/.test(soft)) return undefined;
  return Number(soft);
}

/** Most connections this process can hold without running out of descriptors. */
export function connectionCeiling(configured: number, fdLimit: number | undefined): number {
  if (fdLimit === undefined) return configured;
  return Math.max(1, Math.min(configured, fdLimit - FD_RESERVE));
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}
