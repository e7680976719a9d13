/**
 * The moderation filter in the message path (issue 3): room messages and DMs go through it
 * before fan-out. With the shipped term list: a plain term is masked for the others while the
 * sender gets its ack; a `!` term (reject severity) gets the sender `error {code: filtered, id}`
 * and reaches nobody; a flooding sender is rejected; 'strict' rejects any term; 'off' changes
 * nothing. /metrics counts verdicts and filter time. The CLI rejects a bad --filter and an
 * unreadable --filter-terms at startup.
 *
 * Terms used (apps/server/data/filter-terms.txt): `idiot` (mask severity, whole word) and
 * `!kys` (reject severity).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { ServerFrame } from '@loopchat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient, httpGet } from './helpers/clients.js';
import { MAIN, metricValue } from './helpers/cluster.js';
import { startTestServer } from './helpers/server.js';

type Msg = Extract<ServerFrame, { type: 'msg' }>;

/**
 * The answer (ack or error) to the frame with `id`, wherever it is in the inbox: a rejection
 * is sent at once while an ack waits for the bus, so answers may come out of request order.
 */
function answerTo(client: TcpJsonClient | WsClient, id: string): Promise<ServerFrame> {
  return client.inbox.until(
    (f) => (f.type === 'ack' || f.type === 'error') && (f as { id?: unknown }).id === id,
    5000,
    `the answer to ${id}`,
  );
}

async function metrics(server: LoopchatServer): Promise<string> {
  const response = await httpGet(server.httpPort, '/metrics');
  expect(response.status).toBe(200);
  return response.body;
}

const verdict = (text: string, name: string): number =>
  metricValue(text, `loopchat_filter_verdicts_total{verdict="${name}"}`) ?? 0;

