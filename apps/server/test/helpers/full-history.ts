/** A room's whole stored history, read the way a client would: paging forward from seq 0. */
import type { MsgFrame, ServerFrame } from '@loopchat/protocol';
import type { TcpJsonClient } from './clients.js';

/** Every retained message of `room` by seq; `c` must be a member of the room. */
export async function fullHistory(c: TcpJsonClient, room: string): Promise<Map<number, MsgFrame>> {
  const all = new Map<number, MsgFrame>();
  let since = 0;
  for (let page = 0; ; page++) {
    const id = `full-${room}-${page}`;
    c.send({ type: 'history', room, since, limit: 1000, id });
    const frame = (await c.waitFor({ type: 'history', id })) as Extract<ServerFrame, { type: 'history' }>;
    for (const m of frame.messages) all.set(m.seq, m);
    if (frame.messages.length === 0) return all;
    since = frame.messages.at(-1)!.seq;
  }
}
