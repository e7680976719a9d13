/**
 * JSON frame codec: client lines are parsed, checked against compiled TypeBox validators
 * and turned into typed frames or a {@link ProtocolError} with a stable code; server frames
 * are serialized once (the server writes the same bytes to every member).
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import sjson from 'secure-json-parse';
import { ProtocolError, type ErrorCode } from './errors.js';
import { clientFrameSchemas, type ClientFrame, type ClientFrameType, type Id, type ServerFrame } from './frames.js';
import { DEFAULT_MAX_TEXT_LENGTH, MAX_ID_LENGTH } from './limits.js';

export interface CodecOptions {
  /** @default DEFAULT_MAX_TEXT_LENGTH */
  maxTextLength?: number;
}

export interface ClientCodec {
  /** Parses and validates one line of JSON. Never throws: bad input yields a ProtocolError. */
  decode(line: string): ClientFrame | ProtocolError;
  /** Validates an already-parsed value (WebSocket text mode shares this path with TCP). */
  validate(value: unknown): ClientFrame | ProtocolError;
}

/** `__proto__` and `constructor.prototype` keys are refused, not silently dropped: a client sending them is probing. */
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Whether a line can hold `__proto__` or `constructor` as a key: spelled out, or behind a
 * `\u` escape. Most lines have neither, and skip walking the parsed value.
 */
function mayHideForbiddenKey(line: string): boolean {
  return line.includes('__proto__') || line.includes('constructor') || line.includes('\\u');
}

export function createClientCodec(options: CodecOptions = {}): ClientCodec {
  const schemas = clientFrameSchemas(options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH);
  const checks = new Map<string, TypeCheck<(typeof schemas)[ClientFrameType]>>();
  const fieldsOf = new Map<string, string[]>();
  for (const [type, schema] of Object.entries(schemas)) {
    checks.set(type, TypeCompiler.Compile(schema));
    fieldsOf.set(type, Object.keys(schema.properties));
  }

  function validate(value: unknown): ClientFrame | ProtocolError {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return new ProtocolError('invalid_frame', 'a frame must be a JSON object');
    }
    const record = value as Record<string, unknown>;
    const id = readId(record['id']);
    const type = record['type'];
    if (typeof type !== 'string') return new ProtocolError('invalid_frame', 'missing field "type"', id);
    const check = checks.get(type);
    if (check === undefined) return new ProtocolError('unknown_type', `unknown frame type "${truncate(type)}"`, id);
    if (!check.Check(value)) return toProtocolError(check.Errors(value).First(), id);
    // A history page goes one way: forward from `since` or back from `before`.
    if (type === 'history' && record['since'] !== undefined && record['before'] !== undefined) {
      return new ProtocolError('invalid_frame', 'history takes since or before, not both', id);
    }
    return pick(record, fieldsOf.get(type)!);
  }

  function decode(line: string): ClientFrame | ProtocolError {
    let value: unknown;
    try {
      // Plain JSON.parse makes `__proto__` an own property (no pollution); the scan below
      // refuses it. Two steps, not sjson.parse: telling its two failures apart by message
      // text once let `{"a":forbidden}` (invalid JSON whose error quotes the input) reach a
      // second, unguarded parse and crash the process (found by the fuzzer, RELIABILITY.md).
      // A leading byte-order mark (some editors and Windows tools write one) is not JSON.
      value = JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
    } catch (err) {
      return new ProtocolError('invalid_json', `invalid JSON: ${(err as Error).message}`);
    }
    if (typeof value === 'object' && value !== null && mayHideForbiddenKey(line)) {
      try {
        sjson.scan(value as Record<string, unknown>, PARSE_OPTIONS);
      } catch {
        // The JSON is valid, so the id can still be answered.
        return new ProtocolError('forbidden_key', undefined, readId((value as Record<string, unknown>)['id']));
      }
    }
    return validate(value);
  }

  return { decode, validate };
}

/**
 * A fresh frame holding only the schema's fields: unknown fields (kept on the wire for
 * forward compatibility) go no further, whatever their size or depth, and the caller's
 * object is never modified. Rooms are case-insensitive: folded once here so every later
 * lookup is exact.
 */
function pick(record: Record<string, unknown>, fields: string[]): ClientFrame {
  const frame: Record<string, unknown> = {};
  for (const field of fields) {
    const value = record[field];
    if (value !== undefined) frame[field] = field === 'room' ? (value as string).toLowerCase() : value;
  }
  return frame as ClientFrame;
}

function readId(value: unknown): Id | undefined {
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH) return value;
  if (Number.isSafeInteger(value) && (value as number) >= 0) return value as number;
  return undefined;
}

/** Maps the first schema violation to the most specific stable code. */
function toProtocolError(error: ValueError | undefined, id: Id | undefined): ProtocolError {
  if (error === undefined) return new ProtocolError('invalid_frame', 'invalid frame', id);
  const field = error.path.slice(1);
  const isString = typeof error.value === 'string';
  let code: ErrorCode = 'invalid_frame';
  if (field === 'text' && error.type === ValueErrorType.StringMaxLength) code = 'text_too_long';
  else if ((field === 'nick' || field === 'to') && isString) code = 'invalid_nick';
  else if (field === 'room' && isString) code = 'invalid_room';
  const what = error.value === undefined ? `missing field "${field}"` : `field "${field}": ${error.message}`;
  return new ProtocolError(code, what, id);
}

function truncate(s: string): string {
  return s.length > 32 ? `${s.slice(0, 32)}…` : s;
}

/** Serializes a server frame as one JSON line (with the trailing newline). */
export function encodeLine(frame: ServerFrame): string {
  return `${JSON.stringify(frame)}\n`;
}

/** Parses a server line on the client side. Servers are trusted: no schema check, only JSON. */
export function decodeServerLine(line: string): ServerFrame {
  return JSON.parse(line) as ServerFrame;
}
