/**
 * Headless Chromium for the chat page's tests (Debian's /usr/bin/chromium through
 * playwright-core). Without it the suites skip locally, but under CI (`CI` set) they run
 * and fail, so a missing browser cannot silently hide the page's tests.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser suites skip here (with a warning naming `file`). */
export function skipBrowserSuite(file: string): boolean {
  const skip = !existsSync(CHROMIUM) && !process.env['CI'];
  if (skip) console.warn(`${file} skipped: ${CHROMIUM} not found (install chromium, or set CI=1 to make this a failure)`);
  return skip;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Collects what must never happen on the page: uncaught errors, console errors (CSP
 * violations land there) and dialogs (an XSS would open one).
 */
export function watchProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium asks for /favicon.ico whatever the page says.
    if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) problems.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
}
