/**
 * A chat member under steady load (issue 6 fault tests): one room, a `LineClient` that may be
 * replaced after a crash, the member's `MemberLedger`, and, for senders, the messages in
 * flight. Acks go into the shared `AckedLog`; a connection that closes with messages still
 * unanswered counts them as `unanswered` (never acked: allowed to be lost).
 *
 * Recovery is what README asks of a client: after a reconnect, or on a seq gap when
 * `recoverGaps` is set, `catchUp()` pages through `history {room, since}` from the highest
 * seq the member holds without a gap (so an earlier gap cannot be skipped over).
 */
import type { AckFrame, ErrorFrame, HistoryFrame, MsgFrame, ServerFrame, WelcomeFrame } from '@loopchat/protocol';
import { sleep } from '../helpers/clients.js';
import { LineClient } from './line-client.js';
import { AckedLog, MemberLedger } from './room-ledger.js';

/** The server's largest history page (README: limit max 1000). */
const HISTORY_PAGE = 1000;

let requestCounter = 0;
const nextId = (what: string): string => `${what}-${++requestCounter}`;

/**
 * hello as `nick` on `client`; while another connection still holds the nick (a dead
 * worker's, until the primary drops it), retry every `retryMs` up to `timeoutMs`.
 */
export async function hello(client: LineClient, nick: string, timeoutMs = 5000, retryMs = 20): Promise<WelcomeFrame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await client.request({ type: 'hello', nick }, nextId('hello'));
    if (answer.type === 'welcome') return answer;
    const code = (answer as ErrorFrame).code;
    if ((code !== 'nick_taken' && code !== 'unavailable') || Date.now() > deadline)
      throw new Error(`hello ${nick}: ${JSON.stringify(answer)}`);
    await sleep(retryMs);
  }
}

export interface MemberOptions {
  nick: string;
  room: string;
  roomIndex: number;
  truth: AckedLog;
  /** Ask history on a live seq gap (a Redis outage can hide a publish from a subscriber). */
  recoverGaps?: boolean;
  /**
   * After a send is refused with `unavailable`, re-join every 100 ms until a join is
   * acknowledged (README: "clients re-join after an unavailable spell").
   */
  rejoinAfterUnavailable?: boolean;
}

export class Member {
  readonly nick: string;
  readonly room: string;
  readonly ledger: MemberLedger;
  readonly recoverGaps: boolean;
  readonly rejoinAfterUnavailable: boolean;
  readonly #truth: AckedLog;
  client: LineClient | undefined;
  /** Joined on the current connection: its sends count. */
  ready = false;
  /** id → time sent, for messages not answered yet. */
  readonly pending = new Map<string, number>();
  sent = 0;
  acked = 0;
  /** Sent on a connection that closed before it answered. */
  readonly unanswered: string[] = [];
  /** `error` answers to sends: the message id, the code, when it came. */
  readonly refused: { id: string; code: string; at: number }[] = [];
  /** Seqs the re-joins after an `unavailable` spell were answered with, and when. */
  readonly rejoins: { seq: number; at: number; lastHeld: number }[] = [];
  readonly ackedAt: number[] = [];
  #counter = 0;
  #catching: Promise<void> | undefined;
  #again = false;
  #rejoining = false;

  constructor(options: MemberOptions) {
    this.nick = options.nick;
    this.room = options.room;
    this.ledger = new MemberLedger(options.room, options.roomIndex);
    this.recoverGaps = options.recoverGaps ?? false;
    this.rejoinAfterUnavailable = options.rejoinAfterUnavailable ?? false;
    this.#truth = options.truth;
  }

  /** Takes `client` (already past hello) as this member's connection. */
  attach(client: LineClient): void {
    this.client = client;
    this.ready = false;
    client.onFrame = (frame) => this.#onFrame(frame);
    void client.closed.then(() => {
      if (this.client !== client) return;
      this.client = undefined;
      this.ready = false;
      for (const id of this.pending.keys()) this.unanswered.push(id);
      this.pending.clear();
    });
  }

  /** join on the current connection; the first join sets the ledger's base. Resolves with the ack's seq. */
  async join(timeoutMs = 5000): Promise<number> {
    const client = this.#need();
    const answer = await client.request({ type: 'join', room: this.room }, nextId(`join-${this.nick}`), timeoutMs);
    if (answer.type !== 'ack') throw new Error(`join ${this.room} as ${this.nick}: ${JSON.stringify(answer)}`);
    const seq = (answer as AckFrame).seq ?? 0;
    if (!this.ledger.started) this.ledger.start(seq);
    if (this.client === client) this.ready = true;
    return seq;
  }

  /** Sends the next message (id `nick:n`, text naming it). */
  sendNext(): void {
    const client = this.#need();
    const id = `${this.nick}:${++this.#counter}`;
    this.pending.set(id, Date.now());
    this.sent++;
    client.send({ type: 'msg', room: this.room, text: `steady ${id}`, id });
  }

