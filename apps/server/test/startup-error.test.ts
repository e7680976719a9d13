import { describe, expect, it } from 'vitest';
import { describeStartupError } from '../src/startup-error.js';

const config = { host: '127.0.0.1', tcpPort: 4000, httpPort: 8080 };

function errno(code: string, port?: number, address?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}`), { code, port, address, syscall: 'listen' });
}

describe('describeStartupError', () => {
  it('names the listener by its port, and the flag and variable that move it', () => {
    const tcp = describeStartupError(errno('EADDRINUSE', 4000, '127.0.0.1'), config);
    expect(tcp).toMatch(/^TCP port 4000 on 127\.0\.0\.1 is already in use/);
    expect(tcp).toContain('--tcp-port N or TCP_PORT=N');
    const http = describeStartupError(errno('EADDRINUSE', 8080, '127.0.0.1'), config);
    expect(http).toMatch(/^HTTP\/WebSocket port 8080/);
    expect(http).toContain('--http-port N or HTTP_PORT=N');
  });

  it('explains a privileged port (EACCES) the same way', () => {
    expect(describeStartupError(errno('EACCES', 80), { ...config, httpPort: 80 })).toMatch(
      /^HTTP\/WebSocket port 80 on 127\.0\.0\.1 needs privileges.*--http-port/,
    );
  });

  it('points at --host when the address is not on this machine', () => {
    expect(describeStartupError(errno('EADDRNOTAVAIL', 4000, '10.9.9.9'), config)).toContain('--host or HOST');
  });

  it('falls back to the code and message, on one line', () => {
    const line = describeStartupError(errno('EMFILE'), config);
    expect(line).toBe('EMFILE: listen EMFILE');
    expect(describeStartupError(new Error('no bus'), config)).toBe('no bus');
  });
});
