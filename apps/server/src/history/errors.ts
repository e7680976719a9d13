/**
 * Every error the history store throws, with stable codes. Open errors stop the server at
 * startup (one line: startup-error.ts names the file and what to do); a write error fails
 * the publishes of one commit, which their senders hear as `unavailable`.
 */
export const HistoryErrorCodes = {
  HISTORY_DIR_UNUSABLE: 'the data directory cannot be created or written',
  HISTORY_LOCKED: 'another process holds the history file',
  HISTORY_CORRUPT: 'the history file is not a loopchat SQLite database, or is damaged',
  HISTORY_OPEN_FAILED: 'the history file cannot be opened',
  HISTORY_WRITE_FAILED: 'a commit to the history file failed (disk full, I/O error)',
  HISTORY_READ_FAILED: 'a read from the history file failed',
} as const;

export type HistoryErrorCode = keyof typeof HistoryErrorCodes;

export class HistoryStoreError extends Error {
  override readonly name = 'HistoryStoreError';
  constructor(
    readonly code: HistoryErrorCode,
    message: string = HistoryErrorCodes[code],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
