/**
 * The server's own view, before and after a run: loopchat's GET /stats (connections, RSS,
 * event-loop delay; single-process and cluster shapes) and GET /metrics
 * (`loopchat_process_cpu_seconds_total` from prom-client's default metrics). Not the hot
 * path: JSON.parse is fine here.
 */
import { request } from 'node:http';

export interface ServerSample {
  atMs: number;
  connections: number | null;
  rssBytes: number | null;
  loopDelayP99Ms: number | null;
  cpuSeconds: number | null;
  deliveries: number | null;
}

export function httpGet(url: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

type Json = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

/** Reads /stats and /metrics under `base`; fields the server does not offer are null. */
export async function sampleServer(base: string): Promise<ServerSample> {
  const sample: ServerSample = {
    atMs: Date.now(),
    connections: null,
    rssBytes: null,
    loopDelayP99Ms: null,
    cpuSeconds: null,
    deliveries: null,
  };
  try {
    const stats = obj(JSON.parse(await httpGet(new URL('/stats', base).href)));
    const proc = obj(stats['process']);
    sample.connections = num(obj(stats['connections'])['total']);
    sample.rssBytes = num(stats['rssBytes']) ?? num(proc['rssBytes']);
    sample.loopDelayP99Ms = num(obj(stats['eventLoopDelayMs'])['p99']) ?? num(obj(proc['eventLoopDelayMs'])['p99']);
    sample.deliveries = num(stats['deliveries']) ?? num(obj(stats['traffic'])['deliveries']);
  } catch {
    // no /stats: leave nulls
  }
  try {
    const metrics = await httpGet(new URL('/metrics', base).href);
    let cpu = 0;
    let found = false;
    for (const m of metrics.matchAll(/^\w*process_cpu_seconds_total(?:\{[^}]*\})? ([\d.e+-]+)$/gm)) {
      cpu += Number(m[1]);
      found = true;
    }
    if (found) sample.cpuSeconds = cpu;
  } catch {
    // no /metrics
  }
  return sample;
}
