/**
 * The ES modules the chat page loads, read once at startup and served as they are (no
 * bundler; browsers resolve their relative imports):
 *
 *   /client/  the browser build of @loopchat/client: `tsc -b` output (packages/client/dist).
 *             Only the top-level files: dist/node/ is the Node-only entry (node:net).
 *   /app/     the page's own modules (apps/server/public/app/), plain JavaScript.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLIENT_DIST = new URL('../../../../packages/client/dist/', import.meta.url);
const PAGE_MODULES = new URL('../../public/app/', import.meta.url);
const MODULE_NAME = /^[a-z0-9-]+\.js$/;

/** File name → contents of the `*.js` files directly in `dir`; empty when it does not exist. */
function readModules(dir: URL): Map<string, Buffer> {
  const modules = new Map<string, Buffer>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return modules;
  }
  for (const name of names) if (MODULE_NAME.test(name)) modules.set(name, readFileSync(new URL(name, dir)));
  return modules;
}

/** @loopchat/client's browser build; empty when the client is not built. */
export function readClientModules(): Map<string, Buffer> {
  return readModules(CLIENT_DIST);
}

/** The chat page's modules. */
export function readPageModules(): Map<string, Buffer> {
  return readModules(PAGE_MODULES);
}
