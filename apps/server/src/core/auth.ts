/**
 * Who may use a nick, and which rooms: signed tokens (JWT) checked at `hello`.
 *
 * - AUTH_SECRET set: HS256 tokens signed with it. AUTH_PUBLIC_KEY set (PEM): ES256 tokens
 *   verified with it (the issuer keeps the private key; servers never see it).
 * - `sub` is the nick (the `hello` nick must match it, ignoring case); `exp` is required and
 *   enforced; an optional `rooms` claim (array of room names, or "*") lists the private
 *   rooms the holder may join.
 * - Neither set: anonymous nicks, first come first served (the development default; the
 *   server says so at startup). Private rooms then admit no one.
 *
 * Rooms named `private.*` are private: only a token naming them (or "*") gets in, and since
 * history and membership go together, no one else can read them either.
 */
import { createHash, createPublicKey, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify, type JWTVerifyGetKey, type KeyObject } from 'jose';
import type { Config } from '../config.js';

export const PRIVATE_ROOM_PREFIX = 'private.';

export interface Grant {
  nick: string;
  /** Private rooms the holder may join; '*' for all. */
  rooms: readonly string[];
  /** A server admin (token claim `admin: true`, or the ADMIN_TOKEN): an operator in every room. */
  admin?: boolean;
}

export interface Authenticator {
  /** Verifies a token for `nick`; a Grant, or why not (a message for the client). */
  verify(token: string | undefined, nick: string): Promise<Grant | string>;
}

export function createAuthenticator(config: Readonly<Config>): Authenticator | undefined {
  if (config.authSecret === '' && config.authPublicKey === '') return undefined;
  const key: Uint8Array | KeyObject | JWTVerifyGetKey =
    config.authSecret !== '' ? new TextEncoder().encode(config.authSecret) : createPublicKey(config.authPublicKey);
  const algorithms = config.authSecret !== '' ? ['HS256'] : ['ES256'];
  return {
    async verify(token, nick) {
      if (token === undefined || token === '') return 'a token is required (hello.token, or ?token= on the WebSocket URL)';
      try {
        const { payload } = await jwtVerify(token, key as Uint8Array, { algorithms, requiredClaims: ['sub', 'exp'] });
        if (typeof payload.sub !== 'string' || payload.sub.toLowerCase() !== nick.toLowerCase()) {
          return 'the token is for another nick';
        }
        const rooms = payload['rooms'];
        const list =
          rooms === '*' ? ['*'] : Array.isArray(rooms) ? rooms.filter((r): r is string => typeof r === 'string') : [];
        return { nick: payload.sub, rooms: list.map((r) => r.toLowerCase()), admin: payload['admin'] === true };
      } catch (err) {
        if (err instanceof errors.JWTExpired) return 'the token has expired';
        return 'the token is not valid';
      }
    },
  };
}

/** Whether a session holding `grant` (null: anonymous) may join `room`. */
export function mayJoin(room: string, grant: Grant | null): boolean {
  if (!room.startsWith(PRIVATE_ROOM_PREFIX)) return true;
  return grant !== null && (grant.rooms.includes('*') || grant.rooms.includes(room));
}

/**
 * Whether `token` is the server's ADMIN_TOKEN (unset: nothing is). Compared as digests in
 * constant time, as the admin HTTP API does, so timing tells nothing about it.
 */
export function isAdminToken(adminToken: string, token: string | undefined): boolean {
  if (adminToken === '' || token === undefined || token === '') return false;
  return timingSafeEqual(sha256(adminToken), sha256(token));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