describe('filter basic (the default)', () => {
  let server: LoopchatServer;
  let bob: TcpJsonClient;
  let baseline: string;
  const open: { close(): void }[] = [];

  /** A sender in room "mod" (a fresh nick per test: flood state is per sender). */
  async function sender(nick: string): Promise<TcpJsonClient> {
    const c = await TcpJsonClient.connect(server.tcpPort);
    open.push(c);
    await c.hello(nick);
    await c.join('mod');
    return c;
  }

  beforeAll(async () => {
    server = await startTestServer({ filter: 'basic', ratePerSecond: 0 });
    baseline = await metrics(server);
    bob = await TcpJsonClient.connect(server.tcpPort);
    open.push(bob);
    await bob.hello('bob');
    await bob.join('mod');
  });

  afterAll(async () => {
    for (const c of open.splice(0)) c.close();
    await server.close();
  });

  it('masks a listed term for the other members; the sender gets its ack; history keeps the masked text', async () => {
    const alice = await sender('alice');
    alice.send({ type: 'msg', room: 'mod', text: 'hello idiot, hi', id: 'm1' });
    const ack = await answerTo(alice, 'm1');
    expect(ack).toMatchObject({ type: 'ack', id: 'm1' });
    // The sender is told, before its ack: the server never rewrites a message silently.
    const notice = alice.inbox.items.findIndex((f) => f.type === 'notice');
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(notice).toBeLessThan(alice.inbox.items.indexOf(ack));
    const seq = (ack as { seq: number }).seq;
    expect(await bob.waitFor({ type: 'msg', from: 'alice' })).toMatchObject({ text: 'hello *****, hi', seq });

    // Disguised spellings are caught too (leet, separators).
    alice.send({ type: 'msg', room: 'mod', text: 'such an 1d10t', id: 'm2' });
    expect(await answerTo(alice, 'm2')).toMatchObject({ type: 'ack', seq: seq + 1 });
    expect(await bob.waitFor({ type: 'msg', from: 'alice' })).toMatchObject({ text: 'such an *****' });

    alice.send({ type: 'history', room: 'mod', since: seq - 1, id: 'h' });
    const history = (await alice.waitFor({ type: 'history', id: 'h' })) as { messages: Msg[] };
    expect(history.messages.map((m) => m.text)).toEqual(['hello *****, hi', 'such an *****']);
  });

  it('rejects a `!` term: the sender gets `filtered` with its id, nobody receives it, the seq does not move', async () => {
    const carol = await sender('carol');
    carol.send({ type: 'msg', room: 'mod', text: 'ok first', id: 'c0' });
    const first = (await answerTo(carol, 'c0')) as { seq: number };
    carol.send({ type: 'msg', room: 'mod', text: 'just kys already', id: 'c1' });
    expect(await answerTo(carol, 'c1')).toMatchObject({ type: 'error', code: 'filtered', id: 'c1' });
    carol.send({ type: 'msg', room: 'mod', text: 'a clean one', id: 'c2' });
    expect(await answerTo(carol, 'c2')).toMatchObject({ type: 'ack', seq: first.seq + 1 });

    await bob.waitFor({ type: 'msg', from: 'carol', text: 'a clean one' });
    await bob.sync();
    expect(bob.all({ type: 'msg', from: 'carol' }).map((m) => (m as Msg).text)).toEqual(['ok first', 'a clean one']);
    expect(carol.all({ type: 'ack', id: 'c1' })).toEqual([]);
  });

  it('rejects a flooding sender (more than 10 messages in 10 s) with `filtered`, even with no rate limit', async () => {
    const dave = await sender('dave');
    for (let i = 0; i < 15; i++) dave.send({ type: 'msg', room: 'mod', text: `message number ${i}`, id: `f${i}` });
    const answers: ServerFrame[] = [];
    for (let i = 0; i < 15; i++) answers.push(await answerTo(dave, `f${i}`));
    expect(answers.slice(0, 10).map((a) => a.type)).toEqual(Array(10).fill('ack'));
    for (const a of answers.slice(10)) {
      expect(a).toMatchObject({ type: 'error', code: 'filtered' });
      expect((a as { message: string }).message).toMatch(/flood/);
    }
    await bob.waitFor({ type: 'msg', from: 'dave', text: 'message number 9' });
    await bob.sync();
    expect(bob.all({ type: 'msg', from: 'dave' })).toHaveLength(10);
  });

  it('moderates DMs too (masked, or rejected with `filtered`)', async () => {
    const erin = await TcpJsonClient.connect(server.tcpPort);
    open.push(erin);
    await erin.hello('erin');
    erin.send({ type: 'dm', to: 'bob', text: 'hey idiot', id: 'd1' });
    expect(await answerTo(erin, 'd1')).toMatchObject({ type: 'ack', id: 'd1' });
    expect(await bob.waitFor({ type: 'dm', from: 'erin' })).toMatchObject({ text: 'hey *****' });

    erin.send({ type: 'dm', to: 'bob', text: 'kys', id: 'd2' });
    expect(await answerTo(erin, 'd2')).toMatchObject({ type: 'error', code: 'filtered', id: 'd2' });
    erin.send({ type: 'dm', to: 'bob', text: 'sorry', id: 'd3' });
    await answerTo(erin, 'd3');
    await bob.waitFor({ type: 'dm', from: 'erin', text: 'sorry' });
    await bob.sync();
    expect(bob.all({ type: 'dm', from: 'erin' }).map((d) => (d as { text: string }).text)).toEqual(['hey *****', 'sorry']);
  });

  it('works the same over WebSocket', async () => {
    const ws = await WsClient.connect(server.httpPort);
    open.push(ws);
    await ws.hello('wendy');
    await ws.join('mod');
    ws.send({ type: 'msg', room: 'mod', text: 'idiot', id: 'w1' });
    expect(await answerTo(ws, 'w1')).toMatchObject({ type: 'ack' });
    expect(await bob.waitFor({ type: 'msg', from: 'wendy' })).toMatchObject({ text: '*****' });
    ws.send({ type: 'msg', room: 'mod', text: 'KYS', id: 'w2' });
    expect(await answerTo(ws, 'w2')).toMatchObject({ type: 'error', code: 'filtered' });
  });

  it('counts verdicts and filter time in /metrics', async () => {
    const after = await metrics(server);
    // Masks: alice ×2, erin's DM, wendy. Blocked terms: carol, erin, wendy. Floods: dave ×5.
    expect(verdict(after, 'mask') - verdict(baseline, 'mask')).toBe(4);
    expect(verdict(after, 'reject_blocked_term') - verdict(baseline, 'reject_blocked_term')).toBe(3);
    expect(verdict(after, 'reject_flood') - verdict(baseline, 'reject_flood')).toBe(5);
    expect(verdict(after, 'allow') - verdict(baseline, 'allow')).toBe(2 + 10 + 1);
    const count = (text: string) => metricValue(text, 'loopchat_filter_seconds_count') ?? 0;
    expect(count(after) - count(baseline)).toBe(4 + 3 + 5 + 13);
    expect(metricValue(after, 'loopchat_filter_seconds_sum')).toBeGreaterThan(0);
    expect(after).toMatch(/^# TYPE loopchat_filter_seconds histogram$/m);
  });

  it('delivers shouting as written: never lowercased, no notice', async () => {
    const loud = await sender('loud');
    loud.send({ type: 'msg', room: 'mod', text: 'BROADCAST-MARK WHY IS THE BUILD RED', id: 'l1' });
    expect(await answerTo(loud, 'l1')).toMatchObject({ type: 'ack' });
    expect(await bob.waitFor({ type: 'msg', from: 'loud' })).toMatchObject({ text: 'BROADCAST-MARK WHY IS THE BUILD RED' });
    expect(loud.all({ type: 'notice' })).toEqual([]);
  });
});

describe('filter strict', () => {
  let server: LoopchatServer;
  const open: { close(): void }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ filter: 'strict', ratePerSecond: 0 });
  });

  afterAll(async () => {
    for (const c of open.splice(0)) c.close();
    await server.close();
  });

  it('rejects any listed term (room and DM) and lets clean text through', async () => {
    const alice = await TcpJsonClient.connect(server.tcpPort);
    const bob = await TcpJsonClient.connect(server.tcpPort);
    open.push(alice, bob);
    await alice.hello('alice');
    await bob.hello('bob');
    await alice.join('mod');
    await bob.join('mod');
    alice.send({ type: 'msg', room: 'mod', text: 'you idiot, hi', id: 's1' });
    expect(await answerTo(alice, 's1')).toMatchObject({ type: 'error', code: 'filtered', id: 's1' });
    alice.send({ type: 'dm', to: 'bob', text: 'idiot', id: 's2' });
    expect(await answerTo(alice, 's2')).toMatchObject({ type: 'error', code: 'filtered', id: 's2' });
    alice.send({ type: 'msg', room: 'mod', text: 'good morning', id: 's3' });
    expect(await answerTo(alice, 's3')).toMatchObject({ type: 'ack', seq: 1 });
    await bob.waitFor({ type: 'msg', text: 'good morning' });
    await bob.sync();
    expect(bob.all({ type: 'msg' })).toHaveLength(1);
    expect(bob.all({ type: 'dm' })).toHaveLength(0);
    const text = await metrics(server);
    expect(verdict(text, 'reject_blocked_term')).toBe(2);
  });

  it('rejects shouting with `filtered` (caps), so the sender knows; nobody receives it', async () => {
    const loud = await TcpJsonClient.connect(server.tcpPort);
    const ears = await TcpJsonClient.connect(server.tcpPort);
    open.push(loud, ears);
    await loud.hello('loud');
    await ears.hello('ears');
    await loud.join('caps');
    await ears.join('caps');
    loud.send({ type: 'msg', room: 'caps', text: 'WHY IS THE BUILD BROKEN AGAIN', id: 'c1' });
    expect(await answerTo(loud, 'c1')).toMatchObject({ type: 'error', code: 'filtered', id: 'c1' });
    loud.send({ type: 'msg', room: 'caps', text: 'why is the build broken again', id: 'c2' });
    expect(await answerTo(loud, 'c2')).toMatchObject({ type: 'ack' });
    await ears.waitFor({ type: 'msg', from: 'loud' });
    await ears.sync();
    expect(ears.all({ type: 'msg', from: 'loud' }).map((m) => (m as Msg).text)).toEqual(['why is the build broken again']);
  });
});

