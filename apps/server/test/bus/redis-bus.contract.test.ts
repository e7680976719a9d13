/**
 * The bus contract (contract.ts) against RedisBus: two instances (two hosts) on a
 * redis-server spawned for this file on a free port; each test gets its own key prefix, so
 * no test sees another's nicks or rooms. The outage sentence stops a redis-server of its own.
 *
 * Without redis-server on PATH the suite says so and skips, even with REDIS_URL set: on a
 * dev machine it uses no Redis it did not start. Under CI it must run: with REDIS_URL and no
 * redis-server, behind the helper's proxy and key prefix, like the other Redis suites
 * (helpers/redis.ts).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisBus } from '../../src/bus/redis-bus.js';
import { SKIP_MESSAGE, redisServerBinary, startRedis, type TestRedis } from '../helpers/redis.js';
import { CONTRACT_LIMITS, RecordingSink, busContract, type BusWorld, type Peer } from './contract.js';

const skip = redisServerBinary() === undefined && !process.env['CI'];
if (skip) console.warn(SKIP_MESSAGE);

const log = pino({ level: 'silent' });
let shared: TestRedis | undefined;
let worlds = 0;
/** The redis-server of each world that has one of its own (stopped when the world closes). */
const own = new WeakMap<BusWorld, TestRedis>();

async function startWorld(redis: TestRedis, ownRedis: boolean): Promise<BusWorld> {
  // Under the helper's prefix, so that stop() deletes them too behind a REDIS_URL (CI).
  const prefix = `${redis.prefix}contract-${++worlds}:`;
  const peers: Peer[] = [];
  for (const _host of ['a', 'b']) {
    const bus = new RedisBus({ url: redis.url, historySize: CONTRACT_LIMITS.historySize, log, prefix });
    const sink = new RecordingSink();
    bus.attach(sink);
    await bus.connect();
    peers.push({ bus, sink });
  }
  const world: BusWorld = {
    peers: [peers[0]!, peers[1]!],
    async close() {
      await Promise.all(peers.map((p) => p.bus.close()));
      if (ownRedis) await redis.stop();
    },
  };
  if (ownRedis) own.set(world, redis);
  return world;
}

describe.skipIf(skip)('RedisBus honours the bus contract', () => {
  beforeAll(async () => {
    shared = await startRedis();
  });
  afterAll(async () => {
    await shared?.stop();
  });

  busContract({
    rename: true,
    roomCommands: true,
    // Known gap: the answer to a DM carries `to` as the sender typed it (contract.ts).
    dmAsRegistered: false,
    // The outage sentence's world gets a redis-server of its own: stopping it leaves the others theirs.
    start: async ({ ownBackend }) => (ownBackend ? startWorld(await startRedis(), true) : startWorld(shared!, false)),
    stopBackend: (world) => own.get(world)!.stop(),
  });
});
