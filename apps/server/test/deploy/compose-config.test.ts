/**
 * The deployment files (infra/) checked by the tools that will read them, since no Docker
 * engine runs here: Debian's docker-compose validates and resolves the compose file,
 * `haproxy -c` the load-balancer config (rendered for loopback as the topology test runs it:
 * only addresses differ from what compose mounts, and its service names resolve only inside
 * compose), `promtool check config` the Prometheus config.
 * Each tool's suite skips with a message when the tool is missing, unless CI is set.
 * Plus what no tool checks: that the three files name the same replicas, that replicas
 * trust exactly the load balancer's address, and that the Dockerfile copies what exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA, findBinary, haproxyEnv, skipWithout } from '../helpers/haproxy.js';

const ROOT = join(INFRA, '..');
const COMPOSE = join(INFRA, 'docker-compose.yml');
const ENV_EXAMPLE = join(INFRA, '.env.example');

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const result = spawnSync(findBinary(command) ?? command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20_000,
    env: options.env ?? process.env,
    input: options.input,
  });
  return { code: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', error: result.error };
}

/** YAML → JSON through the Python that Debian's docker-compose runs on (python3-yaml is its dependency). */
function yamlToJson(text: string): unknown {
  const result = run('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: text,
  });
  if (result.code !== 0) throw new Error(`python3 yaml: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

interface ComposeService {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  ulimits?: { nofile?: { soft: number; hard: number } };
  sysctls?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  networks?: Record<string, { ipv4_address?: string } | null>;
  volumes?: string[];
  command?: string[];
  init?: boolean;
  stop_grace_period?: string;
}

/** `docker-compose config` with every profile, as JSON. */
function resolvedCompose(): { services: Record<string, ComposeService> } {
  const result = run('docker-compose', [
    '--env-file',
    ENV_EXAMPLE,
    '-f',
    COMPOSE,
    '--profile',
    'load',
    '--profile',
    'monitoring',
    'config',
  ]);
  if (result.code !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
  return yamlToJson(result.stdout) as { services: Record<string, ComposeService> };
}

const replicasIn = (services: Record<string, ComposeService>): string[] =>
  Object.keys(services)
    .filter((name) => /^loopchat-\d+$/.test(name))
    .sort();

describe.skipIf(skipWithout(['docker-compose', 'python3'], 'apt-get install docker-compose'))(
  'infra/docker-compose.yml',
  () => {
    it('is valid for docker-compose (config -q), with the example env file', () => {
      const result = run('docker-compose', ['--env-file', ENV_EXAMPLE, '-f', COMPOSE, 'config', '-q']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    it('refuses to run without a Redis password rather than run Redis open', () => {
      const dir = mkdtempSync(join(tmpdir(), 'loopchat-compose-'));
      try {
        const empty = join(dir, 'empty.env');
        writeFileSync(empty, '');
        const env = { ...process.env };
        delete env['REDIS_PASSWORD'];
        const result = run('docker-compose', ['--env-file', empty, '-f', COMPOSE, 'config', '-q'], { env });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/REDIS_PASSWORD/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('runs N cluster-mode replicas on Redis behind HAProxy, trusting only HAProxy’s address', () => {
      const { services } = resolvedCompose();
      const replicas = replicasIn(services);
      expect(replicas.length).toBeGreaterThanOrEqual(2);
      const lbAddress = services['haproxy']?.networks?.['chat']?.ipv4_address;
      expect(lbAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const names = new Set<string>();
      for (const name of replicas) {
        const env = services[name]!.environment!;
        expect(env, name).toMatchObject({ WORKERS: 'auto', HOST: '0.0.0.0', TRUSTED_PROXIES: lbAddress, SERVER_NAME: name });
        expect(env['REDIS_URL'], name).toMatch(/^redis:\/\/:[^@]+@redis:6379$/);
        expect(services[name]!.depends_on?.['redis']?.condition).toBe('service_healthy');
        expect(services[name]!.init).toBe(true);
        names.add(env['SERVER_NAME']!);
      }
      expect(names.size).toBe(replicas.length);
      for (const name of replicas) expect(services['haproxy']!.depends_on?.[name]?.condition).toBe('service_healthy');
      expect(services['redis']!.healthcheck?.test).toBeDefined();
      expect(services['haproxy']!.healthcheck?.test.join(' ')).toMatch(/healthz/);
    });

    it('gives the replicas and HAProxy the descriptors and kernel settings 100k+ connections need', () => {
      const { services } = resolvedCompose();
      for (const name of [...replicasIn(services), 'haproxy']) {
        const service = services[name]!;
        expect(service.ulimits?.nofile?.hard, name).toBeGreaterThanOrEqual(200_000);
        expect(service.ulimits?.nofile?.soft, name).toBeGreaterThanOrEqual(200_000);
        expect(Number(service.sysctls?.['net.core.somaxconn']), name).toBeGreaterThanOrEqual(4096);
      }
      expect(services['haproxy']!.sysctls?.['net.ipv4.ip_local_port_range']).toBe('1024 65535');
    });

    it('has a `load` profile running the k6 chat scenario against HAProxy, and a `monitoring` profile', () => {
      const { services } = resolvedCompose();
      const k6 = services['k6']!;
      expect(k6.profiles).toEqual(['load']);
      expect(k6.image).toMatch(/^grafana\/k6:/);
      // The scenarios import k6/websockets, stable since k6 1.6.0 (apps/loadgen/k6/README.md).
      const [major = 0, minor = 0] = k6.image!.replace('grafana/k6:', '').split('.').map(Number);
      expect(major > 1 || (major === 1 && minor >= 6)).toBe(true);
      expect(k6.environment?.['DURATION']).toBeDefined();
      expect(k6.environment?.['WS_URL']).toBe('ws://haproxy:8080/ws');
      expect(k6.depends_on?.['haproxy']?.condition).toBe('service_healthy');
      const mount = k6.volumes!.find((v) => v.endsWith(':/scripts:ro'))!;
      const script = k6.command!.at(-1)!.replace('/scripts/', '');
      expect(existsSync(join(mount.split(':')[0]!, script)), `${script} in ${mount}`).toBe(true);
      expect(services['prometheus']!.profiles).toEqual(['monitoring']);
    });
  },
);

describe('apps/loadgen/k6/chat-room.js', () => {
  it('is plain JavaScript k6 can run as-is (parses as an ES module, reads WS_URL, has thresholds)', () => {
    const file = join(ROOT, 'apps/loadgen/k6/chat-room.js');
    const result = run(process.execPath, ['--check', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const source = readFileSync(file, 'utf8');
    expect(source).toMatch(/from 'k6\/websockets'/); // k6 >= 1.6: the stable module, not the old k6/ws
    expect(source).toMatch(/__ENV\.WS_URL/);
    expect(source).toMatch(/thresholds:/);
    expect(source).toMatch(/new Trend\(/);
  });
});

describe.skipIf(skipWithout(['haproxy'], 'apt-get install haproxy'))('infra/haproxy.cfg', () => {
  const haproxyCheck = (env: NodeJS.ProcessEnv) => run('haproxy', ['-c', '-f', join(INFRA, 'haproxy.cfg')], { env });

  it('is valid, without a single warning, rendered for loopback as the topology test runs it', () => {
    const env = {
      ...process.env,
      ...haproxyEnv({ tcp: 14000, http: 18080, stats: 18404 }, [
        { tcpPort: 14001, httpPort: 18081 },
        { tcpPort: 14002, httpPort: 18082 },
      ]),
    };
    const result = haproxyCheck(env);
    expect(result.stdout + result.stderr).not.toMatch(/WARNING|ALERT/);
    expect(result.code).toBe(0);
  });

  it('sends PROXY v2 on TCP and X-Forwarded-For on HTTP, to the same replicas the compose file defines', () => {
    const cfg = readFileSync(join(INFRA, 'haproxy.cfg'), 'utf8');
    const tcp = /backend loopchat_tcp\n([\s\S]*?)\n\n/.exec(cfg)![1]!;
    const http = /backend loopchat_http\n([\s\S]*?)\n\n/.exec(cfg)![1]!;
    const servers = (section: string): string[] => [...section.matchAll(/^\s*server (\S+)/gm)].map((m) => m[1]!).sort();
    for (const line of tcp.split('\n').filter((l) => /^\s*server /.test(l))) expect(line).toMatch(/send-proxy-v2/);
    expect(cfg).toMatch(/frontend chat_http[\s\S]*option forwardfor/);
    expect(servers(tcp)).toEqual(servers(http));
    if (findBinary('docker-compose') !== undefined && findBinary('python3') !== undefined) {
      expect(servers(tcp)).toEqual(replicasIn(resolvedCompose().services));
    }
  });
});

describe.skipIf(skipWithout(['promtool'], 'apt-get install prometheus'))('infra/prometheus.yml', () => {
  it('passes promtool check config', () => {
    const result = run('promtool', ['check', 'config', join(INFRA, 'prometheus.yml')]);
    expect(result.stdout + result.stderr).toMatch(/SUCCESS/);
    expect(result.code).toBe(0);
  });

  it('scrapes every replica’s /metrics', () => {
    const text = readFileSync(join(INFRA, 'prometheus.yml'), 'utf8');
    const targets = [...text.matchAll(/"(loopchat-\d+):8080"/g)].map((m) => m[1]!).sort();
    const compose = readFileSync(COMPOSE, 'utf8');
    const replicas = [...compose.matchAll(/^ {2}(loopchat-\d+):$/gm)].map((m) => m[1]!).sort();
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    expect(targets).toEqual(replicas);
  });
});

describe('infra/Dockerfile', () => {
  const dockerfile = readFileSync(join(INFRA, 'Dockerfile'), 'utf8');

  it('builds in stages on Node 20 slim and runs as a non-root user', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20[\w.-]*-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/);
  });

  it('checks /healthz with node (no curl in slim) and starts node in exec form, so SIGTERM reaches it', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "-e", "[^\n]*\/healthz/m);
    expect(dockerfile).toMatch(/^CMD \["node", "apps\/server\/dist\/main\.js"\]$/m);
  });

  it('copies only paths that exist in the build context and are not excluded by .dockerignore', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('!'));
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
      m[1]!.trim().split(/\s+/).slice(0, -1),
    );
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      const clean = source.replace(/\/$/, '');
      for (const pattern of ignored) {
        const regex = new RegExp(`^${pattern.replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}$`);
        expect(regex.test(clean), `${source} is excluded by .dockerignore's ${pattern}`).toBe(false);
      }
    }
  });
});
