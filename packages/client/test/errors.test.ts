import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientErrorCodes } from '../src/errors.js';
import { ChatClient } from '../src/index.js';

describe('client error codes', () => {
  it('documents every code in packages/client/README.md', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ClientErrorCodes)) expect(readme, code).toContain(`| \`${code}\` |`);
  });

  it('refuses a bad option with invalid_argument', () => {
    const transport = () => Promise.reject(new Error('unused'));
    const attempt = (options: object) => {
      try {
        new ChatClient({ transport, ...options });
        return 'accepted';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(attempt({})).toBe('accepted');
    expect(attempt({ requestTimeoutMs: 0 })).toBe('invalid_argument');
    expect(attempt({ historyPageSize: 1001 })).toBe('invalid_argument');
    expect(attempt({ reconnect: { jitter: 2 } })).toBe('invalid_argument');
    expect(attempt({ transport: undefined })).toBe('invalid_argument');
  });
});
