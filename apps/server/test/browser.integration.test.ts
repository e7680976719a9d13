/**
 * The browser chat page (public/index.html) in a real headless Chromium, chatting with a
 * TCP text-mode client (what `nc` does) through one server.
 *
 * Needs Debian's /usr/bin/chromium (helpers/browser.ts). Rooms, unread counts, typing and
 * the phone layout: page.integration.test.ts.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { launchChromium, skipBrowserSuite, watchProblems } from './helpers/browser.js';
import { TcpTextClient } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const skip = skipBrowserSuite('browser.integration.test.ts');

const XSS = '<img src=x onerror=alert(1)>';

describe.skipIf(skip)('the browser chat page', () => {
  let server: LoopchatServer;
  let browser: Browser | undefined;
  let page: Page;
  let nc: TcpTextClient | undefined;
  /** Uncaught page errors, console errors (CSP violations land there) and dialogs (XSS). */
  const problems: string[] = [];

  /** Resolves when #messages holds a `.msg` element containing `text`. */
  const messageShown = (text: string) =>
    page.locator('#messages .msg', { hasText: text }).first().waitFor({ timeout: 5000 });

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    page = await browser.newPage();
    watchProblems(page, problems);
  });

  afterAll(async () => {
    nc?.close();
    await browser?.close();
    await server?.close();
  });

  /** Opens the page in `p`, connects as `nick` and joins general (as the nc client sees). */
  async function joinGeneral(p: Page, nick: string): Promise<void> {
    await p.goto(`http://127.0.0.1:${server.httpPort}/`);
    await p.fill('#nick', nick);
    await p.click('#connect');
    await p.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 5000 });
    await p.click('#join');
    await nc!.waitFor(`* ${nick} joined general`);
  }

  it('connects as webuser and joins general, showing the room history from before it joined', async () => {
    nc = await TcpTextClient.connect(server.tcpPort);
    nc.line('/nick ncuser');
    await nc.waitFor('* welcome, ncuser');
    nc.line('/join general');
    await nc.waitFor('* general (1)');
    nc.line('said before the browser came');
    await nc.waitFor('[general] ncuser: said before the browser came');

    // The page's script is @loopchat/client's browser build, loaded as ES modules from /client/.
    const modules: { url: string; status: number; type: string }[] = [];
    page.on('response', (res) => {
      if (res.url().includes('/client/'))
        modules.push({ url: new URL(res.url()).pathname, status: res.status(), type: res.headers()['content-type'] ?? '' });
    });
    await page.goto(`http://127.0.0.1:${server.httpPort}/`);
    expect(modules).toContainEqual({ url: '/client/index.js', status: 200, type: 'text/javascript; charset=utf-8' });
    expect(modules).toContainEqual({ url: '/client/client.js', status: 200, type: 'text/javascript; charset=utf-8' });
    expect(modules.filter((m) => m.status !== 200)).toEqual([]);
    await page.fill('#nick', 'webuser');
    await page.click('#connect');
    await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 5000 });
    await page.fill('#room', 'general');
    await page.click('#join');
    await nc.waitFor('* webuser joined general');
    await messageShown('[general] ncuser: said before the browser came');
  });

  it('delivers a message sent from the page to the nc client', async () => {
    await page.fill('#text', 'hello from the browser');
    await page.press('#text', 'Enter');
    await nc!.waitFor('[general] webuser: hello from the browser');
    await messageShown('[general] webuser: hello from the browser');
    expect(await page.inputValue('#text')).toBe('');
  });

  it('shows a line sent by the nc client in #messages', async () => {
    nc!.line('hello from nc');
    await messageShown('[general] ncuser: hello from nc');
  });

  it('renders markup in messages as literal text, creating no elements', async () => {
    nc!.line(`nc says ${XSS}`);
    await messageShown(`[general] ncuser: nc says ${XSS}`);
    await page.fill('#text', `web says ${XSS}`);
    await page.click('#send');
    await nc!.waitFor(`[general] webuser: web says ${XSS}`);
    await messageShown(`[general] webuser: web says ${XSS}`);
    expect(await page.locator('img').count()).toBe(0);
  });

  it('reconnects after the server drops it and recovers what it missed from history', async () => {
    server.ctx.hub.findNick('webuser')!.destroy();
    await nc!.waitFor('* webuser left general');
    nc!.line('sent while the browser was away');
    await nc!.waitFor('[general] ncuser: sent while the browser was away');

    await nc!.waitFor('* webuser joined general', 10_000);
    await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 5000 });
    await messageShown('[general] ncuser: sent while the browser was away');
    // Recovered exactly once, in seq order, with nothing missing or repeated.
    const seqs = await page.$$eval('#messages .msg[data-room="general"]', (els) =>
      els.map((el) => Number((el as HTMLElement).dataset['seq'])),
    );
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBe(6);
  });

  it('recovers what it missed while its own socket was cut (network loss), after backoff, once and in order', async () => {
    // A second page whose socket goes through a proxy the test can cut, as a network would:
    // the server sees the connection end, the page's client reconnects with backoff, says
    // hello again, re-joins and pages through history from its last seq.
    const context = await browser!.newContext();
    try {
      const cut = await context.newPage();
      const sockets: { close(): Promise<void> }[] = [];
      await cut.routeWebSocket(/\/ws$/, (ws) => {
        const upstream = ws.connectToServer();
        sockets.push({ close: () => ws.close({ code: 1006 }).then(() => upstream.close()) });
      });
      await joinGeneral(cut, 'cutuser');
      await cut.locator('#messages .msg', { hasText: 'ncuser: sent while the browser was away' }).waitFor({ timeout: 5000 });

      await sockets[0]!.close();
      await nc!.waitFor('* cutuser left general');
      await cut.locator('#status', { hasText: /^reconnecting in / }).waitFor({ timeout: 5000 });
      for (const n of [1, 2, 3]) {
        nc!.line(`missed ${n}`);
        await nc!.waitFor(`[general] ncuser: missed ${n}`);
      }
      await nc!.waitFor('* cutuser joined general', 10_000);
      await cut.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: 5000 });
      await cut.locator('#messages .msg', { hasText: 'ncuser: missed 3' }).waitFor({ timeout: 5000 });
      nc!.line('back live');
      await cut.locator('#messages .msg', { hasText: 'ncuser: back live' }).waitFor({ timeout: 5000 });

      const texts = await cut.$$eval('#messages .msg', (els) => els.map((el) => el.textContent ?? ''));
      const tail = texts.slice(-4).map((t) => t.replace(/^\d\d:\d\d/, ''));
      expect(tail).toEqual([
        '[general] ncuser: missed 1',
        '[general] ncuser: missed 2',
        '[general] ncuser: missed 3',
        '[general] ncuser: back live',
      ]);
      const seqs = await cut.$$eval('#messages .msg', (els) => els.map((el) => Number((el as HTMLElement).dataset['seq'])));
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      expect(await cut.locator('#messages .info', { hasText: '* connected as cutuser' }).count()).toBe(2);
    } finally {
      await context.close();
    }
  });

  it('exchanges direct messages with the nc client and shows error frames with their code', async () => {
    nc!.line('/msg webuser psst from nc');
    await page.locator('#messages .dm', { hasText: '[dm] ncuser: psst from nc' }).waitFor({ timeout: 5000 });
    await page.fill('#text', '/msg ncuser psst from the browser');
    await page.press('#text', 'Enter');
    await nc!.waitFor('[dm] webuser: psst from the browser');
    await page.locator('#messages .dm', { hasText: '[dm -> ncuser] psst from the browser' }).waitFor({ timeout: 5000 });

    await page.fill('#text', '/msg nobody hello?');
    await page.press('#text', 'Enter');
    await page.locator('#messages .error', { hasText: 'no_such_nick' }).waitFor({ timeout: 5000 });
  });

  it('fills a seq gap from history, in order, when a room message never arrives', async () => {
    // A second page whose socket goes through a proxy that loses one chosen message.
    const context = await browser!.newContext();
    try {
      const lossy = await context.newPage();
      const requests: { type?: string; since?: number }[] = [];
      await lossy.routeWebSocket(/\/ws$/, (ws) => {
        const upstream = ws.connectToServer();
        ws.onMessage((message) => {
          if (typeof message === 'string') requests.push(JSON.parse(message) as { type?: string; since?: number });
          upstream.send(message);
        });
        upstream.onMessage((message) => {
          // Only the live frame: the history answer that recovers it must pass.
          if (typeof message === 'string' && message.startsWith('{"type":"msg"') && message.includes('lost on the way'))
            return;
          ws.send(message);
        });
      });
      await joinGeneral(lossy, 'gapuser');
      // Joined and its "latest 50" history answered, so that request cannot cover the loss below.
      await lossy
        .locator('#messages .msg', { hasText: 'ncuser: sent while the browser was away' })
        .waitFor({ timeout: 5000 });

      nc!.line('lost on the way');
      nc!.line('after the gap');
      await lossy.locator('#messages .msg', { hasText: 'ncuser: after the gap' }).waitFor({ timeout: 5000 });
      await lossy.locator('#messages .msg', { hasText: 'ncuser: lost on the way' }).waitFor({ timeout: 5000 });
      expect(requests.some((r) => r.type === 'history' && typeof r.since === 'number')).toBe(true);
      const texts = await lossy.$$eval('#messages .msg', (els) => els.map((el) => el.textContent ?? ''));
      expect(texts.findIndex((t) => t.includes('lost on the way'))).toBe(
        texts.findIndex((t) => t.includes('after the gap')) - 1,
      );
      const seqs = await lossy.$$eval('#messages .msg', (els) =>
        els.map((el) => Number((el as HTMLElement).dataset['seq'])),
      );
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    } finally {
      await context.close();
    }
  });

  it('answers /who and /rooms, and /leave leaves the room', async () => {
    for (const command of ['/who', '/rooms']) {
      await page.fill('#text', command);
      await page.press('#text', 'Enter');
    }
    await page.locator('#messages .info', { hasText: /\* general \(\d+\): .*webuser/ }).waitFor({ timeout: 5000 });
    await page.locator('#messages .info', { hasText: /\* rooms: .*general \(\d+\)/ }).waitFor({ timeout: 5000 });
    await page.fill('#text', '/leave');
    await page.press('#text', 'Enter');
    await nc!.waitFor('* webuser left general');
    await page.locator('#messages .info', { hasText: '* left general' }).waitFor({ timeout: 5000 });
    expect(await page.textContent('#current')).toBe('');
  });

  it('raised no page errors, console errors or dialogs', async () => {
    if (process.env['LOOPCHAT_SCREENSHOT']) await page.screenshot({ path: process.env['LOOPCHAT_SCREENSHOT'] });
    expect(problems).toEqual([]);
  });
});
