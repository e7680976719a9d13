/**
 * The chat page loads the client's top-level files as ES modules straight from `tsc`'s
 * output (packages/client/dist, served at /client/), with no bundler: so they may import
 * only each other, by relative path. Node-only code lives in src/node/ (dist/node/).
 * Reads the build, so it runs after `tsc -b` (as `npm test` does).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const DIST = new URL('../dist/', import.meta.url);
const SPECIFIERS = [/\bfrom\s*'([^']+)'/g, /\bimport\s*\(\s*'([^']+)'/g, /^import\s*'([^']+)'/gm];

describe('the browser build', () => {
  const files = readdirSync(DIST).filter((name) => name.endsWith('.js'));

  it('has the entry the page imports', () => {
    expect(files).toContain('index.js');
    expect(files).toContain('client.js');
  });

  it.each(files)('%s imports only sibling modules', (name) => {
    const source = readFileSync(new URL(name, DIST), 'utf8');
    const specifiers = SPECIFIERS.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]));
    for (const specifier of specifiers) expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[a-z0-9-]+\.js$/);
  });
});
