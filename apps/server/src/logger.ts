/**
 * pino: JSON lines for machines; pretty, colourful lines when a human watches a terminal.
 * Message text never reaches logs at info level (privacy; and a chat flood must not
 * become a log flood).
 */
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type pinoPretty from 'pino-pretty';

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...bindings },
    redact: ['token', '*.token', 'authorization', 'redisUrl', '*.redisUrl'],
  };
  if (!process.stdout.isTTY) return pino(options);
  // Loaded only for a terminal: servers logging JSON to a pipe never load it.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty;
  return pino(options, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
}
