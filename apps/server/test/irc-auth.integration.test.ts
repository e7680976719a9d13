/**
 * IRC with sign-in on (AUTH_SECRET, issue 15): the loopchat token travels as PASS or as the
 * SASL PLAIN password (account = nick), both with irc-framework; a missing or wrong one is
 * 464 and ERROR, and SASL refuses it with 904 before registration.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopchatServer } from '../src/server.js';
import { TcpTextClient } from './helpers/clients.js';
import { IrcClient } from './helpers/irc-client.js';
import { startTestServer } from './helpers/server.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

function token(sub: string): Promise<string> {
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
}

describe('IRC with sign-in (AUTH_SECRET)', () => {
  let server: LoopchatServer;
  beforeAll(async () => {
    server = await startTestServer({ authSecret: SECRET, serverName: 'irc.test' });
  });
  afterAll(() => server.close());

  it('registers with the token as PASS', async () => {
    const irc = await IrcClient.connect(server.tcpPort, 'passer', { password: await token('passer') });
    expect(irc.raw.items.some((l) => / 001 passer /.test(l))).toBe(true);
    irc.close();
  });

  it('registers with the token as the SASL PLAIN password (900, 903)', async () => {
    const irc = await IrcClient.connect(server.tcpPort, 'sasler', { account: { account: 'sasler', password: await token('sasler') } });
    expect(irc.raw.items.some((l) => / 903 sasler /.test(l) || / 903 \* /.test(l))).toBe(true);
    expect(irc.raw.items.some((l) => / 001 sasler /.test(l))).toBe(true);
    irc.close();
  });

  it('refuses a token for another nick: SASL 904, then 464 and ERROR at registration', async () => {
    const client = await TcpTextClient.connect(server.tcpPort);
    const plain = Buffer.from(`\0mallory\0${await token('alice')}`).toString('base64');
    client.socket.write(`CAP LS 302\r\nCAP REQ :sasl\r\nNICK mallory\r\nUSER m 0 * :M\r\nAUTHENTICATE PLAIN\r\n`);
    await client.waitFor(/^AUTHENTICATE \+/);
    client.socket.write(`AUTHENTICATE ${plain}\r\n`);
    await client.waitFor(/ 904 mallory :SASL authentication failed/);
    client.socket.write(`PASS ${await token('alice')}\r\nCAP END\r\n`);
    await client.waitFor(/ 464 \S+ :the token is for another nick/);
    await client.waitFor(/^ERROR :Closing link/);
    await client.closed();
  });
});
