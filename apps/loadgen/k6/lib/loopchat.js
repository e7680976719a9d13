// @ts-check
// What every loopchat k6 scenario shares: the default server URL, nicks k6 may use, the ids
// that carry a send time, and the per-room seq bookkeeping that counts lost messages.
// Plain JavaScript that k6 runs as-is; checked by tsc through JSDoc (../tsconfig.json).

/**
 * `npm start`'s WebSocket endpoint (HTTP_PORT 8080, path /ws). Each scenario reads
 * LOOPCHAT_WS_URL, then WS_URL (what docker-compose sets), then falls back to this.
 */
export const DEFAULT_WS_URL = 'ws://127.0.0.1:8080/ws';

/**
 * The server's HTTP base (for /stats): the WebSocket URL with ws→http and without `/ws`.
 * @param {string} wsUrl
 * @returns {string}
 */
export function httpBase(wsUrl) {
  return wsUrl.replace(/^ws/, 'http').replace(/\/ws(\?.*)?$/, '');
}

/**
 * A nick unique in the test run: `prefix`, VU, iteration. Nicks match
 * `^[A-Za-z][A-Za-z0-9_-]{0,23}$` (README, Protocol), so `prefix` starts with a letter.
 * @param {string} prefix
 * @param {number} vu
 * @param {number} iteration
 * @returns {string}
 */
export function nickFor(prefix, vu, iteration) {
  return `${prefix}${vu}-${iteration}`.slice(0, 24);
}

/**
 * A message id carrying the send time, `k6.<ms since epoch>.<n>`: every member (not only the
 * sender) can compute the end-to-end latency from it, without shared state between VUs.
 * All VUs of one k6 process share its clock; across k6 instances, clocks must be in sync.
 * @param {number} sentAt
 * @param {number} n
 * @returns {string}
 */
export function timedId(sentAt, n) {
  return `k6.${sentAt}.${n}`;
}

/**
 * The send time in an id made by timedId, or undefined for anyone else's id.
 * @param {unknown} id
 * @returns {number | undefined}
 */
export function sentAtOf(id) {
  if (typeof id !== 'string') return undefined;
  const match = /^k6\.(\d+)\./.exec(id);
  return match === null ? undefined : Number(match[1]);
}

/**
 * @typedef {object} Frame A server frame (README, Protocol): only the fields the scenarios read.
 * @property {string} type
 * @property {string | number} [id]
 * @property {string} [room]
 * @property {string} [from]
 * @property {string} [nick]
 * @property {string} [text]
 * @property {number} [seq]
 * @property {number} [ts]
 * @property {string} [code]
 * @property {string} [message]
 */

/**
 * @param {string} data
 * @returns {Frame | undefined} undefined for a message that is not a JSON frame
 */
export function parseFrame(data) {
  try {
    const value = JSON.parse(data);
    return typeof value === 'object' && value !== null && typeof value.type === 'string' ? value : undefined;
  } catch (_) {
    return undefined;
  }
}

/** How far past a gap a room's seqs may run before the gap counts as lost (reordering slack). */
const REORDER_WINDOW = 256;

/**
 * One room's seq stream as one client sees it: other members' `msg` frames plus the `ack`s of
 * its own messages (the server does not echo a sender's message back, it acks it with the
 * seq). Seqs start after the join ack's seq and must arrive without gaps; an ack and a msg
 * of the same event-loop turn may swap places (cluster mode), so a gap is only declared lost
 * once seqs REORDER_WINDOW past it have arrived, or when the session ends (`finish`).
 */
export class SeqTracker {
  /** @param {number} joinedAt the join ack's seq: the room's latest when we joined */
  constructor(joinedAt) {
    /** The next seq we have not seen. */
    this.next = joinedAt + 1;
    /** Seqs seen beyond `next` (out of order, or past a gap). @type {Set<number>} */
    this.ahead = new Set();
    /** Highest seq seen. */
    this.max = joinedAt;
  }

  /**
   * Records `seq`; returns how many seqs it proved lost.
   * @param {number} seq
   * @returns {number}
   */
  see(seq) {
    if (seq < this.next || this.ahead.has(seq)) return 0; // duplicate: not our concern here
    if (seq > this.max) this.max = seq;
    if (seq === this.next) {
      this.next++;
      this.advance();
      return 0;
    }
    this.ahead.add(seq);
    let lost = 0;
    while (this.max - this.next >= REORDER_WINDOW) {
      lost++;
      this.next++;
      this.advance();
    }
    return lost;
  }

  /** Gaps still open when the session ends (after the drain wait): lost. @returns {number} */
  finish() {
    const lost = this.max - this.next + 1 - this.ahead.size;
    this.next = this.max + 1;
    this.ahead.clear();
    return Math.max(0, lost);
  }

  /** Moves `next` past the seqs already seen ahead (no private methods: k6's JS engine is not V8). */
  advance() {
    while (this.ahead.delete(this.next)) this.next++;
  }
}
