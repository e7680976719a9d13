/**
 * Fuzz target 4, the session state machine over real sockets: each input is one TCP or
 * WebSocket connection sending a generated sequence of lines (valid frames, damaged
 * frames, arbitrary JSON and text; WebSocket binary frames too), pipelined and cut at
 * arbitrary byte boundaries, to a live server in this process.
 *
 * Invariants:
 * - every line gets exactly its answer, in order (session-oracle.ts); a line over the
 *   limit ends the connection (TCP: after `line_too_long`; WebSocket: close 1009);
 * - the server stays up, and a canary pair in another room keeps chatting: each canary
 *   message arrives in seq order within CANARY_BOUND_MS;
 * - closed connections leave no session behind, and RSS stays within RSS_GROWTH_BOUND.
 */
import fc from 'fast-check';
import { ChatClient, tcpTransport } from '@loopchat/client/node';
import { DEFAULT_MAX_LINE_BYTES } from '@loopchat/protocol';
import { referenceEvents } from './line-decoder.fuzz.js';
import { anyLine, validFrame } from './frames.js';
import { isKnown, knownBug } from './known-bugs.js';
import { TcpFuzzClient, WsFuzzClient, wsFrame, type FuzzClient, type Frame } from './session-clients.js';
import { compareAnswers, expectedFor, type Expected } from './session-oracle.js';
import { Counter, check, runAsync, type FuzzBudget, type FuzzResult } from './target.js';

/** What the target needs of a server: LoopchatServer fits. */
export interface FuzzServer {
  readonly tcpPort: number;
  readonly httpPort: number;
  readonly ctx: { readonly sessions: { readonly size: number } };
  close(): Promise<void>;
}

/** A canary message must reach the other canary within this (stated bound; typical: 1–5 ms). */
export const CANARY_BOUND_MS = 500;
/** RSS of this process (server + fuzz clients) may grow by at most this much over a run. */
export const RSS_GROWTH_BOUND = 200 * 1024 * 1024;
const ANSWER_TIMEOUT_MS = 5_000;
const MAX_LINE = DEFAULT_MAX_LINE_BYTES;
const CANARY_ROOM = 'canary.room';

const sequence = fc.record({
  transport: fc.constantFrom('tcp' as const, 'ws' as const),
  nick: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,23}$/),
  body: fc.array(
    fc.oneof(
      { weight: 2, arbitrary: validFrame.map((f) => ({ frame: f })) },
      { weight: 3, arbitrary: anyLine.map((line) => ({ line })) },
      { weight: 1, arbitrary: fc.constant({ binary: true as const }) },
    ),
    { maxLength: 30, size: 'medium' },
  ),
  crlf: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 16 }),
  pauses: fc.array(fc.boolean(), { maxLength: 8 }),
});
type Sequence = typeof sequence extends fc.Arbitrary<infer S> ? S : never;

interface Plan {
  bytes: Buffer;
  expected: Expected[];
  /** The connection must end: after a `line_too_long` error (TCP) or a 1009 close (WebSocket). */
  endsClosed: false | 'with-error' | 'silently';
  frames: number;
}

/**
 * Serializes a sequence for its transport and works out the answers it must get; 'known'
 * when it would trip a known bug (known-bugs.ts) and those are skipped, null when the
 * protocol leaves an answer open (a valid frame without id may get an error or nothing).
 */
function plan(seq: Sequence, run: number, skipKnown: boolean): Plan | 'known' | null {
  const dropBinary = seq.transport === 'tcp' || (skipKnown && isKnown('binary-overtakes-held'));
  const lines: (string | { binary: true })[] = [JSON.stringify({ type: 'hello', nick: seq.nick, id: `hello-${run}` })];
  seq.body.forEach((item, i) => {
    if ('frame' in item) lines.push(JSON.stringify({ ...item.frame, id: i % 2 === 0 ? `r${run}-${i}` : i }));
    else if ('line' in item) lines.push(item.line);
    else if (!dropBinary) lines.push(item);
  });
  lines.push(JSON.stringify({ type: 'ping', id: `end-${run}` }));
  if (skipKnown && lines.some((l) => typeof l === 'string' && knownBug(l) !== undefined)) return 'known';
  return seq.transport === 'tcp' ? planTcp(lines as string[], seq.crlf) : planWs(lines);
}