  /**
   * Pages `history {since}` until the member holds every seq the room had when the last
   * page was answered. `unavailable` (Redis down) is retried every 100 ms up to `timeoutMs`.
   */
  catchUp(timeoutMs = 10_000): Promise<void> {
    if (this.#catching !== undefined) {
      this.#again = true;
      return this.#catching;
    }
    this.#catching = (async () => {
      try {
        do {
          this.#again = false;
          await this.#pages(timeoutMs);
        } while (this.#again);
      } finally {
        this.#catching = undefined;
      }
    })();
    return this.#catching;
  }

  async #pages(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = this.#need();
      const since = this.ledger.contiguous;
      const answer = await client.request(
        { type: 'history', room: this.room, since, limit: HISTORY_PAGE },
        nextId(`history-${this.nick}`),
      );
      if (answer.type === 'error') {
        if ((answer as ErrorFrame).code !== 'unavailable' || Date.now() > deadline)
          throw new Error(`history ${this.room} since ${since}: ${JSON.stringify(answer)}`);
        await sleep(100);
        continue;
      }
      const messages = (answer as HistoryFrame).messages;
      for (const m of messages) this.ledger.fromHistory(m.seq, String(m.id));
      if (messages.length < HISTORY_PAGE) return;
      // A full page that did not move the gap-free prefix: what is missing has left the
      // room's bounded history; asking again would loop forever. The accounting reports it.
      if (this.ledger.contiguous === since || Date.now() > deadline) return;
    }
  }

  #need(): LineClient {
    if (this.client === undefined) throw new Error(`${this.nick} has no connection`);
    return this.client;
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'msg':
        this.#onMsg(frame);
        return;
      case 'ack':
        this.#onAck(frame);
        return;
      case 'error':
        this.#onError(frame);
        return;
      case 'ping':
        // The server's heartbeat (no id): answer it like any client.
        this.client?.send({ type: 'pong' });
        return;
      default:
        return;
    }
  }

  #onMsg(msg: MsgFrame): void {
    if (msg.room !== this.room || !this.ledger.started) return;
    this.ledger.live(msg.seq, String(msg.id));
    if (this.recoverGaps && this.ledger.contiguous < msg.seq - 1) void this.catchUp().catch(() => {});
  }

  #onAck(ack: AckFrame): void {
    const id = String(ack.id);
    if (!this.pending.delete(id)) return;
    this.acked++;
    this.ackedAt.push(Date.now());
    if (ack.seq === undefined) return;
    this.ledger.own(ack.seq, id);
    this.#truth.record(this.room, ack.seq, id);
  }

  #onError(error: ErrorFrame): void {
    const id = String(error.id);
    if (error.id === undefined || !this.pending.delete(id)) return;
    this.refused.push({ id, code: error.code, at: Date.now() });
    if (error.code === 'unavailable' && this.rejoinAfterUnavailable && !this.#rejoining) void this.#rejoin();
  }

  async #rejoin(): Promise<void> {
    this.#rejoining = true;
    try {
      while (this.client !== undefined) {
        await sleep(100);
        const lastHeld = this.ledger.last;
        const seq = await this.join().catch(() => undefined);
        if (seq === undefined) continue;
        // A seq below the last one held would mean the room started over (empty Redis).
        this.rejoins.push({ seq, at: Date.now(), lastHeld });
        return;
      }
    } finally {
      this.#rejoining = false;
    }
  }
}

export interface SteadyLoadResult {
  /** Messages due by the schedule. */
  scheduled: number;
  /** Sent (a due message goes to the next sender that is joined). */
  sent: number;
  /** Due while no sender was joined: not sent. */
  skipped: number;
}

/**
 * Sends `ratePerSecond` messages over `senders`, round-robin over those that are `ready`,
 * for `durationMs`. Open model: message k is due at k / rate whatever happened before, so a
 * stall sends the overdue ones late instead of lowering the rate.
 */
export function steadyLoad(
  senders: readonly Member[],
  ratePerSecond: number,
  durationMs: number,
): Promise<SteadyLoadResult> {
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const started = Date.now();
  const result: SteadyLoadResult = { scheduled: 0, sent: 0, skipped: 0 };
  let next = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - started) * ratePerSecond) / 1000));
      while (result.scheduled < due) {
        result.scheduled++;
        let sender: Member | undefined;
        for (let tries = 0; tries < senders.length && sender === undefined; tries++) {
          const candidate = senders[next++ % senders.length]!;
          if (candidate.ready && candidate.client?.open === true) sender = candidate;
        }
        if (sender === undefined) {
          result.skipped++;
          continue;
        }
        sender.sendNext();
        result.sent++;
      }
      if (result.scheduled >= total) {
        clearInterval(timer);
        resolve(result);
      }
    }, 5);
  });
}
