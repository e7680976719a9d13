/**
 * Kicks and bans (issue 16): an operator removes a member, who hears why; a ban also keeps
 * it out (until it expires or is lifted); server admins ban an address. One process, across
 * cluster workers and across Redis hosts.
 */
import { expect } from 'vitest';
import { TEST_ADMIN_TOKEN, describeEachDeployment, seen } from '../helpers/chat-targets.js';

describeEachDeployment('kicks and bans', (test, chat) => {
  test('tells every member of a kick with its reason, takes the member out, and lets it join again', async () => {
    const [ann, bob, cid] = await chat().inRoom('kick-a', 'ann1', 'bob1', 'cid1');
    ann.send({ type: 'kick', room: 'kick-a', nick: 'bob1', reason: 'spam', id: 'k' });
    await seen(ann, { type: 'ack', id: 'k' });
    for (const c of [ann, bob, cid]) {
      expect(await seen(c, { type: 'mod', action: 'kick' })).toMatchObject({
        room: 'kick-a',
        nick: 'bob1',
        by: 'ann1',
        reason: 'spam',
      });
    }
    // Out on its own worker too: its messages are refused, and it hears nothing more.
    bob.send({ type: 'msg', room: 'kick-a', text: 'still here?', id: 'm' });
    expect(await bob.waitFor({ type: 'error', id: 'm' })).toMatchObject({ code: 'not_in_room' });
    ann.send({ type: 'msg', room: 'kick-a', text: 'after', id: 'm2' });
    await cid.waitFor({ type: 'msg', text: 'after' });
    await bob.sync();
    expect(bob.all({ type: 'msg', text: 'after' })).toEqual([]);
    expect(cid.all({ type: 'presence', event: 'leave', nick: 'bob1' })).toEqual([]);
    await bob.join('kick-a');
  });

  test('refuses a kick of a nick that is not in the room (not_member)', async () => {
    const ann = await chat().connect('ann2');
    await ann.join('kick-b');
    ann.send({ type: 'kick', room: 'kick-b', nick: 'ghost', id: 'k' });
    expect(await ann.waitFor({ type: 'error', id: 'k' })).toMatchObject({ code: 'not_member' });
  });

  test('keeps a banned member out until an operator lifts the ban', async () => {
    const [ann, bob] = await chat().inRoom('ban-a', 'ann3', 'bob3');
    ann.send({ type: 'ban', room: 'ban-a', nick: 'bob3', minutes: 60, id: 'b' });
    expect(await seen(bob, { type: 'mod', action: 'ban' })).toMatchObject({ nick: 'bob3', by: 'ann3', minutes: 60 });
    bob.send({ type: 'join', room: 'ban-a', id: 'j' });
    expect(await bob.waitFor({ type: 'error', id: 'j' })).toMatchObject({ code: 'banned' });
    // A ban follows the nick in any case, not the spelling.
    ann.send({ type: 'unban', room: 'ban-a', nick: 'BOB3', id: 'u' });
    expect(await seen(ann, { type: 'mod', action: 'unban' })).toMatchObject({ nick: 'bob3' });
    await bob.join('ban-a');
  });

  test('bans a nick that is not there, so it cannot come in', async () => {
    const ann = await chat().connect('ann4');
    await ann.join('ban-b');
    ann.send({ type: 'ban', room: 'ban-b', nick: 'troll4', id: 'b' });
    await seen(ann, { type: 'ack', id: 'b' });
    const troll = await chat().connect('troll4');
    troll.send({ type: 'join', room: 'ban-b', id: 'j' });
    expect(await troll.waitFor({ type: 'error', id: 'j' })).toMatchObject({ code: 'banned' });
  });

  test('lets only a server admin ban an address, and then nobody from it comes in', async () => {
    const [ann, bob] = await chat().inRoom('ban-c', 'ann5', 'bob5');
    ann.send({ type: 'ban', room: 'ban-c', ip: '127.0.0.1', id: 'b' });
    expect(await ann.waitFor({ type: 'error', id: 'b' })).toMatchObject({ code: 'not_admin' });
    ann.send({ type: 'ban', room: 'ban-c', id: 'b2' });
    expect(await ann.waitFor({ type: 'error', id: 'b2' })).toMatchObject({ code: 'invalid_frame' });
    const root = await chat().connect('root5', TEST_ADMIN_TOKEN);
    root.send({ type: 'ban', room: 'ban-c', ip: '127.0.0.1', id: 'b3' });
    await root.waitFor({ type: 'ack', id: 'b3' });
    // Every test client comes from 127.0.0.1: both members are out, and no one gets in.
    expect(await seen(ann, { type: 'mod', action: 'ban', nick: 'ann5' })).toMatchObject({ by: 'root5' });
    expect(await seen(bob, { type: 'mod', action: 'ban', nick: 'bob5' })).toMatchObject({ by: 'root5' });
    const cid = await chat().connect('cid5');
    cid.send({ type: 'join', room: 'ban-c', id: 'j' });
    expect(await cid.waitFor({ type: 'error', id: 'j' })).toMatchObject({ code: 'banned' });
    root.send({ type: 'unban', room: 'ban-c', ip: '127.0.0.1', id: 'u' });
    await root.waitFor({ type: 'ack', id: 'u' });
    await cid.join('ban-c');
  });
});
