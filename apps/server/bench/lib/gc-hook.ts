/**
 * Preloaded into a server under test for the memory bench (`node --expose-gc --import`):
 * SIGUSR2 runs a full garbage collection and reports process.memoryUsage() as one JSON line
 * on stderr, so RSS can be read without the garbage that happens to be waiting for the next
 * GC (at 10,000 connections a young generation's worth of it moves the result by more than
 * a KiB per connection), and the live JS heap can be reported beside RSS. It also reports
 * the pages V8's young generation (new space) holds: empty after a full GC, but resident,
 * and grown by V8 during a connect ramp (its size follows the allocation rate, up to
 * --max-semi-space-size, not the number of live objects), so the memory part can say how
 * much of an RSS difference is that growth rather than memory the connections keep.
 */
import { getHeapSpaceStatistics } from 'node:v8';

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
      newSpace: getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0,
    };
    process.stderr.write(`${JSON.stringify({ benchGc: report })}\n`);
  });
}
