#!/usr/bin/env node
/**
 * `npm start` / `loopchat`: parse the configuration, start the server, and shut down
 * gracefully on SIGTERM / SIGINT (a second signal exits at once).
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { parseCommandLine } from './cli.js';
import { ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { startServer, type LoopchatServer } from './server.js';

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
  // Handlers go in before the server announces itself: a supervisor may signal as soon as
  // it reads the "listening" line, and that signal must drain clients, not kill the process.
  let server: LoopchatServer | undefined;
  let stopRequested: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopRequested !== undefined) process.exit(1);
    stopRequested = signal;
    if (server !== undefined) shutDown(server, signal);
  };
  const shutDown = (running: LoopchatServer, signal: NodeJS.Signals): void => {
    log.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    server = await startServer(config, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`loopchat: cannot start: ${e.code ?? ''} ${e.message}\n`);
    process.exit(1);
  }
  if (stopRequested !== undefined) shutDown(server, stopRequested);
}

main().catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`loopchat: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
