/**
 * POST /admin/backup: an online copy of the history store while the server runs (its file is
 * locked, so nothing outside can copy it), readable as a store of its own.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readMsgSeq } from '@loopchat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/history/sqlite-store.js';
import type { LoopchatServer } from '../../src/server.js';
import { adminCall } from '../helpers/admin.js';
import { TcpJsonClient } from '../helpers/clients.js';
import { startCluster, type RunningCluster } from '../helpers/cluster.js';
import { startTestServer } from '../helpers/server.js';

const TOKEN = 'admin-token-for-tests-0123456789';
let server: LoopchatServer | undefined;
const dirs: string[] = [];
const clients: TcpJsonClient[] = [];

let cluster: RunningCluster | undefined;

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  if (cluster !== undefined) {
    cluster.child.kill('SIGKILL');
    await cluster.exited;
    cluster = undefined;
  }
  await server?.close();
  server = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('POST /admin/backup', () => {
  it('writes a consistent copy under the data dir while the server runs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loopchat-backup-'));
    dirs.push(dataDir);
    server = await startTestServer({ adminToken: TOKEN, dataDir, ratePerSecond: 0 });
    const ann = await TcpJsonClient.connect(server.tcpPort);
    clients.push(ann);
    await ann.hello('ann');
    await ann.join('kept');
    for (let i = 1; i <= 20; i++) ann.send({ type: 'msg', room: 'kept', text: `m${i}`, id: i });
    await ann.waitFor({ type: 'ack', id: 20 });

    const answer = await adminCall(server.httpPort, 'POST', '/admin/backup', { token: TOKEN });
    expect(answer.status).toBe(200);
    const file = answer.json['file'] as string;
    expect(dirname(file)).toBe(join(dataDir, 'backups'));
    expect(existsSync(file)).toBe(true);

    const restored = mkdtempSync(join(tmpdir(), 'loopchat-restored-'));
    dirs.push(restored);
    copyFileSync(file, join(restored, 'loopchat.db'));
    const copy = new SqliteStore({ dataDir: restored, historySize: 1000, maxAgeMs: 0, synchronous: 'normal' });
    try {
      expect(copy.epoch).toBe(server.ctx.hub.bus.epoch);
      expect(copy.lastSeq('kept')).toBe(20);
      expect(copy.read('kept', { since: 0, limit: 100 }).map(readMsgSeq)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    } finally {
      copy.close();
    }
  });

  it('answers 409 where no durable store is held (memory mode)', async () => {
    server = await startTestServer({ adminToken: TOKEN, history: 'memory' });
    const answer = await adminCall(server.httpPort, 'POST', '/admin/backup', { token: TOKEN });
    expect(answer.status).toBe(409);
    expect(answer.json['error']).toBe('no_store_here');
    expect((await adminCall(server.httpPort, 'POST', '/admin/backup')).status).toBe(401);
  });

  it('has the cluster primary, which holds the store, write the copy when a worker takes the request', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loopchat-backup-'));
    dirs.push(dataDir);
    process.env['ADMIN_TOKEN'] = TOKEN;
    try {
      cluster = await startCluster(2, ['--history', 'sqlite', '--data-dir', dataDir]);
    } finally {
      delete process.env['ADMIN_TOKEN'];
    }
    const answer = await adminCall(cluster.httpPort, 'POST', '/admin/backup', { token: TOKEN });
    expect(answer.status).toBe(200);
    expect(dirname(answer.json['file'] as string)).toBe(join(dataDir, 'backups'));
    expect(existsSync(answer.json['file'] as string)).toBe(true);
  });
});
