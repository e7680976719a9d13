/**
 * What the kernel says about a process: CPU time from /proc/<pid>/stat (utime + stime, all
 * threads, so GC and libuv threads count), resident memory from /proc/<pid>/status, open
 * descriptors from /proc/<pid>/fd. Reading /proc costs the measured process nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | undefined;

/** getconf CLK_TCK (100 on Linux x86-64). */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of `pid`, in seconds. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * utime + stime of `pid`'s main thread alone, in seconds: for a Node process, the event loop's
 * thread, without V8's GC and compiler threads or libuv's pool (which run beside it).
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/** The fields of a /proc stat file after comm: [0] is field 3 (state), [11] utime (14), [12] stime (15). */
function statFields(stat: string): string[] {
  // Field 2 (comm) is in parentheses and may contain spaces: split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function statCpuSeconds(path: string): number {
  const fields = statFields(readFileSync(path, 'utf8'));
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/**
 * CPU of this process's children that have exited and been reaped (cutime + cstime of
 * /proc/self/stat, fields 16 and 17), seconds: the only way to read the CPU of a child
 * process, such as a loadgen run, after it has gone (its own reaped children included).
 */
export function reapedChildrenCpuSeconds(): number {
  const fields = statFields(readFileSync('/proc/self/stat', 'utf8'));
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond();
}

/** VmRSS of `pid`, in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
}

/** Whether `pid` is a cluster primary's history keeper (apps/server/src/history/history-keeper.ts), not a worker. */
export function isHistoryKeeper(pid: number): boolean {
  try {
    return commandLine(pid).includes('history-keeper.js');
  } catch {
    return false; // exited meanwhile
  }
}

export interface MachineCpu {
  /** user + nice + system over all cores, seconds (what processes ran; irq time is not in any process). */
  busy: number;
  /** irq + softirq: on loopback, much of the network stack runs here. */
  irq: number;
  /** Time the hypervisor gave to someone else. */
  steal: number;
}

/** The first line of /proc/stat, in seconds. */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const hz = ticksPerSecond();
  return { busy: (user + nice + system) / hz, irq: (irq + softirq) / hz, steal: steal / hz };
}

export interface ProcessCpu {
  name: string;
  ppid: number;
  cpu: number;
}

/** CPU seconds, parent and command name of every process on the machine (kernel threads included). */
export function allProcessCpu(): Map<number, ProcessCpu> {
  const out = new Map<number, ProcessCpu>();
  const hz = ticksPerSecond();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = statFields(stat);
      out.set(Number(entry), { name, ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / hz });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** `pid` and every live descendant (a server in cluster mode forks its workers). */
export function processTree(pid: number, all: Map<number, ProcessCpu> = allProcessCpu()): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, info] of all) if (info.ppid === tree[i]) tree.push(child);
  }
  return tree;
}

/** utime + stime of `pid` and its descendants, seconds. */
export function treeCpuSeconds(pid: number): number {
  const all = allProcessCpu();
  let total = 0;
  for (const p of processTree(pid, all)) total += all.get(p)?.cpu ?? 0;
  return total;
}

/** VmRSS of `pid` and its descendants, KiB (shared pages counted once per process). */
export function treeRssKiB(pid: number): number {
  return sumOverTree(pid, rssKiB);
}

/** Open descriptors of `pid` and its descendants. */
export function treeOpenFds(pid: number): number {
  return sumOverTree(pid, openFds);
}

function sumOverTree(pid: number, read: (pid: number) => number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += read(p);
    } catch {
      // exited while we looked
    }
  }
  return total;
}

/** The processes that used the most CPU between two allProcessCpu() samples, excluding `ours`. */
export function topOthers(
  before: Map<number, ProcessCpu>,
  after: Map<number, ProcessCpu>,
  ours: Set<number>,
  seconds: number,
  count = 3,
): string {
  const rows: { label: string; percent: number }[] = [];
  for (const [pid, a] of after) {
    if (ours.has(pid)) continue;
    const used = a.cpu - (before.get(pid)?.cpu ?? 0);
    if (used > 0) rows.push({ label: `${a.name}[${pid}]`, percent: (used / seconds) * 100 });
  }
  rows.sort((x, y) => y.percent - x.percent);
  return rows
    .slice(0, count)
    .map((r) => `${r.label} ${r.percent.toFixed(0)} %`)
    .join(', ');
}
