/**
 * Message deletion (issue 16): its author or an operator deletes a message by seq; members
 * get a `delete` event and history keeps a tombstone of the same seq in its place. One
 * process, across cluster workers and across Redis hosts.
 */
import type { ServerFrame } from '@loopchat/protocol';
import { expect } from 'vitest';
import { describeEachDeployment, seen } from '../helpers/chat-targets.js';

type History = Extract<ServerFrame, { type: 'history' }>;

describeEachDeployment('message deletion', (test, chat) => {
  test('lets the author delete its message: members hear it and history keeps a tombstone', async () => {
    const [ann, bob] = await chat().inRoom('del-a', 'ann1', 'bob1');
    bob.send({ type: 'msg', room: 'del-a', text: 'oops, my password', id: 'm1' });
    bob.send({ type: 'msg', room: 'del-a', text: 'fine', id: 'm2' });
    expect(await bob.waitFor({ type: 'ack', id: 'm2' })).toMatchObject({ seq: 2 });
    bob.send({ type: 'delete', room: 'del-a', seq: 1, id: 'd' });
    await seen(bob, { type: 'ack', id: 'd' });
    expect(await seen(ann, { type: 'delete' })).toMatchObject({ room: 'del-a', seq: 1, by: 'bob1' });
    ann.send({ type: 'history', room: 'del-a', id: 'h' });
    const history = (await ann.waitFor({ type: 'history', id: 'h' })) as History;
    expect(history.messages.map((m) => [m.seq, m.from, m.text, m.deleted ?? false])).toEqual([
      [1, 'bob1', '', true],
      [2, 'bob1', 'fine', false],
    ]);
    expect(JSON.stringify(history)).not.toContain('password');
    bob.send({ type: 'delete', room: 'del-a', seq: 1, id: 'd2' });
    expect(await bob.waitFor({ type: 'error', id: 'd2' })).toMatchObject({ code: 'no_such_message' });
    bob.send({ type: 'delete', room: 'del-a', seq: 99, id: 'd3' });
    expect(await bob.waitFor({ type: 'error', id: 'd3' })).toMatchObject({ code: 'no_such_message' });
  });

  test("refuses a member deleting another's message (not_author) but lets an operator", async () => {
    const [ann, bob, cid] = await chat().inRoom('del-b', 'ann2', 'bob2', 'cid2');
    bob.send({ type: 'msg', room: 'del-b', text: 'rude words', id: 'm' });
    await bob.waitFor({ type: 'ack', id: 'm' });
    cid.send({ type: 'delete', room: 'del-b', seq: 1, id: 'd' });
    expect(await cid.waitFor({ type: 'error', id: 'd' })).toMatchObject({ code: 'not_author' });
    ann.send({ type: 'delete', room: 'del-b', seq: 1, id: 'd2' });
    expect(await seen(cid, { type: 'delete' })).toMatchObject({ seq: 1, by: 'ann2' });
  });
});
