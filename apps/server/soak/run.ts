#!/usr/bin/env node
/**
 * `npm run soak`: holds 10,000 connections with steady traffic against a server it starts
 * (`node apps/server/dist/main.js`), samples the server's RSS, heap and event-loop delay
 * from /stats every 10 s, accounts for every room message on the receivers, and writes
 * the figures into RELIABILITY.md between the soak markers.
 *
 *   npm run soak -- [--duration 10m] [--connections 10000] [--clients 4] [--rooms 100]
 *                   [--sender-every 100] [--rate 1] [--no-write]
 *
 * Client processes spread their connections over 127.0.0.2…127.0.0.9 (ephemeral ports
 * run out near 28k per source address; each process may hold 20,000 files).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientPlan, ToClient, ToParent } from './client.js';
import { isSender } from './sender.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('./client.js', import.meta.url));
const RELIABILITY = fileURLToPath(new URL('../../../../RELIABILITY.md', import.meta.url));
const SAMPLE_MS = 10_000;
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9'];

function fail(message: string): never {
  console.error(`soak: ${message}`);
  process.exit(2);
}

function duration(value: string): number {
  const m = /^(\d+)(s|m)?$/.exec(value);
  if (m === null) fail('--duration must look like 600, 60s or 10m');
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

function positive(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) fail(`--${name} must be a positive whole number`);
  return Number(value);
}

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    connections: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '4' },
    rooms: { type: 'string', default: '100' },
    'sender-every': { type: 'string', default: '100' },
    rate: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false },
  },
});
const opts = {
  durationMs: duration(values.duration),
  connections: positive('connections', values.connections),
  clients: positive('clients', values.clients),
  rooms: positive('rooms', values.rooms),
  senderEvery: positive('sender-every', values['sender-every']),
  rate: positive('rate', values.rate),
};

interface Sample {
  atS: number;
  rssMb: number;
  heapMb: number;
  lagP99Ms: number;
  connections: number;
}

async function startServer(): Promise<{ child: ChildProcess; tcpPort: number; httpPort: number }> {
  const args = ['--tcp-port', '0', '--http-port', '0', '--rate', '0', '--filter-flood-max', '1000', '--log-level', 'info'];
  // SOAK_NODE_FLAGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const child = spawn(process.execPath, [...(process.env.SOAK_NODE_FLAGS ?? '').split(' ').filter(Boolean), MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
    lines.on('line', (line) => {
      if (!line.includes('loopchat listening')) return;
      const entry = JSON.parse(line) as { tcp: { port: number }; http: { port: number } };
      resolve({ child, tcpPort: entry.tcp.port, httpPort: entry.http.port });
    });
  });
}

function stats(httpPort: number): Promise<{
  connections: { total: number };
  process: { rssBytes: number; heapUsedBytes: number; eventLoopDelayMs: { p99: number } };
}> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: httpPort, path: '/stats', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

function message<K extends ToParent['kind']>(child: ChildProcess, kind: K): Promise<Extract<ToParent, { kind: K }>> {
  return new Promise((resolve) => {
    const on = (m: ToParent): void => {
      if (m.kind !== kind) return;
      child.removeListener('message', on);
      resolve(m as Extract<ToParent, { kind: K }>);
    };
    child.on('message', on);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const started = new Date();
  const server = await startServer();
  console.log(`soak: server pid ${server.child.pid}, tcp ${server.tcpPort}; ${JSON.stringify(opts)}`);
  const per = Math.ceil(opts.connections / opts.clients);
  const perClient = Math.ceil(ADDRESSES.length / opts.clients);
  const children = Array.from({ length: opts.clients }, (_, index) => {
    const plan: ClientPlan = {
      port: server.tcpPort,
      index,
      connections: Math.min(per, opts.connections - index * per),
      first: index * per,
      rooms: opts.rooms,
      senderEvery: opts.senderEvery,
      rate: opts.rate,
      addresses: ADDRESSES.slice(index * perClient, index * perClient + perClient),
    };
    return fork(CLIENT, [JSON.stringify(plan)], { stdio: 'inherit' });
  });
  const rampStarted = Date.now();
  const ready = await Promise.all(children.map((c) => message(c, 'ready')));
  const opened = ready.reduce((n, r) => n + r.opened, 0);
  const rampS = (Date.now() - rampStarted) / 1000;
  console.log(
    `soak: ${opened} connections open in ${rampS.toFixed(1)} s (${ready.reduce((n, r) => n + r.failed, 0)} failed)`,
  );

  const samples: Sample[] = [];
  const sample = async (): Promise<void> => {
    const s = await stats(server.httpPort);
    samples.push({
      atS: Math.round((Date.now() - goAt) / 1000),
      rssMb: s.process.rssBytes / 2 ** 20,
      heapMb: s.process.heapUsedBytes / 2 ** 20,
      lagP99Ms: s.process.eventLoopDelayMs.p99,
      connections: s.connections.total,
    });
    const last = samples.at(-1)!;
    console.log(
      `soak: t=${last.atS}s rss ${last.rssMb.toFixed(0)} MiB heap ${last.heapMb.toFixed(0)} MiB lag p99 ${last.lagP99Ms.toFixed(1)} ms conns ${last.connections}`,
    );
  };
  const goAt = Date.now();
  await sample();
  for (const c of children) c.send({ kind: 'go' } satisfies ToClient);
  while (Date.now() - goAt < opts.durationMs) {
    await sleep(Math.min(SAMPLE_MS, opts.durationMs - (Date.now() - goAt)));
    await sample();
  }
  for (const c of children) c.send({ kind: 'stop' } satisfies ToClient);
  await sleep(3000); // the last messages and acks in flight
  const reports = await Promise.all(
    children.map((c) => {
      const report = message(c, 'report');
      c.send({ kind: 'report' } satisfies ToClient);
      return report;
    }),
  );
  const result = account(reports, opened, rampS, samples, started);
  for (const c of children) c.kill();
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
  console.log(result.markdown);
  if (!values['no-write']) writeSection(result.markdown);
  process.exit(result.ok ? 0 : 1);
}

function account(
  reports: Extract<ToParent, { kind: 'report' }>[],
  opened: number,
  rampS: number,
  samples: Sample[],
  started: Date,
) {
  const finalSeq: Record<string, number> = {};
  const received: Record<string, number> = {};
  for (const r of reports) {
    for (const [room, seq] of Object.entries(r.acked)) finalSeq[room] = Math.max(finalSeq[room] ?? 0, seq);
    for (const [room, n] of Object.entries(r.received)) received[room] = (received[room] ?? 0) + n;
  }
  let expected = 0;
  for (let g = 0; g < opts.connections; g++) {
    if (!isSender(g, opts.rooms, opts.senderEvery)) expected += finalSeq[`soak${g % opts.rooms}`] ?? 0;
  }
  const got = Object.values(received).reduce((a, b) => a + b, 0);
  const sent = Object.values(finalSeq).reduce((a, b) => a + b, 0);
  const gaps = reports.reduce((n, r) => n + r.gaps, 0);
  const closed = reports.reduce((n, r) => n + r.closed, 0);
  const rss = samples.map((s) => s.rssMb);
  const lags = samples.map((s) => s.lagP99Ms);
  const f = (n: number): string => n.toFixed(0);
  const seconds = Math.round((samples.at(-1)?.atS ?? 0) - (samples[0]?.atS ?? 0));
  const markdown = [
    `### Soak run, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC (${seconds} s of traffic)`,
    '',
    `Command: \`npm run soak -- --duration ${values.duration} --connections ${opts.connections} --clients ${opts.clients} --rooms ${opts.rooms} --sender-every ${opts.senderEvery} --rate ${opts.rate}\``,
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; server and client processes share it.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| connections open | ${opened} (ramp ${rampS.toFixed(1)} s), ${closed} closed during the run |`,
    `| traffic | ${Math.ceil(opts.connections / opts.senderEvery)} senders × ${opts.rate} msg/s in ${opts.rooms} rooms; ${sent} messages sequenced, ${got} deliveries counted |`,
    `| server RSS start / end / max | ${f(rss[0] ?? 0)} / ${f(rss.at(-1) ?? 0)} / ${f(Math.max(...rss))} MiB |`,
    `| server heap start / end | ${f(samples[0]?.heapMb ?? 0)} / ${f(samples.at(-1)?.heapMb ?? 0)} MiB |`,
    `| event-loop delay p99 (worst 10 s window / median window) | ${Math.max(...lags).toFixed(1)} / ${(lags.sort((a, b) => a - b)[Math.floor(lags.length / 2)] ?? 0).toFixed(1)} ms |`,
    `| loss (receiver deliveries expected − counted) | ${expected - got} of ${expected}; seq gaps seen: ${gaps} |`,
    '',
  ].join('\n');
  return { markdown, ok: expected > 0 && expected === got && gaps === 0 && closed === 0 };
}

function writeSection(markdown: string): void {
  const text = readFileSync(RELIABILITY, 'utf8');
  const start = '<!-- soak:start -->';
  const end = '<!-- soak:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) fail(`RELIABILITY.md has no ${start} … ${end} markers`);
  writeFileSync(RELIABILITY, `${text.slice(0, from + start.length)}\n${markdown}\n${text.slice(to)}`);
}

await main();
