export { startServer, type LoopchatServer } from './server.js';
export { resolveConfig, DEFAULTS, ConfigError, type Config } from './config.js';
export { parseCommandLine } from './cli.js';
export { createLogger } from './logger.js';
// For the fuzz targets (apps/server/fuzz/irc.fuzz.ts): the IRC dialect without sockets.
export { IrcDialect, type IrcHost } from './irc/irc-dialect.js';
export { EncodedFrame } from './core/encoded-frame.js';
export { Stats } from './core/stats.js';
export type { ServerContext } from './core/context.js';
