import type { ClientCodec } from '@loopchat/protocol';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Authenticator } from './auth.js';
import type { ModerationFilter } from '../moderation/index.js';
import type { ConnectionLimiter } from '../transports/connection-limiter.js';
import type { FlushScheduler } from './flush-scheduler.js';
import type { Greeter } from './greeter.js';
import type { Hub } from './hub.js';
import type { ReadThrottle } from './read-throttle.js';
import type { ClientSession } from './client-session.js';
import type { Stats } from './stats.js';

/** What every session of one server shares; one per server instance (tests run several per process). */
export interface ServerContext {
  readonly config: Readonly<Config>;
  readonly codec: ClientCodec;
  readonly hub: Hub;
  readonly flusher: FlushScheduler;
  /** How much client input one event-loop turn handles (read-side backpressure). */
  readonly readThrottle: ReadThrottle;
  /** Greets raw TCP connections that stay silent (text-mode first contact). */
  readonly greeter: Greeter;
  readonly stats: Stats;
  readonly limiter: ConnectionLimiter;
  /** Moderation for every room message and DM, run on this process's event loop. */
  readonly filter: ModerationFilter;
  /** Token checks at hello; undefined when auth is off (anonymous nicks). */
  readonly auth: Authenticator | undefined;
  readonly log: Logger;
  /** Every open session, for housekeeping, /stats, shutdown and the admin connection list. */
  readonly sessions: Set<ClientSession>;
  /** Set once a graceful shutdown begins: new connections are refused. */
  shuttingDown: boolean;
}