function planTcp(lines: string[], crlf: boolean): Plan | null {
  const bytes = Buffer.from(lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join(''));
  const expected: Expected[] = [];
  // What the server's decoder will see: lines may hold `\n` themselves.
  for (const event of referenceEvents(bytes, MAX_LINE)) {
    if (typeof event !== 'string') {
      expected.push({ kind: 'error', code: 'line_too_long', id: undefined });
      return { bytes, expected, endsClosed: 'with-error', frames: expected.length };
    }
    const want = expectedFor(event);
    if (want === undefined) return null; // an answer the protocol leaves open: skip
    if (want !== null) expected.push(want);
  }
  return { bytes, expected, endsClosed: false, frames: lines.length };
}

function planWs(lines: (string | { binary: true })[]): Plan | null {
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const chunks: Buffer[] = [];
  const expected: Expected[] = [];
  for (const line of lines) {
    if (typeof line !== 'string') {
      chunks.push(wsFrame(Buffer.from('{"type":"ping"}'), 2, mask));
      expected.push({ kind: 'error', code: 'binary_not_supported', id: undefined });
      continue;
    }
    const payload = Buffer.from(line);
    chunks.push(wsFrame(payload, 1, mask));
    // Over maxPayload, ws closes with 1009 and no error frame (README, "WebSocket closes").
    if (payload.length > MAX_LINE)
      return { bytes: Buffer.concat(chunks), expected, endsClosed: 'silently', frames: chunks.length };
    const want = expectedFor(payload.toString('utf8'));
    if (want === undefined) return null;
    if (want !== null) expected.push(want);
  }
  return { bytes: Buffer.concat(chunks), expected, endsClosed: false, frames: chunks.length };
}

/**
 * Two `@loopchat/client` clients in their own room: the "other clients" that must not notice
 * the fuzzing. The reader would recover a hole from history by itself, so a hole (its
 * `recovering` or `gap` event) fails the run as an out-of-order delivery would.
 */
class Canary {
  #seq = 0;
  #last = 0;
  #holes = 0;
  #closed = false;
  readonly #seqs: number[] = [];
  #onMessage: (() => void) | undefined;
  worstMs = 0;

