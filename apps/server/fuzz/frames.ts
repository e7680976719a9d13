/**
 * Generators of client lines for the codec and session targets: valid frames of every
 * type, then the same frames damaged in the ways a hostile or broken client damages them
 * (byte edits, wrong-typed and huge values, prototype keys, deep nesting, duplicated keys).
 */
import fc from 'fast-check';
import { MAX_HISTORY_LIMIT, MAX_ID_LENGTH } from '@loopchat/protocol';

export const nick = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,23}$/);
/** A few room names often (so frames meet in rooms), any valid name sometimes. */
export const room = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('fuzz', 'Fuzz', 'lobby', 'a.b-c_d') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/) },
);
const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.constantFrom('\u001b[2J\u001b[H', 'line\nbreak', '\u202eevil', 'x'.repeat(2001)),
);
const id = fc.oneof(fc.string({ minLength: 1, maxLength: MAX_ID_LENGTH }), fc.nat());
const seq = fc.nat({ max: 1000 });

/** One valid client frame (as a plain object), without an id: callers choose the id. */
export const validFrame: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('hello'), nick }),
  fc.record({ type: fc.constant('join'), room }),
  fc.record({ type: fc.constant('leave'), room }),
  fc.record({ type: fc.constant('msg'), room, text }),
  fc.record({ type: fc.constant('dm'), to: nick, text }),
  fc.record(
    { type: fc.constant('history'), room, since: seq, limit: fc.integer({ min: 1, max: MAX_HISTORY_LIMIT }) },
    { requiredKeys: ['type', 'room'] },
  ),
  fc.record({ type: fc.constant('who'), room }),
  fc.record({ type: fc.constant('rooms') }),
  fc.record({ type: fc.constant('ping') }),
  fc.record({ type: fc.constant('pong') }),
  fc.record({ type: fc.constant('typing'), room }),
  fc.record({ type: fc.constant('read'), room, seq }),
);

/** Values that are wrong for most fields: other types, huge and non-finite numbers, prototype names. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    -1,
    1.5,
    2 ** 53,
    1e308,
    -0,
    '',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    [],
    {},
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
);

/** Literal JSON texts JSON.stringify never writes (huge, precise or exponent numbers). */
const numberText = fc.constantFrom(
  '1e309',
  '-1e309',
  '123456789012345678901234567890',
  '9007199254740993',
  '1e2',
  '0.0000001',
  '-0',
  '1E+2',
  '00',
);

/** What a byte edit inserts: random bytes, JSON syntax, or words the code under test looks for. */
const textInsert = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom('"', '\\', '\\u0000', '}', ']', ',', ':', 'forbidden', '__proto__', 'constructor', 'prototype'),
);

const Mutation = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.constantFrom('type', 'room', 'nick', 'to', 'text', 'id', 'since', 'limit', 'v', 'token', 'extra'),
    value: hostileValue,
  }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('type', 'room', 'nick', 'to', 'text') }),
  fc.record({ kind: fc.constant('proto' as const), where: fc.constantFrom('top', 'nested', 'escaped', 'constructor') }),
  fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ kind: fc.constant('number' as const), key: fc.constantFrom('id', 'since', 'limit', 'v'), text: numberText }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), del: fc.nat({ max: 4 }), insert: textInsert }),
  fc.record({ kind: fc.constant('duplicate' as const), key: fc.constantFrom('type', 'id', 'room'), value: hostileValue }),
);
export type Mutation = typeof Mutation extends fc.Arbitrary<infer M> ? M : never;

/** Applies `mutations` to a frame and serializes it (some mutations only exist as text). */
export function mutate(frame: Record<string, unknown>, mutations: Mutation[]): string {
  const object: Record<string, unknown> = { ...frame };
  const textEdits: Mutation[] = [];
  for (const m of mutations) {
    if (m.kind === 'set') object[m.key] = m.value;
    else if (m.kind === 'delete') delete object[m.key];
    else textEdits.push(m);
  }
  let line = JSON.stringify(object);
  for (const m of textEdits) line = editText(line, m);
  return line;
}

function editText(line: string, m: Mutation): string {
  const body = line.startsWith('{') && line.endsWith('}') ? line.slice(1, -1) : null;
  switch (m.kind) {
    case 'proto':
      if (body === null) return line;
      if (m.where === 'top') return `{"__proto__":{"polluted":"yes"}${body === '' ? '' : ','}${body}}`;
      if (m.where === 'nested') return `{${body}${body === '' ? '' : ','}"x":{"y":{"__proto__":{"polluted":"yes"}}}}`;
      if (m.where === 'escaped') return `{"\\u005f_proto__":{"polluted":"yes"}${body === '' ? '' : ','}${body}}`;
      return `{"constructor":{"prototype":{"polluted":"yes"}}${body === '' ? '' : ','}${body}}`;
    case 'nest':
      return body === null ? line : `{${body}${body === '' ? '' : ','}"deep":${'['.repeat(m.depth)}${']'.repeat(m.depth)}}`;
    case 'number':
      return body === null ? line : `{${body}${body === '' ? '' : ','}"${m.key}":${m.text}}`;
    case 'duplicate':
      return body === null
        ? line
        : `{${body}${body === '' ? '' : ','}${JSON.stringify(m.key)}:${JSON.stringify(m.value) ?? 'null'}}`;
    case 'bytes': {
      const at = m.at % (line.length + 1);
      return line.slice(0, at) + m.insert + line.slice(at + m.del);
    }
    default:
      return line;
  }
}

/** A damaged frame: a valid one, with an id sometimes, put through 1–3 mutations. */
export const mutatedLine = fc
  .tuple(validFrame, fc.option(id, { nil: undefined }), fc.array(Mutation, { minLength: 1, maxLength: 3 }))
  .map(([frame, frameId, mutations]) => mutate(frameId === undefined ? frame : { ...frame, id: frameId }, mutations));

/** Any line a client might send: valid frames, damaged frames, arbitrary JSON and arbitrary text. */
export const anyLine = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(validFrame, fc.option(id, { nil: undefined }))
      .map(([f, i]) => JSON.stringify(i === undefined ? f : { ...f, id: i })),
  },
  { weight: 5, arbitrary: mutatedLine },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  { weight: 1, arbitrary: fc.nat({ max: 20000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) },
);
