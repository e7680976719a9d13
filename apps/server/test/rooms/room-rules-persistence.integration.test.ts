/**
 * Room rules persist wherever history persists (issue 16): on the SQLite store a room's
 * operators, bans, mutes, slow mode and topic survive a restart, so the first member after
 * a restart does not take over a room that has an operator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpJsonClient } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'loopchat-rules-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function client(port: number, nick: string): Promise<TcpJsonClient> {
  const c = await TcpJsonClient.connect(port);
  await c.hello(nick);
  return c;
}

describe('room rules on the SQLite store', () => {
  it('keeps operators, bans, mutes and the topic across a restart', async () => {
    const first = await startTestServer({ history: 'sqlite', dataDir });
    const ann = await client(first.tcpPort, 'ann');
    const bob = await client(first.tcpPort, 'bob');
    await ann.join('kept');
    await bob.join('kept');
    ann.send({ type: 'topic', room: 'kept', text: 'rules stay', id: 't' });
    ann.send({ type: 'mute', room: 'kept', nick: 'cid', id: 'm' });
    ann.send({ type: 'ban', room: 'kept', nick: 'bob', id: 'b' });
    await ann.waitFor({ type: 'ack', id: 'b' });
    ann.close();
    bob.close();
    await first.close();

    const second = await startTestServer({ history: 'sqlite', dataDir });
    try {
      // The first member after the restart finds an operator already: it does not become one.
      const cid = await client(second.tcpPort, 'cid');
      await cid.join('kept');
      // The topic came with the join, before its ack.
      expect(cid.all({ type: 'topic' })[0]).toMatchObject({ text: 'rules stay', by: 'ann' });
      cid.send({ type: 'who', room: 'kept', id: 'w' });
      expect(await cid.waitFor({ type: 'members', id: 'w' })).toMatchObject({ ops: ['ann'] });
      cid.send({ type: 'msg', room: 'kept', text: 'hello?', id: 'x' });
      expect(await cid.waitFor({ type: 'error', id: 'x' })).toMatchObject({ code: 'muted' });
      const bob2 = await client(second.tcpPort, 'bob');
      bob2.send({ type: 'join', room: 'kept', id: 'j' });
      expect(await bob2.waitFor({ type: 'error', id: 'j' })).toMatchObject({ code: 'banned' });
      const ann2 = await client(second.tcpPort, 'ann');
      await ann2.join('kept');
      ann2.send({ type: 'unmute', room: 'kept', nick: 'cid', id: 'u' });
      await ann2.waitFor({ type: 'ack', id: 'u' });
      for (const c of [cid, bob2, ann2]) c.close();
    } finally {
      await second.close();
    }
  });
});
