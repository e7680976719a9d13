/** LocalBus with a durable store: one commit per turn, and nothing acked or delivered that it did not store. */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMsgBody, type DmFrame, type PresenceFrame } from '@loopchat/protocol';
import { BusUnavailableError, type BusSink, type SequencedMessage } from '../../src/bus/bus.js';
import { LocalBus } from '../../src/bus/local-bus.js';
import { HistoryStoreError } from '../../src/history/errors.js';
import { MemoryStore } from '../../src/history/memory-store.js';

/** A memory store that says it is durable, counts commits, and fails them on demand. */
class FlakyStore extends MemoryStore {
  override readonly durable = true;
  commits = 0;
  failNext = false;
  override commit(): void {
    this.commits++;
    if (this.failNext) {
      this.failNext = false;
      throw new HistoryStoreError('HISTORY_WRITE_FAILED', 'disk full (simulated)');
    }
  }
}

function sink(): BusSink & { messages: SequencedMessage[]; events: string[] } {
  const messages: SequencedMessage[] = [];
  const events: string[] = [];
  return {
    messages,
    events,
    onMessage: (m) => (messages.push(m), events.push(`msg ${m.seq}`)),
    onPresence: (p: PresenceFrame) => events.push(`${p.event} ${p.nick}`),
    onDm: (d: DmFrame) => events.push(`dm ${d.to}`),
  };
}

const limits = { maxRooms: 10, emptyRoomTtlMs: 60_000, presenceMaxMembers: 100 };
const buses: LocalBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
});

function bus(store: FlakyStore): LocalBus {
  const b = new LocalBus(limits, store);
  buses.push(b);
  return b;
}

describe('LocalBus on a durable store', () => {
  it('commits a turn’s messages once, then delivers and acknowledges them', async () => {
    const store = new FlakyStore(100);
    const b = bus(store);
    const s = sink();
    b.attach(s);
    await b.join('r', 'ann');
    const acks = [1, 2, 3].map((i) => b.publish('r', 'ann', encodeMsgBody('r', 'ann', `m${i}`)));
    expect(s.messages).toEqual([]); // nothing delivered before the commit
    const sent = await Promise.all(acks);
    expect(sent.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(store.commits).toBe(1);
    expect(s.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('fails every publish of a failed commit with unavailable, delivers none, and gives the seqs again', async () => {
    const store = new FlakyStore(100);
    const b = bus(store);
    const s = sink();
    b.attach(s);
    await b.join('r', 'ann');
    store.failNext = true;
    const failed = [1, 2].map((i) => b.publish('r', 'ann', encodeMsgBody('r', 'ann', `lost ${i}`)));
    await b.join('r', 'bob'); // an event of the same turn still goes out
    for (const p of failed) await expect(p).rejects.toBeInstanceOf(BusUnavailableError);
    expect(s.events).toEqual(['join bob']);
    const next = await b.publish('r', 'ann', encodeMsgBody('r', 'ann', 'kept'));
    expect(next.seq).toBe(1);
    expect(s.events).toEqual(['join bob', 'msg 1']);
  });

  it('answers a turn’s messages before an event decided after them, and after one decided before them', async () => {
    const b = bus(new FlakyStore(100));
    const s = sink();
    b.attach(s);
    await b.join('r', 'ann');
    // A sender hears of its message through the publish promise's reaction (the answer
    // queue's `then`), so the answers are recorded in one, beside the deliveries.
    const answer = (p: Promise<SequencedMessage>): Promise<number> => p.then((m) => s.events.push(`answer ${m.seq}`));
    const answers = [answer(b.publish('r', 'ann', encodeMsgBody('r', 'ann', 'one')))];
    await b.join('r', 'bob');
    answers.push(answer(b.publish('r', 'ann', encodeMsgBody('r', 'ann', 'two'))));
    answers.push(answer(b.publish('r', 'ann', encodeMsgBody('r', 'ann', 'three'))));
    await b.join('r', 'cid');
    await Promise.all(answers);
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.events).toEqual(['msg 1', 'answer 1', 'join bob', 'msg 2', 'msg 3', 'answer 2', 'answer 3', 'join cid']);
  });
});
