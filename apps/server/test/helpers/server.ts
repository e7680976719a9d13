/** Starts a real loopchat server on ephemeral ports for a test file. */
import pino from 'pino';
import { resolveConfig, type Config } from '../../src/config.js';
import { startServer, type LoopchatServer } from '../../src/server.js';

export async function startTestServer(overrides: Partial<Config> = {}): Promise<LoopchatServer> {
  // Moderation is off unless a test turns it on: flood detection would reject the bursts
  // that transport tests send on purpose (moderation.integration.test.ts covers it).
  const config = resolveConfig({
    tcpPort: 0,
    httpPort: 0,
    logLevel: 'silent',
    shutdownTimeoutMs: 1000,
    filter: 'off',
    ...overrides,
  });
  return startServer(config, pino({ level: process.env['TEST_LOG_LEVEL'] ?? config.logLevel }));
}
