/**
 * Server configuration: defaults in one object, every value checked once at startup,
 * the result frozen. A bad value is one clear line (ConfigError), never a half-started server.
 * The CLI (cli.ts) maps flags and environment variables onto this; tests call it directly.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_TEXT_LENGTH, MAX_HISTORY_LIMIT } from '@loopchat/protocol';
import { ConfigError } from './errors.js';

export interface Config {
  /** Address both listeners bind. @default '127.0.0.1' (loopback: secure by default) */
  host: string;
  /** Raw TCP port (JSON lines or text mode); 0 picks a free port. @default 4000 */
  tcpPort: number;
  /** HTTP port: health, metrics, stats, the chat page and WebSocket at /ws. @default 8080 */
  httpPort: number;
  /**
   * A TCP port where every connection speaks IRC from its first byte (6667 is IRC's
   * convention); IRC clients use the main TCP port too, which tells them by their first
   * line. null = off; 0 picks a free port. @default null
   */
  ircPort: number | null;
  /**
   * A TLS port serving every TCP dialect (JSON lines, IRC, text) like the main TCP port,
   * encrypted (6697 is IRC's convention). Needs tlsCertFile and tlsKeyFile. null = off.
   * @default null
   */
  tlsPort: number | null;
  /**
   * PEM certificate chain and private key. When set, the HTTP port serves HTTPS and WSS
   * instead of HTTP and WS, and tlsPort may be used; SIGHUP reloads both files. @default ''
   */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Longest TCP line / WebSocket message, bytes. @default 8192 */
  maxLineBytes: number;
  /** Longest message text, UTF-16 code units. @default 2000 */
  maxTextLength: number;
  /** Messages kept per room for `history`. @default 1000 */
  historySize: number;
  /**
   * Where room history lives: 'sqlite' (a file under dataDir: survives restarts and crashes,
   * seqs continue) or 'memory' (the last historySize per room, lost on restart). Redis mode
   * keeps history in Redis streams whatever this says. @default 'sqlite'
   */
  history: 'memory' | 'sqlite';
  /** Directory of the history file (loopchat.db), created if missing. @default './data' */
  dataDir: string;
  /**
   * SQLite `synchronous`: 'normal' keeps every acknowledged message through a crash or kill
   * of the process; 'full' also through a power loss (one fsync per commit). @default 'normal'
   */
  historySync: 'normal' | 'full';
  /** Stored messages older than this are deleted in the background; 0 = kept by count only. @default 0 */
  historyMaxAgeSeconds: number;
  /** Most rooms that may exist at once (each holds up to historySize messages). @default 10000 */
  maxRooms: number;
  /** Most rooms one connection may be in. @default 50 */
  maxRoomsPerConnection: number;
  /** Outbound bytes queued for one connection before it is dropped as a slow consumer. @default 1 MiB */
  outboundBudgetBytes: number;
  /** Client frames per second per connection (token bucket refill); 0 disables. @default 20 */
  ratePerSecond: number;
  /** Token bucket size: the burst a connection may send at once. @default 40 */
  rateBurst: number;
  /** Most connections (TCP + WebSocket) the process accepts. @default 50000 */
  maxConnections: number;
  /** Most connections from one IP address; loopback is exempt unless limitLoopback. @default 100 */
  maxConnectionsPerIp: number;
  /** Apply the per-IP limit to loopback clients too. @default false (local load tests) */
  limitLoopback: boolean;
  /**
   * Load balancers (IP addresses or CIDR blocks) whose word on the client address is taken:
   * a PROXY protocol v1/v2 header on TCP (required from them: a connection without one is
   * closed) and X-Forwarded-For on the WebSocket upgrade. From any other peer, neither is
   * believed. @default [] (no proxy trusted)
   */
  trustedProxies: readonly string[];
  /** Quiet time after which the server probes a connection (WS ping, JSON `ping` frame). @default 30000 */
  heartbeatMs: number;
  /** Quiet time after which a JSON or WebSocket connection is closed. @default 120000 */
  idleTimeoutMs: number;
  /** Quiet time after which a text-mode (human, nc) connection is closed. @default 1800000 */
  textIdleTimeoutMs: number;
  /**
   * A raw TCP connection that has sent no line after this long gets a short text greeting
   * (how to start: /nick, /join, /help), so `nc` does not show a blank screen. Sent only
   * while the connection's format is undecided; 0 = never (core/greeter.ts). @default 1000
   */
  greetAfterMs: number;
  /** Empty rooms (and their history) are forgotten after this long. @default 600000 */
  emptyRoomTtlMs: number;
  /** How long a graceful shutdown waits for clients to drain before closing them hard. @default 5000 */
  shutdownTimeoutMs: number;
  /** Name reported in `welcome.server`. @default the host name */
  serverName: string;
  /** pino level. @default 'info' */
  logLevel: string;
  /** Processes serving clients: 1 = single process (no primary); N > 1 = cluster. @default 1 */
  workers: number;
  /** Moderation applied to every room message and DM. @default 'basic' */
  filter: 'off' | 'basic' | 'strict';
  /**
   * Who operates a new room: `first`, its first member; `none`, nobody (server admins still
   * operate every room). @default 'first'
   */
  roomOps: 'first' | 'none';
  /** A term list replacing the shipped one (one term per line). @default '' (shipped list) */
  filterTerms: string;
  /** IRC message of the day: a UTF-8 text file read at startup (irc/irc-motd.ts); '' = none (422). */
  motdFile: string;
  /**
   * Rooms with more members than this announce no joins and leaves: in a big room they are
   * noise, and announcing every join costs O(members²) deliveries. @default 500
   */
  presenceMaxMembers: number;
  /**
   * Longest a queued frame waits so that frames queued after it share one write (core/
   * flush-scheduler.ts): less CPU per delivery at busy connections, that much more latency.
   * 0 = write at the end of each event-loop turn. @default 0
   */
  writeDelayMs: number;
  /**
   * Cluster data plane: the primary and each worker write to each other at most once per
   * this interval (cluster/flush-pacer.ts); a peer that wrote nothing for an interval writes at
   * the end of its turn, so a quiet cluster adds no latency. 0 = at the end of every event-loop
   * turn. 5 ms, as Kafka's producer `linger.ms` since 4.0: CPU saved against latency added,
   * measured, in flush-pacer.ts. @default 5
   */
  clusterFlushMs: number;
  /** Pending-connection queue of each listener (the kernel caps it at net.core.somaxconn). @default 511 */
  listenBacklog: number;
  /** Moderation flood rule: more than this many messages from one sender within the window. @default 10 */
  filterFloodMax: number;
  /** The flood rule's window. @default 10000 */
  filterFloodWindowMs: number;
  /**
   * Experiments only: CPU µs of a simulated per-message classifier run after the rules
   * (moderation/classifier-stand-in.ts), to study cluster scaling with CPU-heavy moderation. @default 0
   */
  filterClassifierUs: number;
  /** Redis for multi-host mode (from the environment only: it may hold a password). @default '' */
  redisUrl: string;
  /**
   * Redis Cluster seed nodes, `host:port` each (from the environment only, like REDIS_URL:
   * REDIS_CLUSTER_NODES, comma-separated); when set, the bus uses the cluster and sharded
   * pub/sub instead of REDIS_URL. @default []
   */
  redisClusterNodes: readonly string[];
  /** HS256 secret for user tokens (environment only). @default '' (anonymous nicks) */
  authSecret: string;
  /** PEM public key for ES256 user tokens (environment only). @default '' */
  authPublicKey: string;
  /**
   * Bearer token for the /admin HTTP API (environment only: ADMIN_TOKEN). Unset, the admin
   * routes do not exist at all. @default ''
   */
  adminToken: string;
  /**
   * Browser origins allowed to open a WebSocket (`Origin` header), besides the server's own
   * (same host). Non-browser clients send no Origin and are not affected. @default []
   */
  allowedOrigins: readonly string[];
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  host: '127.0.0.1',
  tcpPort: 4000,
  httpPort: 8080,
  ircPort: null,
  tlsPort: null,
  tlsCertFile: '',
  tlsKeyFile: '',
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  maxTextLength: DEFAULT_MAX_TEXT_LENGTH,
  historySize: 1000,
  history: 'sqlite',
  dataDir: './data',
  historySync: 'normal',
  historyMaxAgeSeconds: 0,
  maxRooms: 10_000,
  maxRoomsPerConnection: 50,
  outboundBudgetBytes: 1024 * 1024,
  ratePerSecond: 20,
  rateBurst: 40,
  maxConnections: 50_000,
  maxConnectionsPerIp: 100,
  limitLoopback: false,
  trustedProxies: Object.freeze([]),
  heartbeatMs: 30_000,
  idleTimeoutMs: 120_000,
  textIdleTimeoutMs: 30 * 60_000,
  greetAfterMs: 1000,
  emptyRoomTtlMs: 10 * 60_000,
  shutdownTimeoutMs: 5_000,
  serverName: hostname(),
  logLevel: 'info',
  workers: 1,
  filter: 'basic',
  roomOps: 'first',
  filterTerms: '',
  motdFile: '',
  listenBacklog: 511,
  writeDelayMs: 0,
  clusterFlushMs: 5,
  presenceMaxMembers: 500,
  filterFloodMax: 10,
  filterFloodWindowMs: 10_000,
  filterClassifierUs: 0,
  redisUrl: '',
  redisClusterNodes: Object.freeze([]),
  authSecret: '',
  authPublicKey: '',
  adminToken: '',
  allowedOrigins: Object.freeze([]),
});

