/** The moderation filter's public surface (see filter.ts for levels and verdicts). */
export {
  createModerationFilter,
  loadTermsFile,
  maskMatches,
  type FilterLevel,
  type ModerationFilter,
  type ModerationFilterOptions,
  type RejectReason,
  type Verdict,
} from './filter.js';
export { ModerationError, ModerationErrorCodes, type ModerationErrorCode } from './errors.js';
export { DEFAULT_TERMS_PATH, DEFAULT_TERM_LIMITS, type TermLimits } from './terms.js';
export { normalize, type NormalizedText } from './normalize.js';
