/**
 * The server the session target drives: a real loopchat server in this process, on
 * ephemeral ports, logging nothing. Rate limiting is off so that every frame reaches the
 * session's handlers (a `rate_limited` answer would hide them); moderation is on, so
 * that its verdicts are fuzzed too.
 */
import { createLogger, resolveConfig, startServer } from '@loopchat/server';
import type { FuzzServer } from './session.fuzz.js';

export async function startFuzzServer(): Promise<FuzzServer> {
  const config = resolveConfig({ tcpPort: 0, httpPort: 0, logLevel: 'silent', ratePerSecond: 0, filter: 'basic' });
  return startServer(config, createLogger('silent'));
}
