/**
 * `--texts <file>`: the message texts, one per line, for scenarios where what is said
 * matters (a moderation filter's cost depends on the words). Read and checked once, in the
 * parent, before any socket opens; limits are checked before reading the whole file.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { invalidOption } from './errors.js';

/** Largest texts file, bytes: the texts travel to every forked worker in its RunConfig. */
export const MAX_TEXTS_BYTES = 16 * 1024 * 1024;
export const MAX_TEXTS_LINES = 1_000_000;

/** The file's non-empty lines (UTF-8, `\n` or `\r\n`); throws LG_INVALID_OPTION with the reason. */
export function readTexts(path: string): string[] {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch (err) {
    throw invalidOption(`--texts: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!stat.isFile()) throw invalidOption(`--texts: "${path}" is not a file`);
  if (stat.size > MAX_TEXTS_BYTES)
    throw invalidOption(`--texts: "${path}" is ${stat.size} bytes, over the limit of ${MAX_TEXTS_BYTES} (16 MiB)`);
  let content: string;
  try {
    // fatal: a file in another encoding is an error, not texts full of U+FFFD. A BOM is dropped.
    content = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
  } catch {
    throw invalidOption(`--texts: "${path}" is not valid UTF-8`);
  }
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length > MAX_TEXTS_LINES)
    throw invalidOption(`--texts: "${path}" has ${lines.length} lines, over the limit of ${MAX_TEXTS_LINES}`);
  const texts: string[] = [];
  for (const line of lines) {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.length > 0) texts.push(text);
  }
  if (texts.length === 0) throw invalidOption(`--texts: "${path}" has no non-empty line`);
  return texts;
}
