/**
 * pino: JSON lines for machines; pretty, colourful lines when a human watches a terminal.
 * Message text never reaches logs at info level (privacy; and a chat flood must not
 * become a log flood).
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...bindings },
    redact: ['token', '*.token', 'authorization', 'redisUrl', '*.redisUrl'],
  };
  if (process.stdout.isTTY)
    return pino(options, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  return pino(options);
}
