/**
 * Cluster workers share their listening sockets, and the kernel gives each connection to
 * whichever worker reaches the queue first. A worker at its connection ceiling steps back
 * (transports/accept-gate.ts) so its sibling takes new connections instead of the full worker
 * answering `server_full`: with 100,000 connections over 6 workers this is what keeps an
 * unevenly loaded worker from running out of file descriptors. And the primary holds back a
 * worker that gets ahead of its siblings (cluster/accept-balance.ts), so the spread stays
 * even: the busiest worker bounds a cluster whose per-message work is CPU-heavy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TcpJsonClient } from '../helpers/clients.js';
import { killTree, pollUntil, slotOf, startCluster, type RunningCluster } from '../helpers/cluster.js';

let cluster: RunningCluster | undefined;
const clients: TcpJsonClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await killTree(cluster);
  cluster = undefined;
});

async function hello(port: number, nick: string): Promise<{ client: TcpJsonClient; answer: string; slot?: number }> {
  const client = await TcpJsonClient.connect(port);
  clients.push(client);
  client.send({ type: 'hello', nick, id: nick });
  const answer = await client.waitForAny([{ type: 'welcome' }, { type: 'error' }]);
  return answer.type === 'welcome'
    ? { client, answer: 'welcome', slot: slotOf(answer) }
    : { client, answer: (answer as { code: string }).code };
}

function refused(port: number): Promise<boolean> {
  return TcpJsonClient.connect(port).then(
    (c) => {
      clients.push(c);
      return false;
    },
    () => true,
  );
}

describe('a full cluster worker', () => {
  it('steps back so its sibling takes new connections, and takes its share again when it has room', async () => {
    cluster = await startCluster(2, ['--max-connections', '4']);
    const port = cluster.tcpPort;
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await hello(port, `u${i}`));
    // Both workers' ceilings (4 each) hold all 8: nobody was turned away.
    expect(answers.map((a) => a.answer)).toEqual(Array(8).fill('welcome'));
    const perSlot = new Map<number, number>();
    for (const a of answers) perSlot.set(a.slot!, (perSlot.get(a.slot!) ?? 0) + 1);
    expect([...perSlot.values()]).toEqual([4, 4]);

    // Both full: no worker listens, so a ninth connection is refused outright.
    expect(await pollUntil(() => refused(port), (r) => r, 5_000)).toBe(true);

    // One leaves: its worker listens again and the next connection lands there.
    const leaving = answers[0]!;
    leaving.client.close();
    const next = await pollUntil(
      () => TcpJsonClient.connect(port).then((c) => c, () => undefined),
      (c) => c !== undefined,
      5_000,
      'a worker listening again',
    );
    clients.push(next!);
    next!.send({ type: 'hello', nick: 'u9', id: 'u9' });
    expect(slotOf(await next!.waitFor({ type: 'welcome' }))).toBe(leaving.slot);
  });
});

/** Connects and says hello; the worker that welcomed it. */
async function join(port: number, nick: string): Promise<number> {
  const client = await TcpJsonClient.connect(port);
  clients.push(client);
  client.send({ type: 'hello', nick, id: nick });
  return slotOf(await client.waitFor({ type: 'welcome' }));
}

describe('the spread of connections over cluster workers', () => {
  it('stays within the margin whoever the kernel favours, and every connection is welcomed', async () => {
    cluster = await startCluster(2);
    const perSlot = [0, 0];
    const spread: number[] = [];
    for (let batch = 0; batch < 30; batch++) {
      const slots = await Promise.all(Array.from({ length: 10 }, (_, i) => join(cluster!.tcpPort, `u${batch}x${i}`)));
      for (const slot of slots) perSlot[slot]!++;
      spread.push(Math.abs(perSlot[0]! - perSlot[1]!));
      // The primary hears each worker's count within 10 ms: let it answer before the next burst.
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    expect(perSlot[0]! + perSlot[1]!).toBe(300);
    // Held more than 8 above the mean: a spread of 16, plus at most one burst of 10 taken
    // before the hold arrived. (Without the balance, the kernel's spread in these 30 bursts
    // reached 68, 84 and 106 in three runs.)
    expect(Math.max(...spread)).toBeLessThanOrEqual(26);
  });
});
