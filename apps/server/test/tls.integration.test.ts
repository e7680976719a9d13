/**
 * TLS where clients expect it (issue 15): `--tls-port` serves every TCP dialect over TLS,
 * the HTTP port serves HTTPS and WSS, a reload (SIGHUP) swaps the certificate for new
 * connections; and `--irc-port`, where every connection is IRC. The certificates are
 * self-signed, made by openssl in the test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LoopchatServer } from '../src/server.js';
import { ConfigError } from '../src/config.js';
import { TcpTextClient, waitUntil } from './helpers/clients.js';
import { MAIN } from './helpers/cluster.js';
import { skipWithout } from './helpers/haproxy.js';
import { IrcClient } from './helpers/irc-client.js';
import { startTestServer } from './helpers/server.js';

const skip = skipWithout(['openssl'], 'apt-get install openssl');

/** A self-signed certificate for localhost and 127.0.0.1, written to `dir` as cert.pem and key.pem. */
function makeCertificate(dir: string, name: string): void {
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', `/CN=${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
}

/** Opens a TLS connection and returns the socket and the certificate the server showed. */
async function tlsOpen(port: number): Promise<{ socket: TLSSocket; subject: string }> {
  const socket = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  return { socket, subject: socket.getPeerCertificate().subject.CN as string };
}

/** Sends `lines` and resolves with everything read until `until` matches. */
async function converse(socket: TLSSocket, lines: string[], until: RegExp): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.write(lines.map((l) => `${l}\r\n`).join(''));
  await waitUntil(() => until.test(text), 5000, `${until} in ${JSON.stringify(text)}`);
  return text;
}

describe.skipIf(skip)('TLS and the IRC port', () => {
  let dir: string;
  let server: LoopchatServer;
  const cert = (): string => join(dir, 'cert.pem');
  const key = (): string => join(dir, 'key.pem');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopchat-tls-'));
    makeCertificate(dir, 'first');
    server = await startTestServer({ tlsPort: 0, ircPort: 0, tlsCertFile: cert(), tlsKeyFile: key(), serverName: 'tls.test' });
  });
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('serves JSON lines and text mode on the TLS port, verified against the certificate', async () => {
    const socket = tlsConnect({ port: server.tlsPort!, host: '127.0.0.1', ca: readPem(cert()) });
    await once(socket, 'secureConnect');
    expect(socket.authorized).toBe(true);
    const json = await converse(socket, ['{"type":"hello","nick":"secure","id":1}'], /"type":"welcome"/);
    expect(json).toContain('"nick":"secure"');
    socket.destroy();
    const text = (await tlsOpen(server.tlsPort!)).socket;
    expect(await converse(text, ['/nick texttls'], /\* welcome, texttls/)).toBeTruthy();
    text.destroy();
  });

  it('registers irc-framework over TLS and shares a room with a plain-TCP IRC user', async () => {
    const secure = await IrcClient.connect(server.tlsPort!, 'tlsirc', { tls: true });
    const plain = await IrcClient.connect(server.tcpPort, 'plainirc');
    await secure.join('#vault');
    await plain.join('#vault');
    plain.client.say('#vault', 'over plain tcp');
    expect(await secure.waitFor('message', { nick: 'plainirc' })).toMatchObject({ message: 'over plain tcp' });
    secure.close();
    plain.close();
  });

  it('serves HTTPS and WSS on the HTTP port', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.httpPort, path: '/healthz', ca: readPem(cert()), servername: 'localhost' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const ws = new WebSocket(`wss://127.0.0.1:${server.httpPort}/ws`, { ca: readPem(cert()) });
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'hello', nick: 'wssuser', id: 'h' }));
    const [data] = (await once(ws, 'message')) as [Buffer];
    expect(JSON.parse(data.toString())).toMatchObject({ type: 'welcome', nick: 'wssuser' });
    ws.close();
  });

  it('makes every connection on the IRC port IRC, whatever its first line', async () => {
    const irc = await IrcClient.connect(server.ircPort!, 'porty');
    expect(irc.raw.items.some((l) => / 001 porty /.test(l))).toBe(true);
    irc.close();
    const raw = await TcpTextClient.connect(server.ircPort!);
    raw.line('{"type":"hello","nick":"jsonish"}');
    await raw.waitFor(/ 421 \* /);
    raw.line('/nick slashy');
    await raw.waitFor(/ 421 \* \/nick /);
    raw.close();
  });

  it('reloads the certificate for new connections, keeps open ones, and refuses an unusable pair', async () => {
    const before = await tlsOpen(server.tlsPort!);
    expect(before.subject).toBe('first');
    makeCertificate(dir, 'second');
    server.reloadTls();
    const after = await tlsOpen(server.tlsPort!);
    expect(after.subject).toBe('second');
    // The connection made before the reload still works.
    expect(await converse(before.socket, ['/nick oldconn'], /\* welcome, oldconn/)).toBeTruthy();
    writeFileSync(key(), 'not a key');
    expect(() => server.reloadTls()).toThrow(ConfigError);
    expect((await tlsOpen(server.tlsPort!)).subject).toBe('second');
    for (const c of [before, after]) c.socket.destroy();
    makeCertificate(dir, 'second');
  });
});

describe.skipIf(skip)('TLS from the command line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loopchat-tls-cli-'));
    makeCertificate(dir, 'cli-first');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reloads the certificate on SIGHUP and keeps serving', async () => {
    const child = spawn(
      process.execPath,
      [MAIN, '--tcp-port', '0', '--http-port', '0', '--tls-port', '0', '--log-level', 'info'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') },
      },
    );
    try {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      await waitUntil(() => /loopchat listening.*tls/.test(out), 10_000, `listening line in ${out}`);
      const listening = out.split('\n').find((l) => l.includes('loopchat listening'))!;
      const tlsPort = (JSON.parse(listening) as { tls: { port: number } }).tls.port;
      expect((await tlsOpen(tlsPort)).subject).toBe('cli-first');
      makeCertificate(dir, 'cli-second');
      child.kill('SIGHUP');
      await waitUntil(() => out.includes('TLS certificate and key reloaded'), 5000, 'the reload line');
      const after = await tlsOpen(tlsPort);
      expect(after.subject).toBe('cli-second');
      after.socket.destroy();
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses to start with one clear line when the key is missing', async () => {
    const child = spawn(process.execPath, [MAIN, '--tcp-port', '0', '--http-port', '0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'nope.pem')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).not.toBe(0);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/TLS: cannot read the private key \(TLS_KEY_FILE\) .*nope\.pem: ENOENT/);
  });
});

function readPem(path: string): Buffer {
  return readFileSync(path);
}
