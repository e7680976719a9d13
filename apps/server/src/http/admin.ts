/**
 * The admin HTTP API (fastify plugin, registered under /admin only when ADMIN_TOKEN is set):
 *
 *   GET  /admin/connections?limit=N     open connections (oldest first) and the total
 *   POST /admin/kick {nick, reason?}    close that nick's connection with error `kicked`
 *   POST /admin/rooms/:room/close       every member gets a notice and is taken out
 *   POST /admin/notice {text, room?}    a `notice` frame to everyone, or to one room
 *   POST /admin/backup                  an online copy of the history store (the primary's, in a cluster)
 *
 * Every route needs `Authorization: Bearer <ADMIN_TOKEN>`. In cluster mode the worker that
 * takes the request has the primary run the command on every worker (core/admin-commands.ts)
 * and merges the answers; with a Redis bus, "every worker" is this host's cluster only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NICK_PATTERN, ROOM_PATTERN } from '@loopchat/protocol';
import type { ControlChannel } from '../cluster/control-channel.js';
import { mergeAdminResults, runAdminCommand, type AdminCommand, type AdminResult } from '../core/admin-commands.js';
import type { ServerContext } from '../core/context.js';
import { LocalBus } from '../bus/local-bus.js';

export interface AdminOptions {
  ctx: ServerContext;
  cluster: ControlChannel | undefined;
}

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;
const MAX_REASON = 200;

const reason = { type: 'string', minLength: 1, maxLength: MAX_REASON } as const;

export async function adminRoutes(app: FastifyInstance, { ctx, cluster }: AdminOptions): Promise<void> {
  // Both sides hashed: timingSafeEqual needs equal lengths, and a digest leaks neither the
  // token's length nor how much of a guess matched.
  const expected = sha256(ctx.config.adminToken);
  const log = ctx.log.child({ component: 'admin' });

  app.addHook('onRequest', async (req, reply) => {
    if (isAuthorized(req, expected)) return;
    reply.header('www-authenticate', 'Bearer realm="loopchat-admin"');
    return reply.code(401).send({ error: 'unauthorized', message: 'Authorization: Bearer <ADMIN_TOKEN> required' });
  });

  registerBackup(app, ctx, cluster);

  async function run(command: AdminCommand): Promise<AdminResult> {
    if (cluster === undefined) return runAdminCommand(ctx, command);
    return mergeAdminResults(command, await cluster.gather(command));
  }

  app.get(
    '/connections',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
        },
      },
    },
    async (req) => {
      const { limit } = req.query as { limit: number };
      const result = (await run({ admin: 'connections', limit })) as { total: number };
      log.info({ action: 'connections', limit, total: result.total }, 'admin: list connections');
      return { ...result, limit };
    },
  );

  app.post(
    '/kick',
    {
      schema: {
        body: {
          type: 'object',
          required: ['nick'],
          properties: { nick: { type: 'string', pattern: NICK_PATTERN }, reason },
        },
      },
    },
    async (req, reply) => {
      const { nick, reason: why } = req.body as { nick: string; reason?: string };
      const { count } = (await run({ admin: 'kick', nick, ...(why === undefined ? {} : { reason: why }) })) as Count;
      log.info({ action: 'kick', nick, reason: why, kicked: count }, 'admin: kick');
      if (count === 0) return notFound(reply, 'no_such_nick', `no connection holds nick "${nick}"`);
      return { nick, kicked: count };
    },
  );

  app.post(
    '/rooms/:room/close',
    {
      schema: {
        params: { type: 'object', properties: { room: { type: 'string', pattern: ROOM_PATTERN } } },
        body: { type: ['object', 'null'], properties: { reason } },
      },
    },
    async (req, reply) => {
      const room = (req.params as { room: string }).room.toLowerCase();
      const why = (req.body as { reason?: string } | null | undefined)?.reason;
      const { count } = (await run({ admin: 'close', room, ...(why === undefined ? {} : { reason: why }) })) as Count;
      log.info({ action: 'close', room, reason: why, removed: count }, 'admin: close room');
      if (count === 0) return notFound(reply, 'no_such_room', `no connected member is in room "${room}"`);
      return { room, removed: count };
    },
  );

  app.post(
    '/notice',
    {
      schema: {
        body: {
          type: 'object',
          required: ['text'],
          properties: {
            text: { type: 'string', minLength: 1, maxLength: ctx.config.maxTextLength },
            room: { type: 'string', pattern: ROOM_PATTERN },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { text: string; room?: string };
      const room = body.room?.toLowerCase();
      const { count } = (await run({ admin: 'notice', text: body.text, ...(room === undefined ? {} : { room }) })) as Count;
      // The notice text is the operators' own, but logs carry sizes, not texts (logger.ts).
      log.info({ action: 'notice', room, chars: body.text.length, delivered: count }, 'admin: notice');
      if (room !== undefined && count === 0) {
        return notFound(reply, 'no_such_room', `no connected member is in room "${room}"`);
      }
      return { delivered: count, ...(room === undefined ? {} : { room }) };
    },
  );
}

type Count = { count: number };

/**
 * POST /admin/backup: the history file copied while the server runs (history/sqlite-store.ts),
 * into `backups/` under the data dir, by the process holding the store: this one, or in a
 * cluster the primary (over the control plane).
 */
function registerBackup(app: FastifyInstance, ctx: ServerContext, cluster: ControlChannel | undefined): void {
  app.post('/backup', async (_req, reply) => {
    let answer: { file?: string; error?: string };
    if (cluster !== undefined) {
      answer = ((await cluster.gather('backup'))[0] ?? { error: 'the primary did not answer' }) as typeof answer;
    } else {
      const bus = ctx.hub.bus;
      const store = bus instanceof LocalBus ? bus.state.store : undefined;
      answer =
        store?.backup === undefined
          ? { error: 'no_store_here' }
          : await store.backup().then(
              (file) => ({ file }),
              (err: Error) => ({ error: err.message }),
            );
      if (answer.file !== undefined) ctx.log.info({ action: 'backup', file: answer.file }, 'admin: history backup written');
    }
    if (answer.file !== undefined) return { file: answer.file };
    if (answer.error === 'no_store_here') {
      return reply.code(409).send({
        error: 'no_store_here',
        message: 'no durable history store here (memory mode, or Redis)',
      });
    }
    return reply.code(500).send({ error: 'backup_failed', message: answer.error });
  });
}

function isAuthorized(req: FastifyRequest, expected: Buffer): boolean {
  const header = req.headers.authorization;
  if (header === undefined) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match !== null && timingSafeEqual(sha256(match[1]!), expected);
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function notFound(reply: FastifyReply, error: string, message: string): FastifyReply {
  return reply.code(404).send({ error, message });
}
