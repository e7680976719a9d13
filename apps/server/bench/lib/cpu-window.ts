/**
 * CPU over a measured window, from /proc (lib/proc.ts): a snapshot at each end, and what the
 * machine did in between that the bench's own processes did not. Every scenario judges its
 * figures against other processes' load the same way, so a window spoiled by a neighbour is
 * flagged alike everywhere.
 */
import { nowUs } from './clock.js';
import { allProcessCpu, machineCpu, processTree, type MachineCpu, type ProcessCpu } from './proc.js';
import { QUIET_PERCENT } from './quiet.js';

export interface CpuSnapshot {
  /** Bench µs (lib/clock.ts). */
  atUs: number;
  /** Every process's CPU seconds: a process tree's share is read from here (treeCpu). */
  all: Map<number, ProcessCpu>;
  /** The bench process's own CPU seconds. */
  runner: number;
  machine: MachineCpu;
}

/** The bench process's own CPU (user + system), seconds. */
export function runnerCpuS(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

export function cpuSnapshot(): CpuSnapshot {
  const runner = runnerCpuS();
  return { atUs: nowUs(), all: allProcessCpu(), runner, machine: machineCpu() };
}

/** CPU seconds of each process of `pid`'s tree at the snapshot. */
export function treeCpuByPid(s: CpuSnapshot, pid: number): Map<number, number> {
  return new Map(processTree(pid, s.all).map((p) => [p, s.all.get(p)?.cpu ?? 0]));
}

/** CPU seconds of `pid` and its descendants at the snapshot. */
export function treeCpu(s: CpuSnapshot, pid: number): number {
  return sum([...treeCpuByPid(s, pid).values()]);
}

/** CPU seconds each process of `after` used since `before` (a process new in `after` counts 0). */
export function cpuUsed(before: Map<number, number>, after: Map<number, number>): Map<number, number> {
  return new Map([...after].map(([pid, cpu]) => [pid, cpu - (before.get(pid) ?? cpu)]));
}

export interface CpuWindow {
  seconds: number;
  /** What processes other than ours used, % of one core (busy time no process of ours accounts for). */
  otherLoadPercent: number;
  /** irq + softirq (on loopback, much of the network stack), % of one core. */
  irqPercent: number;
  stealPercent: number;
  /** Everything the machine did (processes + irq), % of one core; the ceiling is cores × 100. */
  machineBusyPercent: number;
}

/** The machine's window between two snapshots, given the CPU seconds our own processes used in it. */
export function cpuWindow(a: CpuSnapshot, b: CpuSnapshot, oursS: number): CpuWindow {
  const seconds = (b.atUs - a.atUs) / 1e6;
  const busy = b.machine.busy - a.machine.busy;
  const irq = b.machine.irq - a.machine.irq;
  return {
    seconds,
    otherLoadPercent: Math.max(0, ((busy - oursS) / seconds) * 100),
    irqPercent: (irq / seconds) * 100,
    stealPercent: ((b.machine.steal - a.machine.steal) / seconds) * 100,
    machineBusyPercent: ((busy + irq) / seconds) * 100,
  };
}

/**
 * The warning a window gets when other processes used more than a quiet machine allows:
 * `during` says when, `detail` (asked only then) may name them (topOthers).
 */
export function otherLoadWarnings(otherLoadPercent: number, during: string, detail?: () => string): string[] {
  if (otherLoadPercent <= QUIET_PERCENT) return [];
  const more = detail === undefined ? '' : ` ${detail()}`;
  return [`other processes used ${otherLoadPercent.toFixed(0)} % of a core ${during}${more}`];
}

export function sum(values: number[]): number {
  return values.reduce((n, v) => n + v, 0);
}
