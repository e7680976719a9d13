/** Starts a real loopchat server on ephemeral ports for a test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { resolveConfig, type Config } from '../../src/config.js';
import { startServer, type LoopchatServer } from '../../src/server.js';

/**
 * The server keeps history where it would by default (SQLite) unless a test says otherwise,
 * in a data dir of its own that goes when the server closes (unless the test gave one).
 */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<LoopchatServer> {
  const ownDir = overrides.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'loopchat-test-')) : undefined;
  // Moderation is off unless a test turns it on: flood detection would reject the bursts
  // that transport tests send on purpose (moderation.integration.test.ts covers it).
  const config = resolveConfig({
    tcpPort: 0,
    httpPort: 0,
    logLevel: 'silent',
    shutdownTimeoutMs: 1000,
    filter: 'off',
    ...(ownDir === undefined ? {} : { dataDir: ownDir }),
    ...overrides,
  });
  const server = await startServer(config, pino({ level: process.env['TEST_LOG_LEVEL'] ?? config.logLevel }));
  if (ownDir === undefined) return server;
  const close = server.close;
  let closed: Promise<void> | undefined;
  return Object.assign(server, {
    close: () => (closed ??= close().finally(() => rmSync(ownDir, { recursive: true, force: true }))),
  });
}
