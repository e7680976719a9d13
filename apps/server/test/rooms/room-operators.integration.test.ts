/**
 * Room roles (issue 16): the first member of a new room operates it, operators grant and
 * revoke op, a server admin operates every room, and no role is taken from the client's
 * word. Each behaviour holds in one process, across cluster workers and across Redis hosts.
 */
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, describeEachDeployment, seen } from '../helpers/chat-targets.js';
import { startTestServer } from '../helpers/server.js';
import { TcpJsonClient } from '../helpers/clients.js';

describeEachDeployment('room operators', (test, chat) => {
  test('makes the first member of a new room its operator, and who lists it in ops', async () => {
    const [, bob] = await chat().inRoom('ops-a', 'ann1', 'bob1');
    bob.send({ type: 'who', room: 'ops-a', id: 'w' });
    expect(await bob.waitFor({ type: 'members', id: 'w' })).toMatchObject({ ops: ['ann1'] });
  });

  test('refuses an operator command from a member who is not one (not_op)', async () => {
    const [, bob] = await chat().inRoom('ops-b', 'ann2', 'bob2');
    // A role claimed in the frame changes nothing: roles are the server's.
    bob.send({ type: 'kick', room: 'ops-b', nick: 'ann2', id: 'k', op: true, admin: true });
    expect(await bob.waitFor({ type: 'error', id: 'k' })).toMatchObject({ code: 'not_op' });
    bob.send({ type: 'op', room: 'ops-b', nick: 'bob2', id: 'o' });
    expect(await bob.waitFor({ type: 'error', id: 'o' })).toMatchObject({ code: 'not_op' });
  });

  test('lets an operator grant op, which every member hears, and revoke it', async () => {
    const [ann, bob, cid] = await chat().inRoom('ops-c', 'ann3', 'bob3', 'cid3');
    ann.send({ type: 'op', room: 'ops-c', nick: 'BOB3', id: 'o' });
    await seen(ann, { type: 'ack', id: 'o' });
    for (const c of [ann, bob, cid]) {
      expect(await seen(c, { type: 'mod', action: 'op' })).toMatchObject({ room: 'ops-c', nick: 'bob3', by: 'ann3' });
    }
    // The new operator operates: it may op cid, then ann takes bob's op away again.
    bob.send({ type: 'op', room: 'ops-c', nick: 'cid3', id: 'o2' });
    await bob.waitFor({ type: 'ack', id: 'o2' });
    ann.send({ type: 'deop', room: 'ops-c', nick: 'bob3', id: 'd' });
    await ann.waitFor({ type: 'ack', id: 'd' });
    expect(await cid.waitFor({ type: 'mod', action: 'deop' })).toMatchObject({ nick: 'bob3', by: 'ann3' });
    bob.send({ type: 'kick', room: 'ops-c', nick: 'cid3', id: 'k' });
    expect(await bob.waitFor({ type: 'error', id: 'k' })).toMatchObject({ code: 'not_op' });
    cid.send({ type: 'who', room: 'ops-c', id: 'w' });
    const members = await cid.waitFor({ type: 'members', id: 'w' });
    expect([...((members as { ops?: string[] }).ops ?? [])].sort()).toEqual(['ann3', 'cid3']);
  });

  test('refuses op for a nick that is not in the room (not_member)', async () => {
    const ann = await chat().connect('ann4');
    await ann.join('ops-d');
    ann.send({ type: 'op', room: 'ops-d', nick: 'nobody', id: 'o' });
    expect(await ann.waitFor({ type: 'error', id: 'o' })).toMatchObject({ code: 'not_member' });
  });

  test('lets a server admin (ADMIN_TOKEN) operate a room it is not in', async () => {
    const [, bob] = await chat().inRoom('ops-e', 'ann5', 'bob5');
    const root = await chat().connect('root5', TEST_ADMIN_TOKEN);
    root.send({ type: 'kick', room: 'ops-e', nick: 'ann5', reason: 'admin test', id: 'k' });
    await root.waitFor({ type: 'ack', id: 'k' });
    expect(await bob.waitFor({ type: 'mod', action: 'kick' })).toMatchObject({
      nick: 'ann5',
      by: 'root5',
      reason: 'admin test',
    });
  });
});

describe('room operators with --room-ops none', () => {
  it('gives a new room no operator, so only an admin operates it', async () => {
    const server = await startTestServer({ roomOps: 'none', adminToken: TEST_ADMIN_TOKEN });
    const ann = await TcpJsonClient.connect(server.tcpPort);
    const root = await TcpJsonClient.connect(server.tcpPort);
    try {
      await ann.hello('ann');
      await ann.join('plain');
      ann.send({ type: 'topic', room: 'plain', text: 'mine', id: 't' });
      expect(await ann.waitFor({ type: 'error', id: 't' })).toMatchObject({ code: 'not_op' });
      ann.send({ type: 'who', room: 'plain', id: 'w' });
      expect(await ann.waitFor({ type: 'members', id: 'w' })).not.toHaveProperty('ops');
      root.send({ type: 'hello', nick: 'root', token: TEST_ADMIN_TOKEN, id: 'h' });
      await root.waitFor({ type: 'welcome' });
      root.send({ type: 'op', room: 'plain', nick: 'ann', id: 'o' });
      await root.waitFor({ type: 'ack', id: 'o' });
      ann.send({ type: 'topic', room: 'plain', text: 'mine', id: 't2' });
      await ann.waitFor({ type: 'ack', id: 't2' });
    } finally {
      ann.close();
      root.close();
      await server.close();
    }
  });
});
