#!/usr/bin/env node
/**
 * `npm start` / `loopchat`: parse the configuration, start the server, and shut down
 * gracefully on SIGTERM / SIGINT (a second signal exits at once).
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { parseCommandLine } from './cli.js';
import { ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof InvalidArgumentError) {
      process.stderr.write(`loopchat: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (config.host !== '127.0.0.1' && config.host !== 'localhost' && config.host !== '::1') {
    log.warn({ host: config.host }, 'listening beyond loopback: clients on the network can connect');
  }
  let server;
  try {
    server = await startServer(config, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`loopchat: cannot start: ${e.code ?? ''} ${e.message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`loopchat: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
