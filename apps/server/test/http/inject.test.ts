/**
 * fastify's `inject` (light-my-request) runs on the cookie package that the root
 * package.json pins through `overrides` (cookie 1.x: cookie 2 requires Node 22, and the
 * README promises Node 20). These tests are the check that the pin still works: a request
 * cookie is encoded with cookie's stringifySetCookie, which cookie 1.1 provides.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

describe('fastify inject on the pinned cookie package', () => {
  const app = Fastify();
  app.get('/echo', async (req) => ({ cookie: req.headers.cookie ?? null }));
  app.get('/set', async (_req, reply) => reply.header('set-cookie', 'session=abc; Path=/; HttpOnly').send('ok'));

  it('sends the cookies option as a Cookie header', async () => {
    const res = await app.inject({ method: 'GET', url: '/echo', cookies: { a: '1', b: 'two words' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ cookie: 'a=1; b=two%20words' });
  });

  it('leaves out a cookie whose path does not match the request', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/echo',
      cookies: [
        { name: 'kept', value: 'x', path: '/' },
        { name: 'dropped', value: 'y', path: '/admin' },
      ],
    } as never);
    expect(res.json()).toEqual({ cookie: 'kept=x' });
  });

  it('parses Set-Cookie on the response', async () => {
    const res = await app.inject({ method: 'GET', url: '/set' });
    expect(res.cookies).toEqual([expect.objectContaining({ name: 'session', value: 'abc', path: '/', httpOnly: true })]);
  });
});
