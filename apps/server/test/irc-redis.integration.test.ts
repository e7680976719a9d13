/**
 * IRC across hosts (issue 15, "Across processes and hosts"): two loopchat instances over one
 * Redis (a spawned redis-server, never the shared one), an irc-framework client on one and a
 * WebSocket user on the other, in one room: one order, msgids from the Redis seq, DMs across
 * hosts, chathistory from the Redis stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { WsClient } from './helpers/clients.js';
import { IrcClient } from './helpers/irc-client.js';
import { skipRedisSuites, startRedis, startRedisTestServer, type TestRedis } from './helpers/redis.js';

describe.skipIf(skipRedisSuites())('IRC on one host, WebSocket on another, over Redis', () => {
  let redis: TestRedis;
  let a: LoopchatServer;
  let b: LoopchatServer;
  let irc: IrcClient;
  let web: WsClient;

  beforeAll(async () => {
    redis = await startRedis();
    a = await startRedisTestServer(redis, { ratePerSecond: 0, serverName: 'host-a' });
    b = await startRedisTestServer(redis, { ratePerSecond: 0, serverName: 'host-b' });
    irc = await IrcClient.connect(a.tcpPort, 'redisirc');
    web = await WsClient.connect(b.httpPort);
    await web.hello('redisweb');
  });
  afterAll(async () => {
    irc?.close();
    web?.close();
    await Promise.allSettled([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it('shares a room across hosts with one order and msgids from the Redis seq', async () => {
    await irc.join('#hosts');
    await web.join('hosts');
    await irc.waitFor('join', { nick: 'redisweb', channel: '#hosts' });
    web.send({ type: 'msg', room: 'hosts', text: 'from host b', id: 'b1' });
    const ack = (await web.waitFor({ type: 'ack', id: 'b1' })) as { seq: number };
    const got = await irc.waitFor('message', { nick: 'redisweb', target: '#hosts' });
    expect((got['tags'] as Record<string, string>)['msgid']).toBe(`hosts-${ack.seq}`);
    irc.client.say('#hosts', 'from host a');
    expect(await web.waitFor({ type: 'msg', from: 'redisirc' })).toMatchObject({ text: 'from host a', seq: ack.seq + 1 });
  });

  it('carries DMs across hosts and serves chathistory from Redis', async () => {
    web.send({ type: 'dm', to: 'redisirc', text: 'psst across hosts' });
    expect(await irc.waitFor('message', { nick: 'redisweb', target: 'redisirc' })).toMatchObject({ message: 'psst across hosts' });
    irc.client.raw('CHATHISTORY LATEST #hosts * 10');
    const batch = await irc.waitFor('batch end chathistory');
    expect((batch['commands'] as { params: string[] }[]).map((c) => c.params[1])).toEqual(['from host b', 'from host a']);
  });
});