export { ConfigError };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Merges `overrides` over DEFAULTS, checks every value, and freezes the result. */
export function resolveConfig(overrides: Partial<Config> = {}): Readonly<Config> {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const c: Config = { ...DEFAULTS, ...defined };
  // Unless set, the text limit follows a lowered line limit, so that a message of the
  // longest text (3 bytes a character, plus framing) still fits in one line.
  if (defined['maxTextLength'] === undefined && Number.isInteger(c.maxLineBytes)) {
    c.maxTextLength = Math.max(1, Math.min(DEFAULT_MAX_TEXT_LENGTH, Math.floor((c.maxLineBytes - 256) / 3)));
  }
  if (typeof c.host !== 'string' || c.host === '') fail('host must be a non-empty address');
  int(c, 'tcpPort', 0, 65535);
  int(c, 'httpPort', 0, 65535);
  if (c.tcpPort !== 0 && c.tcpPort === c.httpPort) fail('tcpPort and httpPort must differ');
  for (const key of ['ircPort', 'tlsPort'] as const) if (c[key] !== null) int(c, key, 0, 65535);
  const ports = [c.tcpPort, c.httpPort, c.ircPort, c.tlsPort].filter((p) => p !== null && p !== 0);
  if (new Set(ports).size !== ports.length) fail('tcpPort, httpPort, ircPort and tlsPort must all differ');
  if (typeof c.tlsCertFile !== 'string' || typeof c.tlsKeyFile !== 'string')
    fail('tlsCertFile and tlsKeyFile must be file paths');
  if ((c.tlsCertFile === '') !== (c.tlsKeyFile === ''))
    fail('set both TLS_CERT_FILE and TLS_KEY_FILE (--tls-cert, --tls-key), or neither');
  if (c.tlsPort !== null && c.tlsCertFile === '') fail('tlsPort needs a certificate: set --tls-cert and --tls-key');
  int(c, 'maxLineBytes', 64, 1024 * 1024);
  int(c, 'maxTextLength', 1, c.maxLineBytes);
  int(c, 'historySize', 0, 1_000_000);
  if (c.history !== 'memory' && c.history !== 'sqlite') fail('history must be memory or sqlite');
  if (typeof c.dataDir !== 'string' || c.dataDir.trim() === '') fail('dataDir must be a directory path');
  if (c.historySync !== 'normal' && c.historySync !== 'full') fail('historySync must be normal or full');
  int(c, 'historyMaxAgeSeconds', 0, 100 * 365 * 86_400);
  int(c, 'maxRooms', 1, 10_000_000);
  int(c, 'maxRoomsPerConnection', 1, 10_000);
  int(c, 'outboundBudgetBytes', c.maxLineBytes * 2, 1024 ** 3);
  num(c, 'ratePerSecond', 0, 1_000_000);
  int(c, 'rateBurst', 1, 1_000_000);
  int(c, 'maxConnections', 1, 10_000_000);
  int(c, 'maxConnectionsPerIp', 1, 10_000_000);
  if (typeof c.limitLoopback !== 'boolean') fail('limitLoopback must be true or false');
  c.trustedProxies = trustedProxies(c.trustedProxies);
  int(c, 'heartbeatMs', 100, 3_600_000);
  int(c, 'idleTimeoutMs', 200, 24 * 3_600_000);
  int(c, 'textIdleTimeoutMs', 200, 24 * 3_600_000);
  if (c.heartbeatMs >= c.idleTimeoutMs) fail('heartbeatMs must be shorter than idleTimeoutMs');
  int(c, 'greetAfterMs', 0, 60_000);
  int(c, 'emptyRoomTtlMs', 0, 30 * 24 * 3_600_000);
  int(c, 'shutdownTimeoutMs', 0, 600_000);
  if (typeof c.serverName !== 'string' || c.serverName.length > 128) fail('serverName must be at most 128 characters');
  if (!LOG_LEVELS.includes(c.logLevel)) fail(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  if (c.historySize > MAX_HISTORY_LIMIT * 1000) fail('historySize is too large');
  int(c, 'workers', 1, 256);
  if (!['off', 'basic', 'strict'].includes(c.filter)) fail('filter must be off, basic or strict');
  if (!['first', 'none'].includes(c.roomOps)) fail('roomOps must be first or none');
  if (typeof c.filterTerms !== 'string') fail('filterTerms must be a file path');
  if (typeof c.motdFile !== 'string') fail('motdFile must be a file path');
  int(c, 'listenBacklog', 1, 1_000_000);
  int(c, 'writeDelayMs', 0, 1_000);
  int(c, 'clusterFlushMs', 0, 100);
  int(c, 'presenceMaxMembers', 0, 10_000_000);
  int(c, 'filterFloodMax', 1, 1000);
  int(c, 'filterFloodWindowMs', 1, 3_600_000);
  int(c, 'filterClassifierUs', 0, 100_000);
  if (typeof c.authSecret !== 'string' || (c.authSecret !== '' && Buffer.byteLength(c.authSecret) < 32)) {
    fail('AUTH_SECRET must be at least 32 bytes (HS256 needs a key as long as its hash)');
  }
  if (c.authSecret !== '' && c.authPublicKey !== '') fail('set AUTH_SECRET or AUTH_PUBLIC_KEY, not both');
  if (typeof c.authPublicKey !== 'string' || (c.authPublicKey !== '' && !c.authPublicKey.includes('BEGIN PUBLIC KEY'))) {
    fail('AUTH_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  if (typeof c.adminToken !== 'string' || (c.adminToken !== '' && Buffer.byteLength(c.adminToken) < 16)) {
    fail('ADMIN_TOKEN must be at least 16 bytes (it guards kick, close and notice)');
  }
  if (
    !Array.isArray(c.allowedOrigins) ||
    !c.allowedOrigins.every((o) => typeof o === 'string' && /^https?:\/\/[^/]+$/.test(o))
  ) {
    fail('allowedOrigins must be origins like https://chat.example.com (scheme and host, no path)');
  }
  c.allowedOrigins = Object.freeze([...c.allowedOrigins]);
  if (typeof c.redisUrl !== 'string' || (c.redisUrl !== '' && !/^rediss?:\/\//.test(c.redisUrl))) {
    fail('REDIS_URL must start with redis:// or rediss://');
  }
  c.redisClusterNodes = redisClusterNodes(c.redisClusterNodes);
  return Object.freeze(c);
}

/** REDIS_CLUSTER_NODES (a comma-separated string) or a list, each `host:port`; frozen. */
function redisClusterNodes(value: unknown): readonly string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list)) fail('REDIS_CLUSTER_NODES must be a list of host:port');
  const nodes = list.map((node: unknown) => (typeof node === 'string' ? node.trim() : node)).filter((node) => node !== '');
  for (const node of nodes) {
    const port = typeof node === 'string' ? /^[^\s/]+:(\d{1,5})$/.exec(node)?.[1] : undefined;
    if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
      fail(`REDIS_CLUSTER_NODES: ${String(node)} is not host:port`);
    }
  }
  return Object.freeze(nodes as string[]);
}

/** Each entry an IP address or CIDR block (`10.0.0.0/8`, `fd00::/8`); the list frozen. */
function trustedProxies(value: unknown): readonly string[] {
  if (!Array.isArray(value)) fail('trustedProxies must be a list of IP addresses or CIDR blocks');
  const entries = value.map((entry: unknown) => (typeof entry === 'string' ? entry.trim() : entry));
  for (const entry of entries) {
    const [address, prefix, extra] = typeof entry === 'string' ? entry.split('/') : [];
    const version = isIP(address ?? '');
    const maxPrefix = version === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (version === 0 || !prefixOk || extra !== undefined) {
      fail(`trustedProxies: '${String(entry)}' is not an IP address or CIDR block`);
    }
  }
  return Object.freeze(entries as string[]);
}

function int<K extends keyof Config>(c: Config, key: K, min: number, max: number): void {
  const v = c[key];
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    fail(`${key} must be an integer from ${min} to ${max} (got ${String(v)})`);
  }
}

function num<K extends keyof Config>(c: Config, key: K, min: number, max: number): void {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail(`${key} must be a number from ${min} to ${max} (got ${String(v)})`);
  }
}

function fail(message: string): never {
  throw new ConfigError(message);
}
