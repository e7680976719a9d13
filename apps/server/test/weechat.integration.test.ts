/**
 * A real terminal IRC client end to end (issue 15): WeeChat (Debian's weechat-headless, no
 * terminal needed) connects to the TCP port, registers, joins a room a JSON-lines user is
 * in, and both talk. WeeChat is driven through its FIFO plugin (`weechat_fifo_<pid>` in its
 * --dir: one command per line, `buffer *text`) and read through its logger plugin (one file
 * per buffer, flushed at once with logger.file.flush_delay 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, waitUntil } from './helpers/clients.js';
import { skipWithout } from './helpers/haproxy.js';
import { startTestServer } from './helpers/server.js';

const skip = skipWithout(['weechat-headless'], 'apt-get install weechat-headless weechat-plugins');

describe.skipIf(skip)('WeeChat (weechat-headless) on the IRC dialect', () => {
  let server: LoopchatServer;
  let dir: string;
  let weechat: ChildProcess;
  let jason: TcpJsonClient;

  const log = (buffer: string): string => {
    const file = join(dir, 'logs', `${buffer}.weechatlog`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  /** Runs WeeChat commands (or `buffer *text` lines) through its FIFO. */
  const fifo = (...lines: string[]): void => {
    const pipe = readdirSync(dir).find((f) => f.startsWith('weechat_fifo_'));
    if (pipe === undefined) throw new Error('WeeChat made no FIFO');
    writeFileSync(join(dir, pipe), `${lines.join('\n')}\n`);
  };
  const logShows = (buffer: string, pattern: RegExp, what: string): Promise<void> =>
    waitUntil(() => pattern.test(log(buffer)), 10_000, `${what} in WeeChat's ${buffer} log:\n${log(buffer)}`);

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'loopchat-weechat-'));
    jason = await TcpJsonClient.connect(server.tcpPort);
    await jason.hello('jason');
    await jason.join('wee');
    weechat = spawn(
      'weechat-headless',
      [
        '--dir',
        dir,
        '--run-command',
        [
          '/set logger.file.flush_delay 0',
          `/server add loopchat 127.0.0.1/${server.tcpPort} -notls -nicks=weebee`,
          '/set irc.server.loopchat.autoreconnect off',
          '/connect loopchat',
        ].join(';'),
      ],
      { stdio: 'ignore' },
    );
    await logShows('irc.server.loopchat', /Welcome to the loopchat IRC network weebee!/, 'the welcome');
  });

  afterAll(async () => {
    weechat?.kill('SIGKILL');
    jason?.close();
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('registers with the welcome burst and ISUPPORT', () => {
    const serverLog = log('irc.server.loopchat');
    expect(serverLog).toMatch(/client capability, enabled: .*server-time/);
    expect(serverLog).toMatch(/CASEMAPPING=ascii CHANTYPES=# /);
    expect(serverLog).toMatch(/MOTD File is missing/);
  });

  it('joins a room with a JSON user in it and sees the member list', async () => {
    fifo('irc.server.loopchat */join #wee');
    await jason.waitFor({ type: 'presence', room: 'wee', nick: 'weebee', event: 'join' });
    await logShows('irc.loopchat.#wee', /Channel #wee: 2 nicks/, 'the NAMES count');
  });

  it('carries messages both ways, /me included', async () => {
    jason.send({ type: 'msg', room: 'wee', text: 'hello weechat', id: 'j1' });
    // jason opened #wee, so it operates the room: WeeChat shows the @ it read in NAMES (PREFIX=(o)@).
    await logShows('irc.loopchat.#wee', /\t@jason\thello weechat$/m, "jason's message");
    fifo('irc.loopchat.#wee *hello json', 'irc.loopchat.#wee */me waves');
    expect(await jason.waitFor({ type: 'msg', from: 'weebee', text: 'hello json' })).toMatchObject({ room: 'wee' });
    expect(await jason.waitFor({ type: 'msg', from: 'weebee', text: 'waves' })).toMatchObject({ action: true });
  });

  it('shows a member whose connection ends as quit, not as left', async () => {
    const leaver = await TcpJsonClient.connect(server.tcpPort);
    await leaver.hello('leaver');
    await leaver.join('wee');
    await logShows('irc.loopchat.#wee', /\tleaver \(leaver@loopchat\) has joined #wee/, "leaver's join");
    leaver.close();
    await logShows('irc.loopchat.#wee', /\tleaver \(leaver@loopchat\) has quit \(Quit\)/, "leaver's quit");
    expect(log('irc.loopchat.#wee')).not.toMatch(/leaver .* has left/);
  });

  it('quits: the JSON user sees WeeChat quit', async () => {
    fifo('irc.server.loopchat */quit bye');
    await jason.waitFor({ type: 'presence', room: 'wee', nick: 'weebee', event: 'leave', quit: true });
  });
});
