/**
 * A bounded run of fuzz target 4 (apps/server/fuzz/session.fuzz.ts) against a server
 * started from src, and the ordering bugs it and its oracle point at.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../../src/server.js';
import { fuzzSession } from '../../fuzz/session.fuzz.js';
import { TcpJsonClient, WsClient, waitUntil } from '../helpers/clients.js';
import { startTestServer } from '../helpers/server.js';
import { ciBudget, failureOf } from './budget.js';

let server: LoopchatServer | undefined;
const open: { close(): void }[] = [];

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

const answerTypes = new Set(['ack', 'error', 'welcome', 'history', 'members', 'rooms', 'pong']);

describe('the session under generated frame sequences over TCP and WebSocket', () => {
  it('answers every line exactly once and in order for 300 sequences, and the canary room keeps chatting', async () => {
    const result = await fuzzSession(ciBudget(300), () => startTestServer({ ratePerSecond: 0 }));
    expect(failureOf(result)).toBeNull();
    expect(result.inputs).toBeGreaterThan(100);
    expect(result.extra!['canaryWorstMs']).toBeLessThanOrEqual(500);
  });
});

describe('answers to frames pipelined behind a pending hello', () => {
  // Known bug (fuzz/known-bugs.ts, "binary-overtakes-held"): the session holds text frames
  // while hello is pending, but ws.ts answers a binary frame at once, so its error
  // overtakes the answers to the frames sent before it. Unmark when fixed.
  it('come in order when a WebSocket binary frame follows them', async () => {
    server = await startTestServer();
    const client = await WsClient.connect(server.httpPort);
    open.push(client);
    client.send({ type: 'hello', nick: 'binorder', id: 'h' });
    client.send({ type: 'ping', id: 'p' });
    client.ws.send(Buffer.from('{}'), { binary: true });
    client.send({ type: 'ping', id: 'last' });
    await client.waitFor({ type: 'pong', id: 'last' });
    const order = client.inbox.items
      .filter((f) => answerTypes.has(f.type))
      .map((f) => `${f.type}:${(f as { id?: unknown }).id ?? ''}`);
    expect(order).toEqual(['welcome:h', 'pong:p', 'error:', 'pong:last']);
  });

  // Known bug: Session.#hold answers the 65th and later held frames with `rate_limited`
  // without their id, so a client cannot tell which of its frames were dropped (README:
  // "Every frame that carries an id is answered … with that id"). Unmark when fixed.
  it('carry the id of each frame, also past the 64 frames the session holds', async () => {
    server = await startTestServer({ ratePerSecond: 0 });
    const client = await TcpJsonClient.connect(server.tcpPort);
    open.push(client);
    let lines = `${JSON.stringify({ type: 'hello', nick: 'piped', id: 'h' })}\n`;
    for (let i = 0; i < 100; i++) lines += `${JSON.stringify({ type: 'ping', id: i })}\n`;
    client.writeRaw(lines);
    // One answer per line (a ping sent now could itself be held and dropped): welcome + 100.
    await waitUntil(() => client.inbox.items.filter((f) => answerTypes.has(f.type)).length >= 101, 3000, '101 answers');
    const errors = client.all({ type: 'error' });
    expect(errors.filter((e) => (e as { id?: unknown }).id === undefined)).toEqual([]);
  });
});
