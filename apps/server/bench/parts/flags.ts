/**
 * A part's flags as one table: each entry is keyed by the option it fills in BenchOptions,
 * declares its flag, and gives its default, either one value (commander applies it and
 * --help shows it) or one per run size (`bySize(quick, full)`, applied when the flag is absent).
 * The part's options are then the table's values, with no list of keys to keep in step.
 */
import { Option, type Command, type OptionValues } from 'commander';

class BySize<T> {
  constructor(
    readonly quick: T,
    readonly full: T,
  ) {}
}

/** A default that depends on `--quick`. */
export function bySize<T>(quick: T, full: T): BySize<T> {
  return new BySize(quick, full);
}

export interface Flag<T> {
  readonly flags: string;
  readonly help: string;
  readonly parse: (value: string) => T;
  readonly byDefault: T | BySize<T> | undefined;
}

export function flag<T>(
  flags: string,
  help: string,
  parse: (value: string) => T,
  byDefault: NoInfer<T> | BySize<NoInfer<T>>,
): Flag<T>;
export function flag<T>(flags: string, help: string, parse: (value: string) => T): Flag<T | undefined>;
export function flag<T>(flags: string, help: string, parse: (value: string) => T, byDefault?: T | BySize<T>): Flag<T> {
  return { flags, help, parse, byDefault };
}

export type FlagTable = Readonly<Record<string, Flag<unknown>>>;
export type FlagValues<F extends FlagTable> = { -readonly [K in keyof F]: F[K] extends Flag<infer T> ? T : never };

export function declareFlags(program: Command, table: FlagTable): Command {
  for (const f of Object.values(table)) {
    const option = new Option(f.flags, f.help).argParser(f.parse);
    if (f.byDefault !== undefined && !(f.byDefault instanceof BySize)) option.default(f.byDefault);
    program.addOption(option);
  }
  return program;
}

/** The table's options from the parsed flags; `quick` picks the smoke-run defaults. */
export function flagValues<F extends FlagTable>(table: F, given: OptionValues, quick: boolean): FlagValues<F> {
  const values: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(table)) {
    const sized = f.byDefault instanceof BySize ? (quick ? f.byDefault.quick : f.byDefault.full) : undefined;
    values[key] = given[new Option(f.flags).attributeName()] ?? sized;
  }
  return values as FlagValues<F>;
}
