/**
 * Bugs the fuzzers found that are not fixed yet. Each has a failing test marked `it.fails`
 * (named in `test`) and, here, a predicate over the inputs that trigger it, so that a fuzz
 * run can look past it for other bugs (`--include-known` feeds them anyway, and a run then
 * fails at once on them). Delete an entry when its fix lands and its test is unmarked.
 */
export interface KnownBug {
  id: string;
  name: string;
  test: string;
  /** True for a client line that triggers the bug (bugs of a sequence, not a line: never). */
  triggeredBy(line: string): boolean;
}

/**
 * Empty since the fixes landed: 'decode-throws-forbidden' (codec.decode: JSON.parse, then a
 * scan for forbidden keys, no second parse) and 'binary-overtakes-held' (Session.onBinary
 * holds behind a pending hello). RELIABILITY.md keeps their story.
 */
export const KNOWN_BUGS: readonly KnownBug[] = [];

export function isKnown(id: KnownBug['id']): boolean {
  return KNOWN_BUGS.some((bug) => bug.id === id);
}


export function knownBug(line: string): KnownBug | undefined {
  return KNOWN_BUGS.find((bug) => bug.triggeredBy(line));
}
