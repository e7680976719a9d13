import { describe, expect, it } from 'vitest';
import { ErrorCodes, ProtocolError, type ErrorCode } from '../src/index.js';

const codes = Object.keys(ErrorCodes) as ErrorCode[];

describe('ErrorCodes', () => {
  it('is not empty', () => {
    expect(codes.length).toBeGreaterThan(0);
  });

  it.each(codes)('%s is a snake_case code with a non-empty description', (code) => {
    expect(code).toMatch(/^[a-z]+(?:_[a-z]+)*$/);
    const description: unknown = ErrorCodes[code];
    expect(typeof description).toBe('string');
    expect((description as string).trim()).not.toBe('');
  });

  it('has no inherited or symbol keys a client could mistake for a code', () => {
    expect(Object.getPrototypeOf(ErrorCodes)).toBe(Object.prototype);
    expect(Object.getOwnPropertySymbols(ErrorCodes)).toEqual([]);
    expect(Object.hasOwn(ErrorCodes, 'toString')).toBe(false);
  });
});

describe('ProtocolError', () => {
  it('is an Error named ProtocolError carrying its code', () => {
    const error = new ProtocolError('invalid_json');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.name).toBe('ProtocolError');
    expect(error.code).toBe('invalid_json');
  });

  it.each(codes)('defaults its message to the description of %s', (code) => {
    expect(new ProtocolError(code).message).toBe(ErrorCodes[code]);
  });

  it('accepts a custom message', () => {
    const error = new ProtocolError('invalid_frame', 'custom detail');
    expect(error.code).toBe('invalid_frame');
    expect(error.message).toBe('custom detail');
  });

  it('carries no id by default, and a string or integer id when given', () => {
    expect(new ProtocolError('internal').id).toBeUndefined();
    expect(new ProtocolError('internal', undefined, 'abc').id).toBe('abc');
    expect(new ProtocolError('internal', undefined, 'abc').message).toBe(ErrorCodes.internal);
    expect(new ProtocolError('internal', 'm', 0).id).toBe(0);
  });

  it('has a stack trace', () => {
    expect(new ProtocolError('internal').stack).toContain('ProtocolError');
  });
});

describe('error code documentation', () => {
  it('lists every error code in the README error table', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ErrorCodes)) expect(readme, `README lacks ${code}`).toContain(`| \`${code}\` |`);
  });
});
