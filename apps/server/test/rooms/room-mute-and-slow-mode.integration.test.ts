/**
 * Mutes and slow mode (issue 16): a muted member reads but cannot send; slow mode lets each
 * member send one message per interval (operators exempt). A refused message gets no seq.
 * One process, across cluster workers and across Redis hosts.
 */
import { expect } from 'vitest';
import { describeEachDeployment, seen } from '../helpers/chat-targets.js';
import { sleep } from '../helpers/clients.js';

describeEachDeployment('mutes and slow mode', (test, chat) => {
  test('lets a muted member read but refuses its messages (muted) until it is unmuted', async () => {
    const [ann, bob] = await chat().inRoom('mute-a', 'ann1', 'bob1');
    ann.send({ type: 'mute', room: 'mute-a', nick: 'bob1', minutes: 5, id: 'm' });
    expect(await seen(bob, { type: 'mod', action: 'mute' })).toMatchObject({ nick: 'bob1', by: 'ann1', minutes: 5 });
    bob.send({ type: 'msg', room: 'mute-a', text: 'let me speak', id: 'x' });
    expect(await bob.waitFor({ type: 'error', id: 'x' })).toMatchObject({ code: 'muted' });
    ann.send({ type: 'msg', room: 'mute-a', text: 'you can read this', id: 'a1' });
    expect(await bob.waitFor({ type: 'msg', text: 'you can read this' })).toMatchObject({ seq: 1 });
    ann.send({ type: 'unmute', room: 'mute-a', nick: 'bob1', id: 'u' });
    await seen(bob, { type: 'mod', action: 'unmute' });
    bob.send({ type: 'msg', room: 'mute-a', text: 'thanks', id: 'y' });
    // The refused message took no seq.
    expect(await bob.waitFor({ type: 'ack', id: 'y' })).toMatchObject({ seq: 2 });
  });

  test('keeps a mute on a member who changes its nick', async () => {
    const [ann, bob] = await chat().inRoom('mute-b', 'ann2', 'bob2');
    ann.send({ type: 'mute', room: 'mute-b', nick: 'bob2', id: 'm' });
    await seen(bob, { type: 'mod', action: 'mute' });
    bob.send({ type: 'nick', nick: 'bobby2', id: 'n' });
    await bob.waitFor({ type: 'ack', id: 'n' });
    bob.send({ type: 'msg', room: 'mute-b', text: 'new name, new me', id: 'x' });
    expect(await bob.waitFor({ type: 'error', id: 'x' })).toMatchObject({ code: 'muted' });
  });

  test('lets a member send one message per interval in slow mode, operators exempt, until it is off', async () => {
    const [ann, bob] = await chat().inRoom('slow-a', 'ann3', 'bob3');
    bob.send({ type: 'slow', room: 'slow-a', seconds: 1, id: 's0' });
    expect(await bob.waitFor({ type: 'error', id: 's0' })).toMatchObject({ code: 'not_op' });
    ann.send({ type: 'slow', room: 'slow-a', seconds: 1, id: 's' });
    expect(await seen(bob, { type: 'mod', action: 'slow' })).toMatchObject({ seconds: 1, by: 'ann3' });
    bob.send({ type: 'msg', room: 'slow-a', text: 'one', id: 'b1' });
    bob.send({ type: 'msg', room: 'slow-a', text: 'two', id: 'b2' });
    await bob.waitFor({ type: 'ack', id: 'b1' });
    expect(await bob.waitFor({ type: 'error', id: 'b2' })).toMatchObject({ code: 'slow_mode' });
    ann.send({ type: 'msg', room: 'slow-a', text: 'op 1', id: 'a1' });
    ann.send({ type: 'msg', room: 'slow-a', text: 'op 2', id: 'a2' });
    await ann.waitFor({ type: 'ack', id: 'a1' });
    await ann.waitFor({ type: 'ack', id: 'a2' });
    await sleep(1100);
    bob.send({ type: 'msg', room: 'slow-a', text: 'three', id: 'b3' });
    await bob.waitFor({ type: 'ack', id: 'b3' });
    ann.send({ type: 'slow', room: 'slow-a', seconds: 0, id: 's2' });
    await seen(bob, { type: 'mod', action: 'slow', seconds: 0 });
    bob.send({ type: 'msg', room: 'slow-a', text: 'four', id: 'b4' });
    bob.send({ type: 'msg', room: 'slow-a', text: 'five', id: 'b5' });
    await bob.waitFor({ type: 'ack', id: 'b5' });
  });
});
