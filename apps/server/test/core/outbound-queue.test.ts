import { describe, expect, it } from 'vitest';
import { FlushScheduler } from '../../src/core/flush-scheduler.js';
import { FLUSH_EARLY_BYTES, OutboundQueue, type OutboundOwner } from '../../src/core/outbound-queue.js';
import { Stats } from '../../src/core/stats.js';
import { FakeConnection } from '../helpers/fake-connection.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

function setup(budget = 1024, delayMs = 0) {
  const connection = new FakeConnection();
  const events: string[] = [];
  const owner: OutboundOwner = {
    onSlowConsumer: () => events.push('slow'),
    onFlushed: () => events.push('flushed'),
  };
  const stats = new Stats();
  const options = { flusher: new FlushScheduler(delayMs), stats, config: { outboundBudgetBytes: budget } };
  return { connection, events, stats, queue: new OutboundQueue(connection, owner, options) };
}

describe('OutboundQueue', () => {
  it('writes every frame queued in one turn in a single write, at the end of the turn', async () => {
    const { connection, events, stats, queue } = setup();
    queue.enqueue(Buffer.from('a\n'));
    queue.enqueue(Buffer.from('b\n'));
    queue.enqueue(Buffer.from('c\n'));
    expect(connection.writes).toEqual([]);
    expect(queue.queuedBytes).toBe(6);
    await turn();
    expect(connection.writes.map(String)).toEqual(['a\nb\nc\n']);
    expect(events).toEqual(['flushed']);
    expect(stats.framesOut.tcp).toBe(3);
    expect(stats.bytesOut.tcp).toBe(6);
  });

  it('shares the Buffer it was given when one frame is queued (no copy)', async () => {
    const { connection, queue } = setup();
    const frame = Buffer.from('only\n');
    queue.enqueue(frame);
    await turn();
    expect(connection.writes[0]).toBe(frame);
  });

  it('writes at once when a flood within one turn reaches FLUSH_EARLY_BYTES', () => {
    const { connection, queue } = setup(10 * FLUSH_EARLY_BYTES);
    const frame = Buffer.alloc(FLUSH_EARLY_BYTES / 4, 0x61);
    for (let i = 0; i < 4; i++) queue.enqueue(frame);
    expect(connection.writes).toHaveLength(1);
    expect(connection.writes[0]!.length).toBe(FLUSH_EARLY_BYTES);
    expect(queue.queuedBytes).toBe(0);
  });

  it('refuses a frame and reports a slow consumer when the unread backlog is over budget', async () => {
    const { connection, events, queue } = setup(1024);
    queue.enqueue(Buffer.from('queued\n'));
    connection.writableLength = 1025;
    expect(queue.enqueue(Buffer.from('more\n'))).toBe(false);
    expect(events).toEqual(['slow']);
    expect(queue.queuedBytes).toBe(0);
    await turn();
    expect(connection.writes).toEqual([]);
  });

  it('reports a slow consumer when its own write leaves the backlog over budget', async () => {
    const { connection, events, queue } = setup(4);
    queue.enqueue(Buffer.from('0123456789\n'));
    connection.write = function (bytes: Buffer) {
      this.writes.push(bytes);
      this.writableLength += bytes.length;
    };
    await turn();
    expect(connection.writes).toHaveLength(1);
    expect(events).toEqual(['slow', 'flushed']);
  });

  it('with a write delay, holds the first frame that long and sends later ones in the same write', async () => {
    const { connection, queue } = setup(1024, 30);
    queue.enqueue(Buffer.from('a\n'));
    await turn();
    expect(connection.writes).toEqual([]);
    queue.enqueue(Buffer.from('b\n'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(connection.writes.map(String)).toEqual(['a\nb\n']);
  });

  it('drops what is queued on discard, and a later flush writes nothing', async () => {
    const { connection, events, queue } = setup();
    queue.enqueue(Buffer.from('gone\n'));
    queue.discard();
    await turn();
    expect(connection.writes).toEqual([]);
    expect(events).toEqual([]);
  });
});
