import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { chooseBus, createBus } from '../../src/bus/choose-bus.js';
import { resolveConfig } from '../../src/config.js';

describe('chooseBus', () => {
  const none = { redisUrl: '', redisClusterNodes: [] };
  const redis = { redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: [] };
  const cluster = { redisUrl: '', redisClusterNodes: ['127.0.0.1:7000'] };

  it('runs a single process on the local bus and a cluster on IPC when no Redis is configured', () => {
    expect(chooseBus(none, 'single')).toBe('local');
    expect(chooseBus(none, 'worker')).toBe('ipc');
    expect(chooseBus(none, 'primary')).toBe('ipc');
  });

  it('puts every role on Redis when REDIS_URL is set, and on Redis Cluster when its nodes are (which wins)', () => {
    for (const role of ['single', 'worker', 'primary'] as const) {
      expect(chooseBus(redis, role)).toBe('redis');
      expect(chooseBus(cluster, role)).toBe('redis-cluster');
      expect(chooseBus({ ...redis, redisClusterNodes: cluster.redisClusterNodes }, role)).toBe('redis-cluster');
    }
  });

  it('builds the local bus for a single process without Redis', async () => {
    const bus = await createBus(
      resolveConfig({ redisUrl: '', redisClusterNodes: [], history: 'memory' }),
      'single',
      pino({ level: 'silent' }),
    );
    expect(bus.kind).toBe('local');
    await bus.close();
  });
});
