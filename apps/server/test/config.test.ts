/**
 * Configuration (config.ts, cli.ts, main.ts): values checked once at startup into a frozen
 * object; a bad value is one clear line on stderr and a non-zero exit; flags beat the
 * environment, which beats the defaults.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/cli.js';
import { ConfigError, DEFAULTS, resolveConfig, type Config } from '../src/config.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('resolveConfig', () => {
  it('returns the defaults, frozen, when given nothing', () => {
    const config = resolveConfig();
    expect(config).toEqual(DEFAULTS);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
  });

  it('applies overrides and ignores undefined ones', () => {
    const config = resolveConfig({ tcpPort: 0, httpPort: 0, historySize: 5, maxRooms: undefined });
    expect(config).toMatchObject({ tcpPort: 0, httpPort: 0, historySize: 5, maxRooms: DEFAULTS.maxRooms });
  });

  it.each<[string, Partial<Config>]>([
    ['a port above 65535', { tcpPort: 70000 }],
    ['a negative port', { httpPort: -1 }],
    ['a fractional port', { tcpPort: 80.5 }],
    ['a NaN value', { historySize: Number.NaN }],
    ['a negative history size', { historySize: -5 }],
    ['a negative rate', { ratePerSecond: -1 }],
    ['an infinite rate', { ratePerSecond: Number.POSITIVE_INFINITY }],
    ['a zero rate burst', { rateBurst: 0 }],
    ['heartbeatMs equal to idleTimeoutMs', { heartbeatMs: 1000, idleTimeoutMs: 1000 }],
    ['heartbeatMs longer than idleTimeoutMs', { heartbeatMs: 5000, idleTimeoutMs: 1000 }],
    ['an unknown log level', { logLevel: 'loud' }],
    ['the same non-zero TCP and HTTP port', { tcpPort: 5000, httpPort: 5000 }],
    ['an empty host', { host: '' }],
    ['an outbound budget smaller than two lines', { maxLineBytes: 8192, outboundBudgetBytes: 1000 }],
    ['a text limit over the line limit', { maxLineBytes: 1024, maxTextLength: 2000 }],
    ['a non-boolean limitLoopback', { limitLoopback: 'yes' as unknown as boolean }],
    ['a string where a number belongs', { maxConnections: '10' as unknown as number }],
    ['a negative greeting delay', { greetAfterMs: -1 }],
    ['a greeting delay over a minute', { greetAfterMs: 60_001 }],
  ])('rejects %s with ConfigError', (_what, overrides) => {
    expect(() => resolveConfig(overrides)).toThrow(ConfigError);
  });

  it('names the offending setting in the one-line message', () => {
    try {
      resolveConfig({ tcpPort: 70000 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/tcpPort/);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('accepts the boundaries: port 0 and 65535, rate 0 (unlimited), heartbeat just under the idle timeout', () => {
    expect(() => resolveConfig({ tcpPort: 65535, httpPort: 0, ratePerSecond: 0, heartbeatMs: 999, idleTimeoutMs: 1000 })).not.toThrow();
  });

  it('greets after 1 s by default; 0 (never) is accepted', () => {
    expect(DEFAULTS.greetAfterMs).toBe(1000);
    expect(resolveConfig({ greetAfterMs: 0 }).greetAfterMs).toBe(0);
    expect(parseCommandLine(['--greet-after-ms', '250'], {}).greetAfterMs).toBe(250);
    expect(parseCommandLine([], { GREET_AFTER_MS: '0' }).greetAfterMs).toBe(0);
  });
});

describe('parseCommandLine', () => {
  it('lets a flag beat the environment, and the environment beat the defaults', () => {
    const env = { TCP_PORT: '5002', HTTP_PORT: '8082', HISTORY_SIZE: '7' };
    const config = parseCommandLine(['--tcp-port', '5001', '--history-size', '3'], env);
    expect(config.tcpPort).toBe(5001);
    expect(config.httpPort).toBe(8082);
    expect(config.historySize).toBe(3);
    expect(config.maxRooms).toBe(DEFAULTS.maxRooms);
  });

  // Every flag with a value that differs from its default: a flag whose commander attribute
  // name is not the config key would be parsed and then silently dropped.
  const EVERY_FLAG: [keyof Config, string[], unknown][] = [
    ['host', ['--host', '0.0.0.0'], '0.0.0.0'],
    ['tcpPort', ['--tcp-port', '4100'], 4100],
    ['httpPort', ['--http-port', '8100'], 8100],
    ['maxLineBytes', ['--max-line-bytes', '16384'], 16384],
    ['maxTextLength', ['--max-text-length', '100'], 100],
    ['historySize', ['--history-size', '9'], 9],
    ['maxRooms', ['--max-rooms', '9'], 9],
    ['maxRoomsPerConnection', ['--max-rooms-per-connection', '9'], 9],
    ['outboundBudgetBytes', ['--outbound-budget-bytes', '99999'], 99999],
    ['ratePerSecond', ['--rate', '2.5'], 2.5],
    ['rateBurst', ['--rate-burst', '9'], 9],
    ['maxConnections', ['--max-connections', '9'], 9],
    ['maxConnectionsPerIp', ['--max-connections-per-ip', '9'], 9],
    ['limitLoopback', ['--limit-loopback'], true],
    ['heartbeatMs', ['--heartbeat-ms', '999'], 999],
    ['idleTimeoutMs', ['--idle-timeout-ms', '99999'], 99999],
    ['textIdleTimeoutMs', ['--text-idle-timeout-ms', '9999'], 9999],
    ['emptyRoomTtlMs', ['--empty-room-ttl-ms', '9'], 9],
    ['shutdownTimeoutMs', ['--shutdown-timeout-ms', '9'], 9],
    ['serverName', ['--server-name', 'test-name'], 'test-name'],
    ['logLevel', ['--log-level', 'warn'], 'warn'],
  ];

  it.each(EVERY_FLAG)('applies the %s flag (%j)', (key, args, expected) => {
    expect(DEFAULTS[key]).not.toEqual(expected);
    expect(parseCommandLine(args, {})[key]).toEqual(expected);
  });

  it('applies every flag given together', () => {
    const config = parseCommandLine(EVERY_FLAG.flatMap(([, args]) => args), {});
    const wrong = EVERY_FLAG.filter(([key, , expected]) => config[key] !== expected).map(([key]) => key);
    expect(wrong).toEqual([]);
  });

  it('does not even parse an environment value that a flag overrides', () => {
    expect(parseCommandLine(['--tcp-port', '5001'], { TCP_PORT: 'abc' }).tcpPort).toBe(5001);
  });

  it('reads booleans from the environment and from a bare flag', () => {
    expect(parseCommandLine([], { LIMIT_LOOPBACK: 'yes' }).limitLoopback).toBe(true);
    expect(parseCommandLine([], { LIMIT_LOOPBACK: '0' }).limitLoopback).toBe(false);
    expect(parseCommandLine(['--limit-loopback'], { LIMIT_LOOPBACK: 'false' }).limitLoopback).toBe(true);
  });

  it('ignores an empty environment variable', () => {
    expect(parseCommandLine([], { TCP_PORT: '' }).tcpPort).toBe(DEFAULTS.tcpPort);
  });

  it('rejects a malformed environment value, naming the variable', () => {
    expect(() => parseCommandLine([], { TCP_PORT: 'abc' })).toThrow(/TCP_PORT/);
    expect(() => parseCommandLine([], { RATE_PER_SECOND: 'fast' })).toThrow(/RATE_PER_SECOND/);
    expect(() => parseCommandLine([], { LIMIT_LOOPBACK: 'maybe' })).toThrow(/LIMIT_LOOPBACK/);
  });

  it('rejects an environment value out of range with ConfigError', () => {
    expect(() => parseCommandLine([], { TCP_PORT: '70000' })).toThrow(ConfigError);
  });
});

/** Runs the compiled CLI and collects its exit code and stderr (the tests expect it to exit before listening). */
async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -b\` first (npm test does)`);
  const child = spawn(process.execPath, [MAIN, '--http-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr, stdout };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('the CLI with a bad value', () => {
  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['--tcp-port abc', ['--tcp-port', 'abc'], {}, /--tcp-port/],
    ['TCP_PORT=abc', [], { TCP_PORT: 'abc' }, /TCP_PORT/],
    ['--tcp-port 70000', ['--tcp-port', '70000'], {}, /tcp-?port/i],
    ['--log-level loud', ['--log-level', 'loud'], {}, /log-?level/i],
    ['--heartbeat-ms 5000 --idle-timeout-ms 1000', ['--heartbeat-ms', '5000', '--idle-timeout-ms', '1000'], {}, /heartbeat/i],
  ])('%s: exits non-zero with exactly one line on stderr naming the option, and starts nothing', async (_what, args, env, mentions) => {
    const { code, stderr, stdout } = await runCli(args, env);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(mentions);
    expect(stdout).not.toContain('loopchat listening');
  });

  it('an unknown flag: exits non-zero naming the flag, and starts nothing', async () => {
    const { code, stderr, stdout } = await runCli(['--tcp-prot', '4000']);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(lines(stderr)[0]).toMatch(/--tcp-prot/);
    expect(stdout).not.toContain('loopchat listening');
  });

  it('lets a valid --tcp-port win over a malformed TCP_PORT and starts', async () => {
    const child = spawn(process.execPath, [MAIN, '--tcp-port', '0', '--http-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TCP_PORT: 'abc', LOG_LEVEL: 'info' },
    });
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('loopchat listening')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      expect(stdout).toMatch(/"port":\d+/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('trustedProxies (--trusted-proxies / TRUSTED_PROXIES)', () => {
  it('defaults to no proxy trusted', () => {
    expect(DEFAULTS.trustedProxies).toEqual([]);
    expect(parseCommandLine([], {}).trustedProxies).toEqual([]);
  });

  it('reads a comma-separated list of addresses and CIDR blocks, flag over environment, frozen', () => {
    const fromEnv = parseCommandLine([], { TRUSTED_PROXIES: ' 10.0.0.0/8, 127.0.0.1 ,fd00::/8,' });
    expect(fromEnv.trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
    expect(Object.isFrozen(fromEnv.trustedProxies)).toBe(true);
    const fromFlag = parseCommandLine(['--trusted-proxies', '172.18.0.2'], { TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(fromFlag.trustedProxies).toEqual(['172.18.0.2']);
  });

  it.each(['haproxy', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', '10.0.0.0/', '', '*'])('rejects %j naming the setting', (entry) => {
    expect(() => resolveConfig({ trustedProxies: [entry] })).toThrow(/trustedProxies/);
  });

  it('rejects a value that is not a list', () => {
    expect(() => resolveConfig({ trustedProxies: '10.0.0.1' as unknown as string[] })).toThrow(ConfigError);
  });
});

describe('redisClusterNodes (REDIS_CLUSTER_NODES, environment only)', () => {
  it('defaults to none, reads a comma-separated host:port list from the environment, frozen', () => {
    expect(parseCommandLine([], {}).redisClusterNodes).toEqual([]);
    const config = parseCommandLine([], { REDIS_CLUSTER_NODES: ' 127.0.0.1:7000, redis-2:7001 ,' });
    expect(config.redisClusterNodes).toEqual(['127.0.0.1:7000', 'redis-2:7001']);
    expect(Object.isFrozen(config.redisClusterNodes)).toBe(true);
  });

  it.each(['redis-1', 'redis-1:', ':7000', 'redis-1:70000', 'redis://redis-1:7000'])(
    'rejects %j naming the variable',
    (node) => {
      expect(() => parseCommandLine([], { REDIS_CLUSTER_NODES: node })).toThrow(/REDIS_CLUSTER_NODES/);
    },
  );
});
