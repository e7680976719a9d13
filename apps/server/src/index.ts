export { startServer, type LoopchatServer } from './server.js';
export { resolveConfig, DEFAULTS, ConfigError, type Config } from './config.js';
export { parseCommandLine } from './cli.js';
export { createLogger } from './logger.js';
