import { describe, expect, it } from 'vitest';
import { ModerationError, ModerationErrorCodes, type ModerationErrorCode } from '../../src/moderation/errors.js';

describe('ModerationError', () => {
  it('carries a stable code and defaults its message to the code description', () => {
    for (const code of Object.keys(ModerationErrorCodes) as ModerationErrorCode[]) {
      const err = new ModerationError(code);
      expect(err.code).toBe(code);
      expect(err.name).toBe('ModerationError');
      expect(err.message).toBe(ModerationErrorCodes[code]);
    }
  });
});
