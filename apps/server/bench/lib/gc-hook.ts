/**
 * Preloaded into a server under test for the memory bench (`node --expose-gc --import`):
 * SIGUSR2 runs a full garbage collection and reports process.memoryUsage() as one JSON line
 * on stderr, so RSS can be read without the garbage that happens to be waiting for the next
 * GC (at 10,000 connections a young generation's worth of it moves the result by more than
 * a KiB per connection), and the live JS heap can be reported beside RSS. It also reports
 * the pages V8's young generation (new space) holds: empty after a full GC, but resident,
 * and grown by V8 during a connect ramp (its size follows the allocation rate, up to
 * --max-semi-space-size, not the number of live objects), so the memory part can say how
 * much of an RSS difference is that growth rather than memory the connections keep; and
 * the free space left in old-space pages after the GC (objects promoted during a ramp and
 * then dead leave holes, and a full GC compacts only some pages), the other V8 cost that
 * moves from run to run while the live heap does not.
 */
import { getHeapSpaceStatistics, type HeapSpaceInfo } from 'node:v8';

function space(name: string): HeapSpaceInfo | undefined {
  return getHeapSpaceStatistics().find((s) => s.space_name === name);
}

/** Resident old-space bytes that hold no live object after the GC: the free parts of its pages. */
function oldFree(old: HeapSpaceInfo | undefined): number {
  return old === undefined ? 0 : Math.max(0, old.physical_space_size - old.space_used_size);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc === 'function') {
  process.on('SIGUSR2', () => {
    gc();
    const m = process.memoryUsage();
    const report = {
      pid: process.pid,
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      newSpace: space('new_space')?.physical_space_size ?? 0,
      oldSpaceFree: oldFree(space('old_space')),
    };
    process.stderr.write(`${JSON.stringify({ benchGc: report })}\n`);
  });
}
