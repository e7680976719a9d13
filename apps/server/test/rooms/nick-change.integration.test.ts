/**
 * Nick change (issue 16): unique across workers and hosts, announced to each room as a
 * presence `rename`; the old nick is free at once and the role follows the member. One
 * process, across cluster workers and across Redis hosts.
 */
import { describe, expect, it } from 'vitest';
import { describeEachDeployment, seen } from '../helpers/chat-targets.js';
import { TcpTextClient } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';

describeEachDeployment('nick change', (test, chat) => {
  test('announces a rename to each room and sends later messages under the new nick', async () => {
    const ann = await chat().connect('ann1');
    const bob = await chat().connect('bob1');
    for (const c of [ann, bob]) {
      await c.join('nick-a');
      await c.join('nick-b');
    }
    bob.send({ type: 'nick', nick: 'robert1', id: 'n' });
    await bob.waitFor({ type: 'ack', id: 'n' });
    expect(await seen(ann, { type: 'presence', event: 'rename', room: 'nick-a' })).toMatchObject({
      nick: 'robert1',
      old: 'bob1',
    });
    await seen(ann, { type: 'presence', event: 'rename', room: 'nick-b' });
    expect(bob.all({ type: 'presence', event: 'rename' })).toEqual([]);
    bob.send({ type: 'msg', room: 'nick-a', text: 'call me robert', id: 'm' });
    expect(await ann.waitFor({ type: 'msg', text: 'call me robert' })).toMatchObject({ from: 'robert1' });
    ann.send({ type: 'who', room: 'nick-a', id: 'w' });
    expect(((await ann.waitFor({ type: 'members', id: 'w' })) as { nicks: string[] }).nicks.sort()).toEqual([
      'ann1',
      'robert1',
    ]);
    // The old nick is free again, on whichever worker or host the next client lands.
    await chat().connect('bob1');
  });

  test('refuses a nick held on another worker or host (nick_taken)', async () => {
    const ann = await chat().connect('ann2');
    const bob = await chat().connect('bob2');
    bob.send({ type: 'nick', nick: 'ANN2', id: 'n' });
    expect(await bob.waitFor({ type: 'error', id: 'n' })).toMatchObject({ code: 'nick_taken' });
    ann.send({ type: 'dm', to: 'bob2', text: 'still bob?', id: 'd' });
    await bob.waitFor({ type: 'dm', text: 'still bob?' });
  });

  test('keeps an operator an operator under its new nick', async () => {
    const [ann, bob] = await chat().inRoom('nick-c', 'ann3', 'bob3');
    ann.send({ type: 'nick', nick: 'anna3', id: 'n' });
    await ann.waitFor({ type: 'ack', id: 'n' });
    ann.send({ type: 'kick', room: 'nick-c', nick: 'bob3', id: 'k' });
    expect(await seen(bob, { type: 'mod', action: 'kick' })).toMatchObject({ by: 'anna3' });
  });
});

describe('nick change in text mode', () => {
  it('renames with /nick once registered, and limits how often', async () => {
    const server = await startTestServer();
    const tom = await TcpTextClient.connect(server.tcpPort);
    try {
      tom.line('/nick tom');
      tom.line('/join den');
      await tom.waitFor('* den (1)');
      tom.line('/nick thomas');
      await tom.waitFor('* notice: you are now known as thomas');
      tom.line('hello');
      await tom.waitFor('[den] thomas: hello');
      tom.line('/nick tommy');
      await tom.waitFor(/! rate_limited: one nick change per 10 s/);
    } finally {
      tom.close();
      await server.close();
    }
  });
});
