#!/usr/bin/env node
/**
 * `npm start` / `loopchat`: parse the configuration and run one of three roles:
 *   - single process (workers = 1): the whole server on one event loop;
 *   - cluster primary (workers > 1): forks the workers and sequences rooms for them;
 *   - cluster worker (forked by the primary): a full server whose bus is the primary.
 * SIGTERM / SIGINT shut down gracefully; a second signal exits at once (not in workers,
 * which get both the terminal's SIGINT and the primary's SIGTERM on Ctrl-C).
 */
import cluster from 'node:cluster';
import { CommanderError, InvalidArgumentError } from 'commander';
import { chooseBus } from './bus/choose-bus.js';
import { parseCommandLine } from './cli.js';
import { startPrimary, type ClusterPrimary } from './cluster/primary.js';
import { startWorker } from './cluster/worker.js';
import { ConfigError, type Config } from './config.js';
import { createLogger } from './logger.js';
import { loadMotd } from './irc/irc-motd.js';
import { loadTermsFile } from './moderation/index.js';
import { startServer } from './server.js';
import { describeStartupError } from './startup-error.js';
import { TlsCredentials } from './transports/tls-credentials.js';
import type { LoopchatServer } from './server.js';

interface Closeable {
  close(): Promise<void>;
}

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof InvalidArgumentError) {
      process.stderr.write(`loopchat: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const role = cluster.isWorker
    ? `worker ${process.env['LOOPCHAT_WORKER_SLOT'] ?? '?'}`
    : config.workers > 1
      ? 'primary'
      : 'single';
  const log = createLogger(config.logLevel, cluster.isWorker ? { worker: Number(process.env['LOOPCHAT_WORKER_SLOT']) } : {});
  if (!cluster.isWorker) {
    if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
      log.warn({ host: config.host }, 'listening beyond loopback: clients on the network can connect');
    }
    if (config.authSecret === '' && config.authPublicKey === '') {
      log.warn('AUTH_SECRET and AUTH_PUBLIC_KEY unset: anonymous nicks, first come first served (development mode)');
    }
    log.info(
      {
        role,
        workers: config.workers,
        filter: config.filter,
        bus: chooseBus(config, role === 'primary' ? 'primary' : 'single'),
      },
      'loopchat starting',
    );
  }

  // Handlers go in before the server announces itself: a supervisor may signal as soon as
  // it reads the "listening" line, and that signal must drain clients, not kill the process.
  let running: Closeable | undefined;
  let stopRequested: string | undefined;
  const shutDown = (target: Closeable, reason: string): void => {
    log.info({ reason }, 'shutting down');
    target.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const stop = (reason: string): void => {
    if (stopRequested !== undefined) {
      if (!cluster.isWorker) process.exit(1);
      return;
    }
    stopRequested = reason;
    if (running !== undefined) shutDown(running, reason);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGHUP reloads the TLS certificate and key (a renewal, e.g. certbot's deploy hook); the
  // primary passes it to its workers, which hold the listeners. Without TLS, SIGHUP keeps
  // its default (the process ends), as before.
  if (config.tlsCertFile !== '') {
    process.on('SIGHUP', () => {
      if (running === undefined) return;
      if ('workers' in running) {
        for (const worker of (running as ClusterPrimary).workers()) worker.process.kill('SIGHUP');
        return;
      }
      try {
        (running as LoopchatServer).reloadTls();
        log.info('TLS certificate and key reloaded');
      } catch (err) {
        log.error({ reason: (err as Error).message }, 'TLS reload failed; the certificate in use stays');
      }
    });
  }
  // A worker whose primary is gone has no bus: drain and leave.
  if (cluster.isWorker) process.on('disconnect', () => stop('primary disconnected'));

  try {
    if (cluster.isWorker) {
      running = await startWorker(config, log);
    } else if (config.workers > 1) {
      // Checked once here rather than by N workers failing one after another.
      if (config.filterTerms !== '') loadTermsFile(config.filterTerms);
      if (config.motdFile !== '') loadMotd(config.motdFile);
      if (config.tlsCertFile !== '') new TlsCredentials(config);
      const primary = startPrimary(config, log);
      running = primary;
      await primary.listening;
    } else {
      running = await startServer(config, log);
    }
  } catch (err) {
    // One line in words (which port, which flag moves it), no stack: startup-error.ts.
    process.stderr.write(`loopchat: cannot start: ${describeStartupError(err, config)}\n`);
    process.exit(1);
  }
  if (stopRequested !== undefined) shutDown(running, stopRequested);
}

main().catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`loopchat: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
