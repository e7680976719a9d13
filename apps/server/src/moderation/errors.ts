/**
 * Every error the moderation module throws, in one place, with stable codes.
 *
 * Callers (the CLI mapping `--filter-terms PATH`, config validation) branch on `code`; the
 * message is for the operator and may change. Nothing here is thrown per message: these are
 * startup errors (bad option, unreadable or oversized term list).
 */
export const ModerationErrorCodes = {
  FILTER_INVALID_OPTION: 'a moderation filter option is missing or out of range',
  FILTER_TERMS_UNREADABLE: 'the term list file cannot be opened or read',
  FILTER_TERMS_TOO_LARGE: 'the term list file exceeds the byte limit',
  FILTER_TERMS_TOO_MANY: 'the term list has more terms than the limit',
  FILTER_TERM_TOO_LONG: 'a term is longer than the per-term limit',
  FILTER_TERMS_NOT_UTF8: 'the term list file is not valid UTF-8',
} as const;

export type ModerationErrorCode = keyof typeof ModerationErrorCodes;

export class ModerationError extends Error {
  override readonly name = 'ModerationError';
  constructor(
    readonly code: ModerationErrorCode,
    message: string = ModerationErrorCodes[code],
  ) {
    super(message);
  }
}
