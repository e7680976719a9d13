/**
 * Zero-acked-loss accounting for the steady-load fault tests (issue 6: "verified by the
 * loadgen's per-seq accounting plus history recovery").
 *
 * Each member keeps the loadgen's own `SeqTracker` (apps/loadgen/src/engine/accounting.ts,
 * pure and synchronous, so it is imported as is) and feeds it every seq it gets, whichever
 * way it came:
 *
 *   live     a `msg` frame pushed by the server
 *   history  a message from a `history {since}` answer (recovery after a reconnect or a gap)
 *   own      the seq of the member's own acked message (loopchat does not echo it)
 *
 * A seq that comes both live and from history is the expected overlap of a recovery, not a
 * duplicate: it is counted as `overlap` and not fed twice. The tracker's `dup` is then only a
 * seq pushed live twice (a server bug). `mergeAccounts` gives the loadgen's loss figure, which
 * counts every seq the room reached (acked or not) that a member never got. On top of that,
 * `AckedLog` is the truth from the senders' acks: every acked (room, seq) must be in every
 * member's ledger with the same message id.
 */
import { SeqTracker, mergeAccounts, type AccountTotals } from '../../../loadgen/src/engine/accounting.js';

type Source = 'live' | 'history' | 'own';

/** What the senders were told: room → seq → message id. */
export class AckedLog {
  readonly rooms = new Map<string, Map<number, string>>();
  /** Two different messages acked with one seq in one room. */
  readonly conflicts: string[] = [];
  size = 0;

  record(room: string, seq: number, id: string): void {
    let seqs = this.rooms.get(room);
    if (seqs === undefined) this.rooms.set(room, (seqs = new Map()));
    const before = seqs.get(seq);
    if (before !== undefined && before !== id) this.conflicts.push(`${room} seq ${seq}: ${before} and ${id}`);
    if (before === undefined) this.size++;
    seqs.set(seq, id);
  }
}

/** One member's view of its room. */
export class MemberLedger {
  readonly room: string;
  readonly tracker: SeqTracker;
  /** seq → [message id, how it first came]. */
  readonly #have = new Map<number, [string, Source]>();
  #started = false;
  /** Highest seq s with every seq from base+1 through s in hand. */
  #contiguous = 0;
  #last = 0;
  overlap = 0;
  /** Seqs first obtained from history (recovered). */
  recovered = 0;
  /** Live msgs that filled an earlier live gap (reordered delivery). */
  liveReorder = 0;
  /** A seq that came with two different message ids. */
  readonly mismatches: string[] = [];

  constructor(room: string, roomIndex: number) {
    this.room = room;
    this.tracker = new SeqTracker(roomIndex);
  }

  get started(): boolean {
    return this.#started;
  }

  get base(): number {
    return this.tracker.base;
  }

  /** The highest seq in hand (own acks included). */
  get last(): number {
    return this.#last;
  }

  get contiguous(): number {
    return this.#contiguous;
  }

  /** The first join was answered with the room's latest seq. */
  start(seq: number): void {
    this.tracker.start(seq);
    this.#contiguous = this.#last = seq;
    this.#started = true;
  }

  live(seq: number, id: string): void {
    const prev = this.#have.get(seq);
    if (prev !== undefined) {
      this.#check(seq, prev[0], id);
      if (prev[1] === 'history') this.overlap++;
      else this.tracker.onMsg(seq); // pushed twice (or an echo of our own): the tracker counts a dup
      return;
    }
    const before = this.tracker.reorder;
    this.#add(seq, id, 'live');
    this.tracker.onMsg(seq);
    if (this.tracker.reorder > before) this.liveReorder++;
  }

  fromHistory(seq: number, id: string): void {
    if (seq <= this.base) return;
    const prev = this.#have.get(seq);
    if (prev !== undefined) {
      this.#check(seq, prev[0], id);
      this.overlap++;
      return;
    }
    this.#add(seq, id, 'history');
    this.tracker.onMsg(seq);
    this.recovered++;
  }

  own(seq: number, id: string): void {
    const prev = this.#have.get(seq);
    if (prev !== undefined) {
      this.#check(seq, prev[0], id);
      return;
    }
    this.#add(seq, id, 'own');
    this.tracker.onOwn(seq);
  }

  idOf(seq: number): string | undefined {
    return this.#have.get(seq)?.[0];
  }

  /** The ids of every message held. */
  *ids(): IterableIterator<string> {
    for (const [id] of this.#have.values()) yield id;
  }

  #add(seq: number, id: string, source: Source): void {
    this.#have.set(seq, [id, source]);
    if (seq > this.#last) this.#last = seq;
    while (this.#have.has(this.#contiguous + 1)) this.#contiguous++;
  }

  #check(seq: number, had: string, got: string): void {
    if (had !== got) this.mismatches.push(`${this.room} seq ${seq}: ${had} then ${got}`);
  }
}

export interface LedgerReport extends AccountTotals {
  /** Acked messages (the truth). */
  acked: number;
  /** (member, acked message) pairs the member should hold: seq above its join. */
  ackedExpected: number;
  /** Acked messages some member never got: "member: room seq id". */
  ackedMissing: string[];
  overlap: number;
  recovered: number;
  liveReorder: number;
  mismatches: string[];
  conflicts: string[];
}

/** Checks every member against the acks, and totals the loadgen accounting. */
export function reconcile(ledgers: Iterable<[string, MemberLedger]>, truth: AckedLog): LedgerReport {
  const list = [...ledgers];
  const roomMax = new Map<number, number>();
  const raise = (room: number, seq: number): void => {
    if (seq > (roomMax.get(room) ?? 0)) roomMax.set(room, seq);
  };
  for (const [, ledger] of list) {
    raise(ledger.tracker.room, ledger.last);
    for (const seq of truth.rooms.get(ledger.room)?.keys() ?? []) raise(ledger.tracker.room, seq);
  }
  const totals = mergeAccounts(
    list.map(([, l]) => l.tracker.account()),
    roomMax,
  );
  const report: LedgerReport = {
    ...totals,
    acked: truth.size,
    ackedExpected: 0,
    ackedMissing: [],
    overlap: 0,
    recovered: 0,
    liveReorder: 0,
    mismatches: [],
    conflicts: [...truth.conflicts],
  };
  for (const [who, ledger] of list) {
    report.overlap += ledger.overlap;
    report.recovered += ledger.recovered;
    report.liveReorder += ledger.liveReorder;
    report.mismatches.push(...ledger.mismatches);
    for (const [seq, id] of truth.rooms.get(ledger.room) ?? []) {
      if (seq <= ledger.base) continue;
      report.ackedExpected++;
      if (ledger.idOf(seq) !== id) report.ackedMissing.push(`${who}: ${ledger.room} seq ${seq} ${id}`);
    }
  }
  return report;
}