  private constructor(
    readonly sender: ChatClient,
    readonly reader: ChatClient,
  ) {
    reader.on('message', (m) => {
      this.#seqs.push(m.seq);
      this.#onMessage?.();
    });
    reader.on('recovering', () => this.#holes++);
    reader.on('gap', () => this.#holes++);
    reader.on('close', () => {
      this.#closed = true;
      this.#onMessage?.();
    });
  }

  static async start(server: FuzzServer): Promise<Canary> {
    const [sender, reader] = await Promise.all(['canarysend', 'canaryread'].map((nick) => joined(server.tcpPort, nick)));
    return new Canary(sender!, reader!);
  }

  /** One message through the room, at most once a second (the moderation flood rule allows 10 per 10 s). */
  async chirp(): Promise<void> {
    if (Date.now() - this.#last < 1000) return;
    this.#last = Date.now();
    const seq = ++this.#seq;
    const started = performance.now();
    this.sender.send(CANARY_ROOM, `chirp ${seq}`).catch(() => {}); // its arrival is what counts
    const arrived = await this.#arrival(seq, CANARY_BOUND_MS * 4);
    const ms = performance.now() - started;
    this.worstMs = Math.max(this.worstMs, ms);
    check(arrived && !this.#closed, () => `canary message ${seq} did not arrive (server down?)`);
    check(
      this.#holes === 0 && this.#seqs.every((s, i) => s === i + 1),
      () => `canary saw seqs ${JSON.stringify(this.#seqs.slice(-5))} with ${this.#holes} hole(s)`,
    );
    check(ms <= CANARY_BOUND_MS, () => `canary message took ${ms.toFixed(0)} ms > ${CANARY_BOUND_MS}`);
  }

  close(): void {
    this.sender.close();
    this.reader.close();
  }

  /** Resolves when message `seq` has arrived or the reader closed (false: timed out). */
  #arrival(seq: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#onMessage = undefined;
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#onMessage = () => {
        if (this.#closed || this.#seqs.includes(seq)) done(true);
      };
      this.#onMessage();
    });
  }
}

async function joined(port: number, nick: string): Promise<ChatClient> {
  const chat = new ChatClient({ transport: tcpTransport({ port }), reconnect: false, requestTimeoutMs: ANSWER_TIMEOUT_MS });
  try {
    await chat.connect();
    await chat.hello(nick);
    await chat.join(CANARY_ROOM);
  } catch (err) {
    chat.close();
    check(false, () => `canary ${nick} could not join: ${(err as Error).message}`);
  }
  return chat;
}

async function drive(server: FuzzServer, p: Plan, seq: Sequence): Promise<void> {
  const client: FuzzClient =
    seq.transport === 'tcp' ? await TcpFuzzClient.connect(server.tcpPort) : await WsFuzzClient.connect(server.httpPort);
  try {
    await client.write(p.bytes, seq.cuts, seq.pauses);
    const done = p.endsClosed
      ? await client.until(() => false, ANSWER_TIMEOUT_MS)
      : await client.until(
          (f) => f.type === 'pong' && typeof f['id'] === 'string' && f['id'].startsWith('end-'),
          ANSWER_TIMEOUT_MS,
        );
    check(
      done,
      () => `no ${p.endsClosed ? 'close' : 'final pong'} within ${ANSWER_TIMEOUT_MS} ms; got ${show(client.frames)}`,
    );
    const mismatch = compareAnswers(p.expected, client.frames, p.endsClosed);
    check(mismatch === null, () => `${mismatch}\nall frames: ${show(client.frames)}`);
    check(p.endsClosed !== false || !client.closed, () => `the server closed the connection: ${show(client.frames)}`);
    check(!client.frames.some((f) => f.type === 'unparsed'), () => `a non-JSON line came back: ${show(client.frames)}`);
  } finally {
    client.close();
  }
}

function show(frames: Frame[]): string {
  return JSON.stringify(frames.slice(-8)).slice(0, 2000);
}

async function waitForSessions(server: FuzzServer, size: number): Promise<boolean> {
  const deadline = Date.now() + 3000;
  while (server.ctx.sessions.size > size) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

export async function fuzzSession(budget: FuzzBudget, start: () => Promise<FuzzServer>): Promise<FuzzResult> {
  const server = await start();
  const counter = new Counter();
  const canary = await Canary.start(server);
  const baseline = server.ctx.sessions.size;
  const rssBefore = process.memoryUsage().rss;
  let run = 0;
  try {
    const property = fc.asyncProperty(sequence, async (seq) => {
      const p = plan(seq, ++run, !budget.includeKnown);
      if (p === 'known') counter.skippedKnown++;
      if (p === null || p === 'known') return;
      counter.count++;
      counter.units += p.frames;
      await drive(server, p, seq);
      await canary.chirp();
      if (run % 50 === 0) {
        check(
          await waitForSessions(server, baseline),
          () => `${server.ctx.sessions.size - baseline} sessions outlived their sockets`,
        );
        const growth = process.memoryUsage().rss - rssBefore;
        check(growth <= RSS_GROWTH_BOUND, () => `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB`);
      }
    });
    const result = await runAsync('session', budget, counter, property);
    const rssGrowthMiB = Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20);
    return {
      ...result,
      units: { name: 'frames', count: counter.units },
      extra: { canaryWorstMs: Math.round(canary.worstMs), rssGrowthMiB },
    };
  } finally {
    canary.close();
    await server.close();
  }
}
