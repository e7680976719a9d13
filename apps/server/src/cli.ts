/**
 * Command line and environment → Config. Flags win over environment variables, which win
 * over defaults; every value then goes through resolveConfig's checks.
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, resolveConfig, type Config } from './config.js';

type Kind = 'int' | 'number' | 'string' | 'bool' | 'workers' | 'list';

/** [config key, flag, environment variable, kind, help] */
const OPTIONS: [keyof Config, string, string, Kind, string][] = [
  ['host', '--host <address>', 'HOST', 'string', 'address to bind (use 0.0.0.0 to accept remote clients)'],
  ['tcpPort', '--tcp-port <port>', 'TCP_PORT', 'int', 'raw TCP port (JSON lines, IRC or text mode); 0 = any free port'],
  ['httpPort', '--http-port <port>', 'HTTP_PORT', 'int', 'HTTP port: health, metrics, stats, chat page, WebSocket /ws'],
  ['ircPort', '--irc-port <port>', 'IRC_PORT', 'int', 'a TCP port for IRC clients only (e.g. 6667); off unless set'],
  [
    'tlsPort',
    '--tls-port <port>',
    'TLS_PORT',
    'int',
    'a TLS port for every TCP dialect (e.g. 6697); needs --tls-cert/--tls-key',
  ],
  [
    'tlsCertFile',
    '--tls-cert <path>',
    'TLS_CERT_FILE',
    'string',
    'PEM certificate chain: TLS port, HTTPS/WSS (SIGHUP reloads)',
  ],
  ['tlsKeyFile', '--tls-key <path>', 'TLS_KEY_FILE', 'string', 'PEM private key for --tls-cert'],
  ['maxLineBytes', '--max-line-bytes <n>', 'MAX_LINE_BYTES', 'int', 'longest TCP line / WebSocket message, bytes'],
  ['maxTextLength', '--max-text-length <n>', 'MAX_TEXT_LENGTH', 'int', 'longest message text, characters'],
  ['historySize', '--history-size <n>', 'HISTORY_SIZE', 'int', 'messages kept per room for history'],
  ['history', '--history <kind>', 'HISTORY', 'string', 'where history lives: sqlite (a file under --data-dir) or memory'],
  ['dataDir', '--data-dir <path>', 'DATA_DIR', 'string', 'directory of the history file (loopchat.db)'],
  [
    'historySync',
    '--history-sync <mode>',
    'HISTORY_SYNC',
    'string',
    'sqlite: normal (acks survive a crash) or full (and a power loss: fsync per commit)',
  ],
  [
    'historyMaxAgeSeconds',
    '--history-max-age <seconds>',
    'HISTORY_MAX_AGE',
    'int',
    'sqlite: delete stored messages older than this (0 = keep by count only)',
  ],
  ['maxRooms', '--max-rooms <n>', 'MAX_ROOMS', 'int', 'most rooms at once'],
  [
    'maxRoomsPerConnection',
    '--max-rooms-per-connection <n>',
    'MAX_ROOMS_PER_CONNECTION',
    'int',
    'most rooms per connection',
  ],
  [
    'outboundBudgetBytes',
    '--outbound-budget-bytes <n>',
    'OUTBOUND_BUDGET_BYTES',
    'int',
    'queued bytes per connection before slow-consumer disconnect',
  ],
  ['ratePerSecond', '--rate <n>', 'RATE_PER_SECOND', 'number', 'client frames per second per connection (0 = unlimited)'],
  ['rateBurst', '--rate-burst <n>', 'RATE_BURST', 'int', 'burst of frames allowed above the rate'],
  ['maxConnections', '--max-connections <n>', 'MAX_CONNECTIONS', 'int', 'most connections in the process'],
  ['maxConnectionsPerIp', '--max-connections-per-ip <n>', 'MAX_CONNECTIONS_PER_IP', 'int', 'most connections per client IP'],
  ['limitLoopback', '--limit-loopback', 'LIMIT_LOOPBACK', 'bool', 'apply the per-IP limit to loopback clients too'],
  [
    'trustedProxies',
    '--trusted-proxies <list>',
    'TRUSTED_PROXIES',
    'list',
    'comma-separated IPs/CIDRs of load balancers whose PROXY header / X-Forwarded-For is believed',
  ],
  [
    'allowedOrigins',
    '--allowed-origins <list>',
    'ALLOWED_ORIGINS',
    'list',
    'browser origins allowed to open a WebSocket besides the server itself',
  ],
  ['heartbeatMs', '--heartbeat-ms <ms>', 'HEARTBEAT_MS', 'int', 'quiet time before the server probes a connection'],
  ['idleTimeoutMs', '--idle-timeout-ms <ms>', 'IDLE_TIMEOUT_MS', 'int', 'quiet time before a JSON/WS connection is closed'],
  [
    'textIdleTimeoutMs',
    '--text-idle-timeout-ms <ms>',
    'TEXT_IDLE_TIMEOUT_MS',
    'int',
    'quiet time before a text-mode connection is closed',
  ],
  [
    'greetAfterMs',
    '--greet-after-ms <ms>',
    'GREET_AFTER_MS',
    'int',
    'greet a silent TCP connection after this long with how to start (0 = never)',
  ],
  ['emptyRoomTtlMs', '--empty-room-ttl-ms <ms>', 'EMPTY_ROOM_TTL_MS', 'int', 'how long an empty room keeps its history'],
  ['shutdownTimeoutMs', '--shutdown-timeout-ms <ms>', 'SHUTDOWN_TIMEOUT_MS', 'int', 'graceful shutdown deadline'],
  ['serverName', '--server-name <name>', 'SERVER_NAME', 'string', 'name reported to clients'],
  ['motdFile', '--motd-file <path>', 'MOTD_FILE', 'string', 'IRC message of the day: a UTF-8 text file, read at startup'],
  ['logLevel', '--log-level <level>', 'LOG_LEVEL', 'string', 'fatal, error, warn, info, debug, trace or silent'],
  [
    'workers',
    '--workers <n|auto>',
    'WORKERS',
    'workers',
    'processes serving clients: 1 = single process, auto = one per core',
  ],
  ['filter', '--filter <level>', 'FILTER', 'string', 'moderation: off, basic (mask terms, reject spam) or strict (reject)'],
  ['filterTerms', '--filter-terms <path>', 'FILTER_TERMS', 'string', 'term list file replacing the shipped one'],
  ['roomOps', '--room-ops <first|none>', 'ROOM_OPS', 'string', "a new room's operator: its first member, or none"],
  [
    'presenceMaxMembers',
    '--presence-max-members <n>',
    'PRESENCE_MAX_MEMBERS',
    'int',
    'rooms larger than this announce no joins/leaves',
  ],
  [
    'listenBacklog',
    '--listen-backlog <n>',
    'LISTEN_BACKLOG',
    'int',
    'pending-connection queue per listener (raise with somaxconn)',
  ],
  [
    'writeDelayMs',
    '--write-delay-ms <ms>',
    'WRITE_DELAY_MS',
    'int',
    'longest a queued frame waits to share a write with later ones (less CPU, more latency)',
  ],
  [
    'clusterFlushMs',
    '--cluster-flush-ms <ms>',
    'CLUSTER_FLUSH_MS',
    'int',
    'cluster: primary and workers write to each other at most this often: batches under load, less CPU, up to that much more latency per hop (0 = every turn)',
  ],
  [
    'filterFloodMax',
    '--filter-flood-max <n>',
    'FILTER_FLOOD_MAX',
    'int',
    'moderation: messages per sender per flood window',
  ],
  ['filterFloodWindowMs', '--filter-flood-window-ms <ms>', 'FILTER_FLOOD_WINDOW_MS', 'int', 'moderation: the flood window'],
  [
    'filterClassifierUs',
    '--filter-classifier-us <us>',
    'FILTER_CLASSIFIER_US',
    'int',
    'experiments: CPU µs of a simulated classifier per message (0 = none)',
  ],
];

