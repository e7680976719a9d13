/**
 * IRC across processes (issue 15, "Across processes and hosts"): the compiled CLI with
 * `--workers 2`, an irc-framework client on one worker and JSON-lines and WebSocket users on
 * the other, in one room: one order, msgids from the room seq, DMs across workers, and
 * chathistory served from the primary's history.
 *
 * Which worker holds an IRC connection: its server name (002, 004) ends in `-wN.loopchat`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WsClient } from './helpers/clients.js';
import { connectOn, ircOn, ircSlot, killTree, startCluster, wsConnector, type RunningCluster } from './helpers/cluster.js';
import { IrcClient } from './helpers/irc-client.js';

describe('IRC in cluster mode (2 workers)', () => {
  let cluster: RunningCluster;
  let web: { client: WsClient; nick: string; slot: number };
  let irc: IrcClient;

  beforeAll(async () => {
    cluster = await startCluster(2, ['--filter', 'off', '--rate', '0', '--irc-port', '0']);
    web = await connectOn(wsConnector(cluster.httpPort), 'webber');
    irc = await ircOn(cluster.tcpPort, 'ircer', (slot) => slot !== web.slot);
  });
  afterAll(async () => {
    irc?.close();
    web?.client.close();
    await killTree(cluster);
  });

  it('puts the IRC user and the WebSocket user on different workers', () => {
    expect(ircSlot(irc)).not.toBe(web.slot);
  });

  it('shares a room across workers: one order, msgids from the room seq, both directions', async () => {
    await irc.join('#span');
    await web.client.join('span');
    await irc.waitFor('join', { nick: web.nick, channel: '#span' });
    web.client.send({ type: 'msg', room: 'span', text: 'from the web worker', id: 'w1' });
    const atIrc = await irc.waitFor('message', { nick: web.nick, target: '#span' });
    expect(atIrc['message']).toBe('from the web worker');
    expect((atIrc['tags'] as Record<string, string>)['msgid']).toBe('span-1');
    irc.client.say('#span', 'from the irc worker');
    expect(await web.client.waitFor({ type: 'msg', from: irc.nick, room: 'span' })).toMatchObject({
      text: 'from the irc worker',
      seq: 2,
    });
  });

  it('carries DMs between workers', async () => {
    irc.client.say(web.nick, 'across');
    expect(await web.client.waitFor({ type: 'dm', from: irc.nick })).toMatchObject({ text: 'across' });
    web.client.send({ type: 'dm', to: irc.nick, text: 'and back' });
    expect(await irc.waitFor('message', { nick: web.nick, target: irc.nick })).toMatchObject({ message: 'and back' });
  });

  it('listens on the IRC port in every worker (--irc-port 0 picks one port for all)', async () => {
    const listening = cluster.logs().find((e) => e.msg.startsWith('loopchat listening') && e.pid === cluster.pid)!;
    const port = (listening['irc'] as { port: number }).port;
    expect(port).toBeGreaterThan(0);
    const onPort = await IrcClient.connect(port, 'portuser');
    await onPort.join('#span');
    const names = onPort.events.items.find((e) => e.name === 'userlist')!.event['users'] as { nick: string }[];
    expect(names.map((u) => u.nick).sort()).toEqual([irc.nick, 'portuser', web.nick].sort());
    onPort.close();
  });

  it('serves chathistory from the cluster’s history', async () => {
    irc.client.raw('CHATHISTORY LATEST #span * 10');
    const batch = await irc.waitFor('batch end chathistory');
    const texts = (batch['commands'] as { params: string[] }[]).map((c) => c.params[1]);
    expect(texts).toEqual(['from the web worker', 'from the irc worker']);
  });
});