describe('filter off', () => {
  let server: LoopchatServer;
  const open: { close(): void }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ filter: 'off', ratePerSecond: 0 });
  });

  afterAll(async () => {
    for (const c of open.splice(0)) c.close();
    await server.close();
  });

  it('delivers text unchanged and never floods anyone out', async () => {
    const alice = await TcpJsonClient.connect(server.tcpPort);
    const bob = await TcpJsonClient.connect(server.tcpPort);
    open.push(alice, bob);
    await alice.hello('alice');
    await bob.hello('bob');
    await alice.join('mod');
    await bob.join('mod');
    alice.send({ type: 'msg', room: 'mod', text: 'you idiot, kys', id: 'o1' });
    expect(await answerTo(alice, 'o1')).toMatchObject({ type: 'ack' });
    expect(await bob.waitFor({ type: 'msg', from: 'alice' })).toMatchObject({ text: 'you idiot, kys' });
    alice.send({ type: 'dm', to: 'bob', text: 'idiot', id: 'o2' });
    expect(await answerTo(alice, 'o2')).toMatchObject({ type: 'ack' });
    expect(await bob.waitFor({ type: 'dm' })).toMatchObject({ text: 'idiot' });
    for (let i = 0; i < 15; i++) alice.send({ type: 'msg', room: 'mod', text: `m ${i}`, id: `x${i}` });
    for (let i = 0; i < 15; i++) expect(await answerTo(alice, `x${i}`)).toMatchObject({ type: 'ack' });
    // The filter is not run at all: no verdicts, no timings.
    const text = await metrics(server);
    expect(metricValue(text, 'loopchat_filter_seconds_count')).toBe(0);
    expect(text).not.toMatch(/^loopchat_filter_verdicts_total\{/m);
  });
});

