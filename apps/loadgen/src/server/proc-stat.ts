/**
 * CPU and memory of a server's process tree from /proc (a cluster primary forks workers):
 * utime + stime of every thread from /proc/<pid>/stat, VmRSS from /proc/<pid>/status.
 * Reading /proc costs the measured process nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const HZ = 100;

interface ProcInfo {
  ppid: number;
  cpuSeconds: number;
}

function readProc(pid: string): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces: split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuSeconds: (Number(f[11]) + Number(f[12])) / HZ };
  } catch {
    return null;
  }
}

/** `pid` and its live descendants. */
export function processTree(pid: number): number[] {
  const all = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(entry);
    if (info !== null) all.set(Number(entry), info);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, info] of all) if (info.ppid === tree[i]) tree.push(child);
  return tree;
}

export interface TreeSample {
  cpuSeconds: number;
  rssBytes: number;
  procs: number;
}

export function sampleTree(pid: number): TreeSample | null {
  let cpuSeconds = 0;
  let rssBytes = 0;
  const pids = processTree(pid);
  for (const p of pids) {
    const info = readProc(String(p));
    if (info === null) continue;
    cpuSeconds += info.cpuSeconds;
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m !== null) rssBytes += Number(m[1]) * 1024;
    } catch {
      // exited while we looked
    }
  }
  return pids.length === 0 ? null : { cpuSeconds, rssBytes, procs: pids.length };
}
