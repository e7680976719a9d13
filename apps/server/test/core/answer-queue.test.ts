import { describe, expect, it } from 'vitest';
import { AnswerQueue } from '../../src/core/answer-queue.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const out: string[] = [];
  let done = 0;
  const queue = new AnswerQueue({ onAnswersDone: () => done++ });
  return { out, queue, done: () => done };
}

describe('AnswerQueue', () => {
  it('answers in request order when the requests settle in reverse', async () => {
    const { out, queue, done } = setup();
    const a = deferred<string>();
    const b = deferred<string>();
    queue.settle(a.promise, (v) => out.push(v), () => out.push('fail a'));
    queue.settle(b.promise, (v) => out.push(v), () => out.push('fail b'));
    b.resolve('B');
    await settled();
    expect(out).toEqual([]);
    a.resolve('A');
    await settled();
    expect(out).toEqual(['A', 'B']);
    expect(done()).toBe(1);
    expect(queue.pending).toBe(0);
  });

  it('runs the failure of a rejected request in its turn', async () => {
    const { out, queue } = setup();
    const a = deferred<string>();
    queue.settle(a.promise, (v) => out.push(v), () => out.push('fail a'));
    queue.settle(Promise.resolve('B'), (v) => out.push(v), () => out.push('fail b'));
    a.reject(new Error('bus down'));
    await settled();
    expect(out).toEqual(['fail a', 'B']);
  });

  it('makes an answer ready now wait behind a pending one, and lets it go at once when none is', async () => {
    const { out, queue } = setup();
    expect(queue.defer(() => out.push('now'))).toBe(false);
    const a = deferred<string>();
    queue.settle(a.promise, (v) => out.push(v), () => {});
    expect(queue.defer(() => out.push('ready'))).toBe(true);
    a.resolve('A');
    await settled();
    expect(out).toEqual(['A', 'ready']);
  });

  it("lets an answer's own output go at once while it runs", async () => {
    const { out, queue } = setup();
    queue.settle(
      Promise.resolve('A'),
      (v) => {
        expect(queue.isAnswering).toBe(true);
        expect(queue.defer(() => out.push('never'))).toBe(false);
        out.push(v);
      },
      () => {},
    );
    await settled();
    expect(out).toEqual(['A']);
    expect(queue.isAnswering).toBe(false);
  });

  it('runs afterAnswers once the running answers are out, outside of them, before reporting empty', async () => {
    const { out, queue, done } = setup();
    queue.settle(
      Promise.resolve('hello'),
      (v) => {
        out.push(v);
        queue.afterAnswers(() => {
          out.push(`after (answering: ${queue.isAnswering}, done: ${done()})`);
          // What runs after may ask again: the same queue takes it.
          queue.settle(Promise.resolve('join'), (w) => out.push(w), () => {});
        });
      },
      () => {},
    );
    await settled();
    await settled();
    expect(out).toEqual(['hello', 'after (answering: false, done: 0)', 'join']);
    expect(done()).toBe(1);
  });
  it("puts a caused request's event after the answers asked before it and before its own and later ones", async () => {
    const { out, queue } = setup();
    const join = deferred<string>();
    const topic = deferred<string>();
    const after = deferred<string>();
    queue.settle(join.promise, (v) => out.push(v), () => {});
    let cause = 0;
    queue.settleCaused(
      (id) => {
        cause = id;
        return topic.promise;
      },
      (v) => out.push(v),
      () => {},
    );
    queue.settle(after.promise, (v) => out.push(v), () => {});
    // The event arrives while the join (asked before its command) is still on its way.
    expect(queue.beforeAnswer(cause, () => out.push('topic event'))).toBe(true);
    topic.resolve('topic ok');
    after.resolve('after');
    await settled();
    expect(out).toEqual([]);
    join.resolve('join');
    await settled();
    expect(out).toEqual(['join', 'topic event', 'topic ok', 'after']);
    // Its answer out, an event of that request goes at once; an unknown cause too.
    expect(queue.beforeAnswer(cause, () => out.push('late'))).toBe(false);
    expect(queue.beforeAnswer(cause + 1000, () => out.push('unknown'))).toBe(false);
  });

  it('lets an event go at once when nothing was asked before its request, and fails a request whose start throws, in turn', async () => {
    const { out, queue } = setup();
    queue.settleCaused(
      (id) => {
        expect(queue.beforeAnswer(id, () => out.push('never'))).toBe(false);
        return Promise.resolve('ok');
      },
      (v) => out.push(v),
      () => {},
    );
    queue.settleCaused(
      () => {
        throw new Error('no bus');
      },
      () => out.push('never'),
      (err) => out.push(`failed: ${(err as Error).message}`),
    );
    await settled();
    expect(out).toEqual(['ok', 'failed: no bus']);
  });
});
