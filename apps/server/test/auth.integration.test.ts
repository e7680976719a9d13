import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import type { LoopchatServer } from '../src/server.js';
import { TcpJsonClient, WsClient } from './helpers/clients.js';
import { startTestServer } from './helpers/server.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const key = new TextEncoder().encode(SECRET);

function token(claims: Record<string, unknown>, expiresIn: string | number = '5m', secret = key): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn).sign(secret);
}

let server: LoopchatServer | undefined;
const open: { close(): void }[] = [];
async function start(overrides: Partial<Config> = {}): Promise<LoopchatServer> {
  server = await startTestServer(overrides);
  return server;
}
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function tcp(): Promise<TcpJsonClient> {
  const c = await TcpJsonClient.connect(server!.tcpPort);
  open.push(c);
  return c;
}

describe('without AUTH_SECRET (anonymous nicks)', () => {
  it('admits anyone to public rooms and no one to private ones', async () => {
    await start();
    const c = await tcp();
    await c.hello('anon');
    await c.join('lobby');
    c.send({ type: 'join', room: 'private.ops', id: 'p' });
    expect(await c.waitFor({ id: 'p' })).toMatchObject({ type: 'error', code: 'forbidden' });
  });
});

describe('with AUTH_SECRET (HS256 tokens)', () => {
  it('refuses a hello without a token, with a bad signature, expired, or for another nick, and closes', async () => {
    await start({ authSecret: SECRET });
    const cases = [
      undefined,
      await token({ sub: 'alice' }, '5m', new TextEncoder().encode('another-secret-that-is-also-32-bytes-long')),
      await token({ sub: 'alice' }, Math.floor(Date.now() / 1000) - 10),
      await token({ sub: 'mallory' }),
      'not.a.jwt',
    ];
    for (const t of cases) {
      const c = await tcp();
      c.send({ type: 'hello', nick: 'alice', id: 1, ...(t === undefined ? {} : { token: t }) });
      expect(await c.waitFor({ type: 'error' })).toMatchObject({ code: 'unauthorized' });
      await c.closed();
    }
  });

  it('accepts a valid token whose sub is the nick (any case)', async () => {
    await start({ authSecret: SECRET });
    const c = await tcp();
    c.send({ type: 'hello', nick: 'Alice', token: await token({ sub: 'alice' }), id: 1 });
    expect(await c.waitFor({ id: 1 })).toMatchObject({ type: 'welcome', nick: 'Alice' });
  });

  it('lets a token open exactly the private rooms its rooms claim names', async () => {
    await start({ authSecret: SECRET });
    const c = await tcp();
    c.send({ type: 'hello', nick: 'ops1', token: await token({ sub: 'ops1', rooms: ['private.ops'] }), id: 1 });
    await c.waitFor({ type: 'welcome' });
    await c.join('private.ops');
    c.send({ type: 'join', room: 'private.hr', id: 'hr' });
    expect(await c.waitFor({ id: 'hr' })).toMatchObject({ type: 'error', code: 'forbidden' });
    // Without membership there is no history either.
    c.send({ type: 'history', room: 'private.hr', id: 'h' });
    expect(await c.waitFor({ id: 'h' })).toMatchObject({ type: 'error', code: 'not_in_room' });
  });

  it('takes the WebSocket token from ?token= on the URL', async () => {
    await start({ authSecret: SECRET });
    const ws = await WsClient.connect(server!.httpPort, {}, `/ws?token=${await token({ sub: 'webby' })}`);
    open.push(ws);
    ws.send({ type: 'hello', nick: 'webby', id: 1 });
    expect(await ws.waitFor({ id: 1 })).toMatchObject({ type: 'welcome' });
  });

  it('verifies ES256 tokens against AUTH_PUBLIC_KEY', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await start({ authPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const signer = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ES256');
    const es = await new SignJWT({ sub: 'ecnick' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(signer);
    const c = await tcp();
    c.send({ type: 'hello', nick: 'ecnick', token: es, id: 1 });
    expect(await c.waitFor({ id: 1 })).toMatchObject({ type: 'welcome' });
    const bad = await tcp();
    bad.send({ type: 'hello', nick: 'ecnick2', token: await token({ sub: 'ecnick2' }), id: 2 });
    expect(await bad.waitFor({ type: 'error' })).toMatchObject({ code: 'unauthorized' });
  });
});

describe('WebSocket Origin checks', () => {
  function upgradeStatus(port: number, origin: string | undefined): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, origin === undefined ? {} : { origin });
      ws.on('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => {});
    });
  }

  it('refuses a foreign page (403) but admits its own host, listed origins and non-browser clients', async () => {
    await start({ allowedOrigins: ['https://chat.example.com'] });
    const port = server!.httpPort;
    expect(await upgradeStatus(port, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(port, `http://127.0.0.1:${port}`)).toBe(101);
    expect(await upgradeStatus(port, 'https://chat.example.com')).toBe(101);
    expect(await upgradeStatus(port, undefined)).toBe(101);
  });
});
