/**
 * The message of the day (--motd-file): irc-framework reads it in the welcome burst and again
 * on MOTD, each line as written; a file that would not reach clients as written stops the
 * compiled CLI with one line naming the file, the line and why (once in cluster mode).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { runMainToExit } from './helpers/cluster.js';
import { IrcClient } from './helpers/irc-client.js';
import { startTestServer } from './helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'loopchat-motd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MOTD = ['Welcome to loopchat on irc.test!', '', 'Be kind; the ops are at #help. ☺'];

describe('a server with --motd-file', () => {
  let server: LoopchatServer;
  let irc: IrcClient;

  beforeAll(async () => {
    const motdFile = join(dir, 'motd.txt');
    writeFileSync(motdFile, `${MOTD.join('\r\n')}\r\n`);
    server = await startTestServer({ serverName: 'irc.test', motdFile });
  });
  afterAll(async () => {
    irc?.close();
    await server.close();
  });

  it('sends it after registration, 375, a 372 per line and 376, and irc-framework reads it as written', async () => {
    irc = await IrcClient.connect(server.tcpPort, 'motdy');
    const numerics = irc.raw.items.map((l) => l.split(' ')[1]).filter((c) => /^\d{3}$/.test(c!));
    expect(numerics.slice(-5)).toEqual(['375', '372', '372', '372', '376']);
    const motd = await irc.waitFor('motd');
    expect(
      String(motd['motd'])
        .split('\n')
        .filter((l, i, all) => i < all.length - 1 || l !== ''),
    ).toEqual(MOTD.map((line) => `- ${line}`));
  });

  it('sends it again on MOTD', async () => {
    irc.client.raw('MOTD');
    await irc.sync();
    expect(irc.raw.items.filter((l) => / 372 /.test(l))).toHaveLength(2 * MOTD.length);
    expect(irc.raw.items.filter((l) => / 376 /.test(l))).toHaveLength(2);
  });
});

function runMain(args: string[]): ReturnType<typeof runMainToExit> {
  return runMainToExit(['--tcp-port', '0', '--http-port', '0', '--history', 'memory', ...args]);
}

describe('an unusable --motd-file', () => {
  const tooLong = join(dir, 'too-long.txt');
  beforeAll(() => writeFileSync(tooLong, `fine\n${'x'.repeat(400)}\n`));

  it.each([
    { mode: 'one process', workers: '1' },
    { mode: 'a 2-worker cluster', workers: '2' },
  ])('stops the start with one line naming the file and the line ($mode)', async ({ workers }) => {
    const run = await runMain(['--workers', workers, '--motd-file', tooLong]);
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toEqual([
      `loopchat: cannot start: CONFIG_INVALID: MOTD: line 2 of ${tooLong} is 400 bytes; an IRC line leaves room for 300: wrap it`,
    ]);
  });

  it('names a file it cannot read', async () => {
    const run = await runMain(['--motd-file', join(dir, 'absent.txt')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`MOTD: cannot read ${join(dir, 'absent.txt')}: ENOENT`);
  });
});
