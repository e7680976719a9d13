/**
 * The browser build of @loopchat/client, served at /client/ so the chat page imports it as
 * ES modules. It is `tsc -b` output (packages/client/dist), no bundler: its files import
 * each other by relative paths, which browsers resolve. Only the top-level files are
 * served; dist/node/ is the Node-only entry (node:net).
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLIENT_DIST = new URL('../../../../packages/client/dist/', import.meta.url);
const MODULE_NAME = /^[a-z0-9-]+\.js$/;

/** File name → contents, read once at startup; empty when the client is not built. */
export function readClientModules(): Map<string, Buffer> {
  const modules = new Map<string, Buffer>();
  let names: string[];
  try {
    names = readdirSync(CLIENT_DIST);
  } catch {
    return modules;
  }
  for (const name of names) if (MODULE_NAME.test(name)) modules.set(name, readFileSync(new URL(name, CLIENT_DIST)));
  return modules;
}
