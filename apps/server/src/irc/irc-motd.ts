/**
 * The message of the day (--motd-file, MOTD_FILE): an operator's UTF-8 text file that IRC
 * clients read after registering and on MOTD (375, a 372 per line, 376; 422 without one).
 * Read when the server starts. A file that would not reach clients as written is a startup
 * error naming the line and the reason: the server never cuts or rewrites a line on the way.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../config.js';

/** Lines at most: a client prints them all before the user can type. */
export const MOTD_MAX_LINES = 200;

/**
 * Bytes per line at most. A 372 is `:<server> 372 <nick> :- <line>` in 510 bytes (RFC 1459
 * §2.3): with the longest server name (128 + ".loopchat") and nick (24) that leaves 339.
 */
export const MOTD_MAX_LINE_BYTES = 300;

/** The file's lines, checked; a ConfigError (one line: which file, which line, why) otherwise. */
export function loadMotd(path: string): string[] {
  const maxBytes = MOTD_MAX_LINES * (MOTD_MAX_LINE_BYTES + 2);
  let bytes: Buffer;
  try {
    // The size is checked before reading: a wrong path (a log, a device) is not read whole.
    const stat = statSync(path);
    if (!stat.isFile()) throw new ConfigError(`MOTD: ${path} is not a file`);
    if (stat.size > maxBytes) throw tooLarge(path, stat.size);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`MOTD: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // A file that grew between the stat and the read is still held to the limit.
  if (bytes.length > maxBytes) throw tooLarge(path, bytes.length);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`MOTD: ${path} is not UTF-8 text`);
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length > MOTD_MAX_LINES) {
    throw new ConfigError(`MOTD: ${path} has ${lines.length} lines; at most ${MOTD_MAX_LINES}`);
  }
  lines.forEach((line, i) => {
    const size = Buffer.byteLength(line);
    if (size > MOTD_MAX_LINE_BYTES) {
      throw new ConfigError(
        `MOTD: line ${i + 1} of ${path} is ${size} bytes; an IRC line leaves room for ${MOTD_MAX_LINE_BYTES}: wrap it`,
      );
    }
    // A CR alone or a NUL would end or break the IRC line it travels in.
    if (/[\r\0]/.test(line)) throw new ConfigError(`MOTD: line ${i + 1} of ${path} holds a CR or NUL character`);
  });
  return lines;
}

function tooLarge(path: string, size: number): ConfigError {
  return new ConfigError(`MOTD: ${path} is ${size} bytes; a message of the day is at most ${MOTD_MAX_LINES} lines`);
}
