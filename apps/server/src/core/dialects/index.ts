/**
 * The dialects a byte stream may speak, in the order its first line is offered to them:
 * the first whose `selects` says yes is the connection's for good. Text mode takes any line,
 * so it stays last; a new dialect goes before it.
 */
import type { Dialect, DialectChoice, DialectSession } from '../dialect.js';
import { ircChoice } from './irc.js';
import { jsonLinesChoice } from './json-lines.js';
import { textModeChoice } from './text-mode.js';

export { jsonLines } from './json-lines.js';
export { textMode } from './text-mode.js';

export const LINE_DIALECTS: readonly DialectChoice[] = [jsonLinesChoice, ircChoice, textModeChoice];

/** The dialect `firstLine` chooses (leading blanks trimmed, not empty), opened for `session`. */
export function chooseDialect(firstLine: string, session: DialectSession): Dialect {
  for (const choice of LINE_DIALECTS) if (choice.selects(firstLine)) return choice.open(session);
  throw new Error('LINE_DIALECTS has no catch-all dialect');
}
