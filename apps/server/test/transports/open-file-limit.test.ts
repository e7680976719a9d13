import { describe, expect, it } from 'vitest';
import { FD_RESERVE, connectionCeiling, openFileLimit } from '../../src/transports/open-file-limit.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
`;

describe('open-file limit', () => {
  it('reads the soft limit of open files from /proc/self/limits text', () => {
    expect(openFileLimit(LIMITS)).toBe(20_000);
    expect(openFileLimit(LIMITS.replace('20000                20000', '1024                 4096'))).toBe(1024);
  });

  it('is undefined when unlimited or unreadable', () => {
    expect(openFileLimit(LIMITS.replace('20000                20000', 'unlimited            unlimited'))).toBeUndefined();
    expect(openFileLimit('')).toBeUndefined();
  });

  it('reads this process’s real limit on Linux', () => {
    if (process.platform !== 'linux') return;
    expect(openFileLimit()).toBeGreaterThan(0);
  });

  it('caps connections below the descriptor limit, keeping a reserve', () => {
    expect(connectionCeiling(50_000, 20_000)).toBe(20_000 - FD_RESERVE);
    expect(connectionCeiling(5_000, 20_000)).toBe(5_000);
    expect(connectionCeiling(50_000, undefined)).toBe(50_000);
    expect(connectionCeiling(50_000, 50)).toBe(1);
  });
});
