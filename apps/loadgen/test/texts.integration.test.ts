/**
 * `--texts`: sender k (by connection index over all senders) always sends line k mod n, in
 * every loadgen process; asserted on what the server received from each nick.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/commands/run.js';
import { parseRunFlags } from '../src/commands/run-options.js';
import { startChatLineServer, type ChatLineServer } from './helpers/chat-line-server.js';

const dir = mkdtempSync(join(tmpdir(), 'lg-texts-run-'));
const LINES = ['first line', 'ünïcödé ✓ "quoted" \\ back', 'third: a damn filtered word'];
let server: ChatLineServer;

beforeAll(async () => {
  server = await startChatLineServer();
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('--texts', () => {
  it.each([
    ['one process', '1'],
    ['two processes', '2'],
  ])('gives sender k line k mod n, always the same (%s)', async (_label, procs) => {
    const textsPath = join(dir, `texts-${procs}.txt`);
    writeFileSync(textsPath, `${LINES[0]}\n\n${LINES[1]}\r\n${LINES[2]}\n`);
    // 12 connections in 4 rooms of 3, two senders per room: connection indices
    // 0,1 3,4 6,7 9,10 are senders 0…7.
    const { cfg } = parseRunFlags({
      tcp: `127.0.0.1:${server.port}`,
      connections: '12',
      rooms: '4',
      senders: '0.67',
      size: '500', // ignored with --texts
      texts: textsPath,
      rate: '400',
      duration: '300ms',
      warmup: '0s',
      procs,
    });
    const r = await runScenario(cfg, []);
    expect(r.messages.sent).toBe(120);
    expect(r.messages.acked).toBe(120);
    expect(r.config.texts).toEqual({ file: textsPath, count: 3 });
    const senderIndices = [0, 1, 3, 4, 6, 7, 9, 10];
    let total = 0;
    senderIndices.forEach((index, k) => {
      const sent = server.textsByNick(`${cfg.nickPrefix}${index}`);
      expect(sent.length, `sender ${index}`).toBeGreaterThan(0);
      expect(new Set(sent), `sender ${index}`).toEqual(new Set([LINES[k % LINES.length]]));
      total += sent.length;
    });
    expect(total).toBe(120);
  });
});
