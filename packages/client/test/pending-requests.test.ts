import { describe, expect, it } from 'vitest';
import { PendingRequests } from '../src/pending-requests.js';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: { code: string }) => err.code,
  );

describe('PendingRequests', () => {
  it('settles by id: the answer resolves, an error frame rejects with its code', async () => {
    const pending = new PendingRequests(10, 1000);
    const a = pending.add();
    const b = pending.add();
    expect(a.id).not.toBe(b.id);
    expect(pending.settle({ type: 'pong', id: a.id })).toBe(true);
    expect(pending.settle({ type: 'error', code: 'not_in_room', message: 'x', id: b.id })).toBe(true);
    expect(await a.answer).toEqual({ type: 'pong', id: a.id });
    expect(await codeOf(b.answer)).toBe('not_in_room');
    expect(pending.settle({ type: 'pong', id: a.id })).toBe(false);
    expect(pending.size).toBe(0);
  });

  it('runs onAnswer synchronously, before the promise settles', () => {
    const pending = new PendingRequests(10, 1000);
    const seen: string[] = [];
    const { id } = pending.add((frame) => seen.push(frame.type));
    pending.settle({ type: 'ack', id, ts: 1 });
    expect(seen).toEqual(['ack']);
  });

  it('is bounded: too_many_pending past the maximum, timeout when no answer comes', async () => {
    const pending = new PendingRequests(1, 20);
    const first = pending.add();
    expect(() => pending.add()).toThrow(expect.objectContaining({ code: 'too_many_pending' }));
    expect(await codeOf(first.answer)).toBe('timeout');
    expect(pending.size).toBe(0);
  });

  it('fails every waiting request at once', async () => {
    const pending = new PendingRequests(10, 1000);
    const answers = [pending.add().answer, pending.add().answer];
    pending.failAll(new (await import('../src/errors.js')).ClientError('disconnected'));
    expect(await Promise.all(answers.map(codeOf))).toEqual(['disconnected', 'disconnected']);
  });
});
