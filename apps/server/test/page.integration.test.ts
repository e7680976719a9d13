/**
 * The chat page's rooms (issue 16, item 4) in headless Chromium: two browser contexts and
 * an `nc`-style TCP text-mode user in one room. Messages both ways, the typing line, the
 * member list, unread counts on a background tab (and from the stored read marker after a
 * reload), the "unknown command" answer, and a 390 px phone layout with no sideways scroll.
 *
 * Topic, operators, /me, deletions and renames come from the room commands (issue 16's
 * moderation core; apps/server/test/rooms/ tests them at the protocol level).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { launchChromium, skipBrowserSuite, watchProblems } from './helpers/browser.js';
import { TcpTextClient } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const skip = skipBrowserSuite('page.integration.test.ts');
const TIMEOUT = { timeout: 5000 };

describe.skipIf(skip)('the chat page with rooms, two browsers and an nc user', () => {
  let server: LoopchatServer;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  let ann: Page;
  let bob: Page;
  let nc: TcpTextClient;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    nc = await TcpTextClient.connect(server.tcpPort);
    nc.line('/nick ncuser');
    await nc.waitFor('* welcome, ncuser');
    nc.line('/join general');
    await nc.waitFor('* general (1)');
  });

  afterAll(async () => {
    nc?.close();
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
  });

  async function openPage(viewport?: { width: number; height: number }): Promise<Page> {
    const context = await browser!.newContext(viewport === undefined ? {} : { viewport, isMobile: true, hasTouch: true });
    contexts.push(context);
    const page = await context.newPage();
    watchProblems(page, problems);
    return page;
  }

  async function connect(page: Page, nick: string): Promise<void> {
    await page.goto(`http://127.0.0.1:${server.httpPort}/`);
    await page.fill('#nick', nick);
    await page.click('#connect');
    await page.locator('#status', { hasText: /^connected$/ }).waitFor(TIMEOUT);
  }

  async function joinRoom(page: Page, room: string): Promise<void> {
    await page.fill('#room', room);
    await page.click('#join');
    await page.locator(`#tabs .tab[data-room="${room}"][aria-selected="true"]`).waitFor(TIMEOUT);
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  }

  const shown = (page: Page, text: string) => page.locator('#messages li', { hasText: text }).last().waitFor(TIMEOUT);
  const members = (page: Page) => page.$$eval('#members li', (lis) => lis.map((li) => li.textContent ?? ''));

  it('loads the page as ES modules (its own from /app/, the client from /client/) and joins general in both browsers', async () => {
    ann = await openPage();
    const scripts: string[] = [];
    ann.on('response', (res) => {
      if (res.request().resourceType() === 'script') scripts.push(`${res.status()} ${new URL(res.url()).pathname}`);
    });
    await connect(ann, 'ann');
    expect(scripts).toEqual(expect.arrayContaining(['200 /app/main.js', '200 /app/rooms.js', '200 /client/index.js']));
    expect(scripts.filter((s) => !s.startsWith('200 '))).toEqual([]);
    await joinRoom(ann, 'general');
    await nc.waitFor('* ann joined general');

    bob = await openPage();
    await connect(bob, 'bob');
    await joinRoom(bob, 'general');
    await nc.waitFor('* bob joined general');
    await ann.locator('#members li', { hasText: 'bob' }).waitFor(TIMEOUT);
    // ncuser joined general first: it operates the room (--room-ops first), marked with @.
    expect((await members(bob)).sort()).toEqual(['@ncuser', 'ann', 'bob']);
    expect(await bob.textContent('#current')).toBe('#general');
  });

  it('carries messages both ways between the two browsers and the nc user', async () => {
    await say(ann, 'hello from ann');
    await nc.waitFor('[general] ann: hello from ann');
    await shown(bob, 'ann: hello from ann');
    nc.line('hello from nc');
    await shown(ann, 'ncuser: hello from nc');
    await shown(bob, 'ncuser: hello from nc');
    await say(bob, 'hello from bob');
    await nc.waitFor('[general] bob: hello from bob');
    await shown(ann, 'bob: hello from bob');
  });

  it('shows who is typing in the other browser, ends it with their message, and shows nc nothing', async () => {
    const ncLines = nc.inbox.items.length;
    await ann.locator('#text').pressSequentially('still typing', { delay: 20 });
    await bob.locator('#typing', { hasText: 'ann is typing…' }).waitFor(TIMEOUT);
    expect(await ann.textContent('#typing')).toBe(''); // not your own
    await ann.press('#text', 'Enter');
    await shown(bob, 'ann: still typing');
    expect(await bob.textContent('#typing')).toBe('');
    await nc.waitFor('[general] ann: still typing');
    expect(nc.inbox.items.slice(ncLines)).toEqual(['[general] ann: still typing']);
  });

  it('counts unread messages on a background tab, and clears them when the tab is opened', async () => {
    await joinRoom(bob, 'side');
    await expect.poll(() => bob.isVisible('#messages li:has-text("hello from nc")')).toBe(false); // general's lines hide
    nc.line('while bob is away 1');
    nc.line('while bob is away 2');
    await bob.locator('[data-testid="unread-general"]', { hasText: '2' }).waitFor(TIMEOUT);
    expect(await bob.isVisible('[data-testid="unread-side"]')).toBe(false);
    await bob.click('#tabs .tab[data-room="general"]');
    await shown(bob, 'ncuser: while bob is away 2');
    await bob.locator('[data-testid="unread-general"]').waitFor({ state: 'hidden', ...TIMEOUT });
  });

  it('after a reload, joins the rooms it was in again and counts unread from the read marker the server kept', async () => {
    await bob.waitForTimeout(1200); // the page sends read markers at most once a second
    nc.line('sent before the reload');
    await shown(bob, 'ncuser: sent before the reload'); // seen on the active tab: marked read
    await bob.waitForTimeout(1200);
    await bob.reload();
    await nc.waitFor('* bob left general');
    for (const n of [1, 2, 3]) nc.line(`missed ${n}`);
    await nc.waitFor('[general] ncuser: missed 3');
    expect(await bob.inputValue('#nick')).toBe('bob'); // remembered
    await bob.click('#connect');
    // Both rooms again (localStorage), general on screen as before; the count is the server's.
    await bob.locator('#tabs .tab[data-room="general"][aria-selected="true"]').waitFor(TIMEOUT);
    await bob.locator('#tabs .tab[data-room="side"]').waitFor(TIMEOUT);
    await bob.locator('#messages .info', { hasText: '* 3 unread in general since you were last here' }).waitFor(TIMEOUT);
    await shown(bob, 'ncuser: missed 3');
  });

  it('answers an unknown /command with unknown_command, and /help with the commands', async () => {
    await say(ann, '/whatever now');
    await ann.locator('#messages .error', { hasText: '! unknown_command: unknown command /whatever' }).waitFor(TIMEOUT);
    await say(ann, '/help');
    await ann.locator('#messages .info', { hasText: '/topic [text]' }).waitFor(TIMEOUT);
  });

  it('shows the topic, operators, /me, deletions and renames that the room commands make, and refusals by code', async () => {
    // ncuser joined general first: it operates the room (--room-ops first).
    nc.line('/topic release day <b>');
    await nc.waitFor('* [general] topic: release day <b> (set by ncuser)');
    for (const page of [ann, bob]) await page.locator('#topic', { hasText: 'release day <b>' }).waitFor(TIMEOUT);
    nc.line('/op bob');
    await ann.locator('#members li.op', { hasText: '@bob' }).waitFor(TIMEOUT);
    await shown(ann, '* bob is now an operator (by ncuser)');

    await say(ann, '/me waves');
    await nc.waitFor('[general] * ann waves');
    await bob.locator('#messages .msg.action', { hasText: '* ann waves' }).waitFor(TIMEOUT);

    // Its author deletes a message: the line stays on every screen, its text goes.
    await say(ann, 'regrettable');
    await shown(bob, 'ann: regrettable');
    const seq = Number(await ann.locator('#messages .msg', { hasText: 'regrettable' }).getAttribute('data-seq'));
    await say(ann, `/delete ${seq}`);
    await nc.waitFor(`* [general] ann deleted message ${seq}`);
    await shown(bob, 'ann: (message deleted by ann)');
    expect(await bob.locator('#messages li', { hasText: 'regrettable' }).count()).toBe(0);

    await say(ann, '/kick ncuser');
    await ann.locator('#messages .error', { hasText: 'not_op' }).waitFor(TIMEOUT);

    await say(bob, '/nick robert');
    await nc.waitFor('* bob is now known as robert (general)');
    await shown(ann, '* bob is now known as robert');
    await ann.locator('#members li.op', { hasText: '@robert' }).waitFor(TIMEOUT);
    expect(await members(ann)).not.toContain('@bob');
    await say(bob, 'still me');
    await shown(ann, 'robert: still me');
    expect(await ann.locator('b').count()).toBe(0); // text stays text
  });

  it('fits a 390 px phone: nothing scrolls sideways, the composer and tabs stay on screen', async () => {
    const phone = await openPage({ width: 390, height: 844 });
    await connect(phone, 'phoneuser');
    for (const room of ['general', 'a-rather-long-room-name', 'third.room', 'fourth']) await joinRoom(phone, room);
    await phone.click('#tabs .tab[data-room="general"]');
    await phone.locator('#topic', { hasText: 'release day <b>' }).waitFor(TIMEOUT); // sent on join
    nc.line(`a long word ${'x'.repeat(300)} and a long url https://example.com/${'y'.repeat(200)}`);
    await shown(phone, 'a long word');
    await say(phone, 'typed on a phone');
    await nc.waitFor('[general] phoneuser: typed on a phone');
    const layout = await phone.evaluate(() => ({
      innerWidth: window.innerWidth,
      docWidth: document.documentElement.scrollWidth,
      bodyWidth: document.body.scrollWidth,
      composer: document.getElementById('composer')!.getBoundingClientRect().toJSON() as DOMRect,
      text: document.getElementById('text')!.getBoundingClientRect().toJSON() as DOMRect,
      tabs: document.getElementById('tabs')!.getBoundingClientRect().toJSON() as DOMRect,
    }));
    expect(layout.innerWidth).toBe(390);
    expect(layout.docWidth).toBeLessThanOrEqual(390);
    expect(layout.bodyWidth).toBeLessThanOrEqual(390);
    for (const box of [layout.composer, layout.text, layout.tabs]) {
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(390);
    }
    expect(layout.composer.bottom).toBeLessThanOrEqual(844);
    expect(layout.text.width).toBeGreaterThan(150);
    if (process.env['LOOPCHAT_SCREENSHOT']) await phone.screenshot({ path: `${process.env['LOOPCHAT_SCREENSHOT']}-phone.png` });
  });

  it('raised no page errors, console errors or dialogs', async () => {
    if (process.env['LOOPCHAT_SCREENSHOT']) await ann.screenshot({ path: `${process.env['LOOPCHAT_SCREENSHOT']}-desktop.png` });
    expect(problems).toEqual([]);
  });
});