describe('the CLI', () => {
  async function run(
    args: string[],
    timeoutMs = 8000,
  ): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, [MAIN, '--tcp-port', '0', '--http-port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      // Still running: kill it and its workers.
      child.kill('SIGKILL');
    }, timeoutMs);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    return { code, signal, stdout, stderr, ms: Date.now() - started };
  }

  it('`--filter bogus` exits 2 with one line', async () => {
    const r = await run(['--filter', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/filter must be off, basic or strict/);
    expect(r.stdout).toBe('');
  });

  it('`--filter-terms /nonexistent` fails at startup with a clear message and a non-zero exit', async () => {
    const r = await run(['--filter-terms', '/nonexistent/terms.txt']);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('/nonexistent/terms.txt');
    expect(r.stdout).not.toMatch(/loopchat listening/);
  });

  it('`--filter-terms /nonexistent --workers 2` fails too (non-zero exit, the reason on stderr)', async () => {
    // BUG (cluster/primary.ts + main.ts): the primary never reads the term list; each worker
    // fails at startup and exits 1, the primary schedules restarts on unref()'d timers, and
    // with no worker left its event loop drains: it exits 0 without ever listening. A worker
    // that dies before the cluster first listens should fail the start (non-zero exit).
    const r = await run(['--workers', '2', '--filter-terms', '/nonexistent/terms.txt']);
    expect(r.stderr).toContain('/nonexistent/terms.txt');
    expect(r.stdout).not.toMatch(/loopchat listening/);
    expect(r.signal, 'exits by itself, within seconds').toBeNull();
    expect(r.code, 'exit code').not.toBe(0);
  });
});
