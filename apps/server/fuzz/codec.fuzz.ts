/**
 * Fuzz target 2, the codec's `decode`: arbitrary strings, arbitrary JSON, valid frames
 * damaged by mutations (frames.ts), deep nesting, huge numbers and prototype keys.
 *
 * Invariants for every line:
 * - `decode` returns (never throws) a frame or a ProtocolError whose code is one of the
 *   decoding codes the README documents, with an id only when that id is valid;
 * - a frame it returns validates again, holds only its schema's fields, and survives a
 *   serialize/decode round trip unchanged;
 * - nothing reaches Object.prototype (or Array.prototype) whatever the line.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ErrorCodes, MAX_ID_LENGTH, ProtocolError, clientFrameSchemas, createClientCodec } from '@loopchat/protocol';
import { anyLine } from './frames.js';
import { knownBug } from './known-bugs.js';
import { Counter, check, runSync, type FuzzBudget, type FuzzResult } from './target.js';

/** The codes `decode` may return (README, "Errors"): everything else belongs to the session. */
export const DECODE_CODES: ReadonlySet<string> = new Set([
  'invalid_json',
  'invalid_frame',
  'unknown_type',
  'forbidden_key',
  'text_too_long',
  'invalid_nick',
  'invalid_room',
]);

const FIELDS = new Map(Object.entries(clientFrameSchemas()).map(([type, schema]) => [type, Object.keys(schema.properties)]));

export function validId(id: unknown): boolean {
  return (
    (typeof id === 'string' && id.length >= 1 && id.length <= MAX_ID_LENGTH) ||
    (Number.isSafeInteger(id) && (id as number) >= 0)
  );
}

/** Own property names of the prototypes a pollution would change, to compare after each input. */
function prototypeSnapshot(): string {
  return [Object.prototype, Array.prototype, Function.prototype]
    .map((p) => Reflect.ownKeys(p).map(String).sort().join(','))
    .join('|');
}

export function checkDecoded(codec: ReturnType<typeof createClientCodec>, line: string): void {
  let result: ReturnType<typeof codec.decode>;
  try {
    result = codec.decode(line);
  } catch (err) {
    throw new Error(`decode threw ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
  }
  if (result instanceof ProtocolError) {
    check(DECODE_CODES.has(result.code) && result.code in ErrorCodes, () => `undocumented code ${result.code}`);
    check(result.id === undefined || validId(result.id), () => `error carries an invalid id ${JSON.stringify(result.id)}`);
    return;
  }
  const fields = FIELDS.get(result.type);
  check(fields !== undefined, () => `frame of unknown type ${result.type}`);
  for (const key of Object.keys(result)) check(fields.includes(key), () => `frame keeps a non-schema field "${key}"`);
  const again = codec.validate(result);
  check(!(again instanceof ProtocolError), () => `the returned frame does not validate: ${(again as ProtocolError).code}`);
  check(isDeepStrictEqual(again, result), () => 'validate changed the frame');
  // Compared as wire text: JSON has no -0, so an id of -0 comes back as 0, which is the same id.
  const wire = JSON.stringify(result);
  const roundTrip = codec.decode(wire);
  check(JSON.stringify(roundTrip) === wire, () => `round trip changed ${wire} to ${JSON.stringify(roundTrip)}`);
}

export function fuzzCodec(budget: FuzzBudget): FuzzResult {
  const codec = createClientCodec();
  const before = prototypeSnapshot();
  const counter = new Counter();
  const property = fc.property(anyLine, (line) => {
    if (!budget.includeKnown && knownBug(line) !== undefined) {
      counter.skippedKnown++;
      return;
    }
    counter.count++;
    checkDecoded(codec, line);
    check(({} as Record<string, unknown>)['polluted'] === undefined, () => 'Object.prototype.polluted is set');
    check(prototypeSnapshot() === before, () => 'a prototype gained or lost a property');
  });
  return runSync('codec', budget, counter, property);
}
