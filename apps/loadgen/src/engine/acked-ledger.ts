/**
 * `--acked-log`: every message the server acknowledged to this process, as JSON lines
 * `{"room","seq","id","from","text"}`, so a harness can check after the run (a crash, a
 * restart) that each of them is in the room's history with that seq, id and text. Kept only
 * when asked for: three numbers per ack, rendered once at the end.
 */

/** Who sends what: one per sender connection (its text is fixed, message-text.ts). */
export interface AckedSender {
  room: string;
  from: string;
  text: string;
}

export class AckedLedger {
  readonly #senders = new Map<number, AckedSender>();
  readonly #conns: number[] = [];
  readonly #seqs: number[] = [];
  readonly #ids: number[] = [];

  /** Connection `conn` sends `sender.text` as `sender.from` in `sender.room`. */
  addSender(conn: number, sender: AckedSender): void {
    this.#senders.set(conn, sender);
  }

  /** The server acked message `id` of connection `conn` with `seq`. */
  record(conn: number, seq: number, id: number): void {
    this.#conns.push(conn);
    this.#seqs.push(seq);
    this.#ids.push(id);
  }

  get size(): number {
    return this.#seqs.length;
  }

  /** One JSON line per ack, in the order the acks arrived. */
  render(): string {
    let out = '';
    for (let k = 0; k < this.#seqs.length; k++) {
      const sender = this.#senders.get(this.#conns[k]!);
      if (sender === undefined) continue;
      const { room, from, text } = sender;
      out += `${JSON.stringify({ room, seq: this.#seqs[k], id: this.#ids[k], from, text })}\n`;
    }
    return out;
  }
}
