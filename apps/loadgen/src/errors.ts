/**
 * loadgen's error codes: a bad flag or threshold is one clear line and a stable code that
 * tests assert on; the CLI prints `code: message` and exits 2 (usage) for these.
 */
export type LoadgenErrorCode =
  'LG_INVALID_OPTION' | 'LG_INVALID_THRESHOLD' | 'LG_REMOTE_TARGET' | 'LG_WORKER_FAILED' | 'LG_SERVER_START';

export class LoadgenError extends Error {
  readonly code: LoadgenErrorCode;

  constructor(code: LoadgenErrorCode, message: string) {
    super(message);
    this.name = 'LoadgenError';
    this.code = code;
  }
}

export function invalidOption(message: string): LoadgenError {
  return new LoadgenError('LG_INVALID_OPTION', message);
}