/** Read from the environment only: never a flag, so it stays out of `ps` and shell history. */
const ENV_ONLY: [keyof Config, string][] = [
  ['redisUrl', 'REDIS_URL'],
  ['redisClusterNodes', 'REDIS_CLUSTER_NODES'],
  ['authSecret', 'AUTH_SECRET'],
  ['authPublicKey', 'AUTH_PUBLIC_KEY'],
  ['adminToken', 'ADMIN_TOKEN'],
];

const PARSERS: Record<Kind, (value: string) => unknown> = {
  int: (v) => {
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError('expected a whole number.');
    return Number(v);
  },
  number: (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
    return n;
  },
  string: (v) => v,
  list: (v) =>
    v
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  workers: (v) => (v.trim() === 'auto' ? availableParallelism() : PARSERS.int(v)),
  bool: (v) => {
    if (!/^(1|0|true|false|yes|no)$/i.test(v)) throw new InvalidArgumentError('expected true or false.');
    return /^(1|true|yes)$/i.test(v);
  },
};

/** Parses argv and the environment; throws ConfigError (or exits via commander) on a bad value. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const program = new Command('loopchat')
    .description('loopchat server: chat over raw TCP (JSON lines or text mode for nc) and WebSocket, one event loop')
    .showHelpAfterError(false)
    .allowExcessArguments(false);
  const attributes = new Map<keyof Config, string>();
  for (const [key, flag, envName, kind, help] of OPTIONS) {
    const shown =
      DEFAULTS[key] === null ? 'off' : kind === 'list' && String(DEFAULTS[key]) === '' ? 'none' : String(DEFAULTS[key]);
    const option = new Option(flag, `${help} (env ${envName}, default ${shown})`);
    if (kind !== 'bool') option.argParser(PARSERS[kind]);
    program.addOption(option);
    // Commander names the value after the flag (--rate → rate), not after the config key.
    attributes.set(key, option.attributeName());
  }
  program.parse(argv, { from: 'user' });
  const flags = program.opts<Record<string, unknown>>();
  const values: Partial<Config> = {};
  for (const [key, , envName, kind] of OPTIONS) {
    const fromEnv = env[envName];
    let value: unknown = flags[attributes.get(key)!];
    if (value === undefined && fromEnv !== undefined && fromEnv !== '') {
      try {
        value = PARSERS[kind](fromEnv);
      } catch (err) {
        throw new InvalidArgumentError(`environment variable ${envName}='${fromEnv}' is invalid: ${(err as Error).message}`);
      }
    }
    if (value !== undefined) (values as Record<string, unknown>)[key] = value;
  }
  for (const [key, envName] of ENV_ONLY) {
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') (values as Record<string, unknown>)[key] = fromEnv;
  }
  return resolveConfig(values);
}
