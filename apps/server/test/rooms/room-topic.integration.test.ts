/**
 * Room topics (issue 16): operators set the topic, every member hears it, a joiner gets it
 * with its join, anyone in the room may ask for it. One process, across cluster workers and
 * across Redis hosts.
 */
import { describe, expect, it } from 'vitest';
import { describeEachDeployment, seen } from '../helpers/chat-targets.js';
import { TcpJsonClient, TcpTextClient } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';

describeEachDeployment('room topics', (test, chat) => {
  test('answers a topic request with "" when none is set', async () => {
    const ann = await chat().connect('ann1');
    await ann.join('topic-a');
    ann.send({ type: 'topic', room: 'topic-a', id: 't' });
    expect(await ann.waitFor({ type: 'topic', id: 't' })).toMatchObject({ room: 'topic-a', text: '' });
  });

  test("sends an operator's topic to every member, to each joiner, and to whoever asks", async () => {
    const [ann, bob] = await chat().inRoom('topic-b', 'ann2', 'bob2');
    bob.send({ type: 'topic', room: 'topic-b', text: 'mine now', id: 't0' });
    expect(await bob.waitFor({ type: 'error', id: 't0' })).toMatchObject({ code: 'not_op' });
    ann.send({ type: 'topic', room: 'topic-b', text: 'release at 4 pm', id: 't' });
    await seen(ann, { type: 'ack', id: 't' });
    expect(await seen(bob, { type: 'topic' })).toMatchObject({ room: 'topic-b', text: 'release at 4 pm', by: 'ann2' });
    const cid = await chat().connect('cid2');
    await cid.join('topic-b');
    expect(await seen(cid, { type: 'topic' })).toMatchObject({ text: 'release at 4 pm', by: 'ann2' });
    cid.send({ type: 'topic', room: 'topic-b', id: 'q' });
    expect(await cid.waitFor({ type: 'topic', id: 'q' })).toMatchObject({ text: 'release at 4 pm' });
    ann.send({ type: 'topic', room: 'topic-b', text: '', id: 'clear' });
    expect(await seen(cid, { type: 'topic', text: '' })).toMatchObject({ by: 'ann2' });
  });
});

describe('room topics in text mode', () => {
  it('shows the topic to a text-mode joiner and sets it with /topic', async () => {
    const server = await startTestServer();
    const ann = await TcpJsonClient.connect(server.tcpPort);
    const tom = await TcpTextClient.connect(server.tcpPort);
    try {
      await ann.hello('ann');
      await ann.join('lobby');
      ann.send({ type: 'topic', room: 'lobby', text: 'be kind', id: 't' });
      await ann.waitFor({ type: 'ack', id: 't' });
      tom.line('/nick tom');
      tom.line('/join lobby');
      await tom.waitFor('* [lobby] topic: be kind (set by ann)');
      tom.line('/topic hijack');
      await tom.waitFor(/! not_op: /);
      tom.line('/topic');
      await tom.waitFor('* [lobby] topic: be kind (set by ann)');
    } finally {
      ann.close();
      tom.close();
      await server.close();
    }
  });
});
