/**
 * What a session must answer to a sequence of lines (README, "Protocol"): every frame
 * that carries an id gets exactly one answer with that id (ack, error or the response),
 * a line that does not decode gets exactly one error (with its id when it had a valid
 * one), a `pong` gets nothing, and answers come in the order the lines were sent. The
 * oracle decodes each line with the same codec as the server to know which case it is.
 */
import { ProtocolError, createClientCodec, type Id } from '@loopchat/protocol';
import type { Frame } from './session-clients.js';

export type Expected = { kind: 'answer'; id: Id } | { kind: 'error'; code: string; id: Id | undefined };

/** Frames that answer a client frame; the rest (msg, dm, presence, heartbeat ping) are not answers. */
const ANSWER_TYPES = new Set(['ack', 'error', 'welcome', 'history', 'members', 'rooms', 'pong']);

export function isAnswer(frame: Frame): boolean {
  return ANSWER_TYPES.has(frame.type) && !(frame.type === 'pong' && frame['id'] === undefined);
}

const codec = createClientCodec();

/**
 * The answer a decoded line calls for: one, none (`null`: a pong), or `undefined` when the
 * protocol leaves it open (a valid frame without id gets an error or nothing), which the
 * generator avoids so that every answer can be matched to its line.
 */
export function expectedFor(line: string): Expected | null | undefined {
  const result = codec.decode(line);
  if (result instanceof ProtocolError) return { kind: 'error', code: result.code, id: result.id };
  if (result.type === 'pong') return null;
  if (!('id' in result) || result.id === undefined) return undefined;
  return { kind: 'answer', id: result.id };
}

/**
 * The first mismatch between the answers received and those expected, or null when they
 * agree. With `closes`, the last expected answer (`line_too_long`, if any) ends the
 * connection, and answers still waiting for the bus when it closes are dropped with it:
 * then what arrives must be a prefix of the others, followed by that last answer.
 */
export function compareAnswers(
  expected: Expected[],
  frames: Frame[],
  closes: false | 'with-error' | 'silently',
): string | null {
  let answers = frames.filter(isAnswer);
  if (closes !== false) {
    const last = closes === 'with-error' ? expected.at(-1) : undefined;
    const before = closes === 'with-error' ? expected.slice(0, -1) : expected;
    const got = closes === 'with-error' ? answers.slice(0, -1) : answers;
    if (got.length > before.length) return `more answers (${got.length}) than lines before the violation (${before.length})`;
    const mismatch = compareAnswers(before.slice(0, got.length), got, false);
    if (mismatch !== null || last === undefined) return mismatch;
    answers = answers.slice(-1);
    expected = [last];
  }
  for (let i = 0; i < Math.max(expected.length, answers.length); i++) {
    const want = expected[i];
    const got = answers[i];
    if (want === undefined) return `unexpected extra answer #${i}: ${JSON.stringify(got)}`;
    if (got === undefined)
      return `answer #${i} missing (wanted ${JSON.stringify(want)}); got ${answers.length} of ${expected.length}`;
    const ok =
      want.kind === 'error'
        ? got.type === 'error' && got['code'] === want.code && got['id'] === want.id
        : got['id'] === want.id;
    if (!ok) return `answer #${i} is ${JSON.stringify(got)}, wanted ${JSON.stringify(want)}`;
  }
  return null;
}
