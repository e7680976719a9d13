import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/config.js';
import type { LoadgenError } from '../src/errors.js';
import { assertLoopback, isLoopbackHost } from '../src/loopback.js';

describe('loopback guard', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])('accepts %s', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });

  it.each(['10.0.0.1', '128.0.0.1', '0.0.0.0', '::', 'example.com', 'localhost.evil.com', '::ffff:10.0.0.1'])(
    'refuses %s',
    (h) => {
      expect(isLoopbackHost(h)).toBe(false);
    },
  );

  it('throws LG_REMOTE_TARGET unless remote targets are allowed', () => {
    expect(() => assertLoopback('10.0.0.1', false, 'TCP target')).toThrow(
      expect.objectContaining({ code: 'LG_REMOTE_TARGET' }),
    );
    expect(() => assertLoopback('10.0.0.1', true, 'TCP target')).not.toThrow();
  });

  it('guards every target of a run configuration', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        return (err as LoadgenError).code;
      }
      return undefined;
    };
    expect(code(() => resolveRunConfig({ tcp: { host: '192.168.1.5', port: 4000 } }))).toBe('LG_REMOTE_TARGET');
    expect(code(() => resolveRunConfig({ mix: { tcp: 0, ws: 1 }, ws: 'ws://10.1.1.1:8080/ws' }))).toBe('LG_REMOTE_TARGET');
    expect(code(() => resolveRunConfig({ http: 'http://10.1.1.1:8080' }))).toBe('LG_REMOTE_TARGET');
    // A TCP-only run does not care where the unused WebSocket URL points.
    expect(code(() => resolveRunConfig({ ws: 'ws://10.1.1.1:8080/ws' }))).toBeUndefined();
    expect(code(() => resolveRunConfig({ tcp: { host: '192.168.1.5', port: 4000 }, allowRemote: true }))).toBeUndefined();
  });
});
