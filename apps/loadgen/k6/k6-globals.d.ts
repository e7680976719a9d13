// k6 gives every script a `console` (log, info, warn, error, debug), but @types/k6 does not
// declare it and lib "dom" would declare far more than k6 has.
declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
