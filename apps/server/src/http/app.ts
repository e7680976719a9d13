/**
 * The HTTP side (fastify): health, readiness, Prometheus metrics, JSON stats and the
 * browser chat page. WebSocket upgrades on the same server are handled in transports/ws.ts.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import type { ServerContext } from '../core/context.js';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { ControlChannel } from '../cluster/control-channel.js';
import { clusterStats, collectStats } from './stats-report.js';
import { adminRoutes } from './admin.js';
import { readClientModules, readPageModules } from './client-modules.js';
import type { TlsCredentials } from '../transports/tls-credentials.js';

const CHAT_PAGE = new URL('../../public/index.html', import.meta.url);

/**
 * In cluster mode any worker may answer a scrape (they share the port), so /metrics and
 * /stats ask the primary to gather every worker's view and answer for the whole cluster;
 * `?scope=worker` answers for the worker that took the request.
 */
export function createHttpApp(ctx: ServerContext, metrics: Registry, cluster?: ControlChannel, tls?: TlsCredentials) {
  const app = Fastify({
    // With a certificate (TLS_CERT_FILE), the same port serves HTTPS and WSS instead.
    ...(tls === undefined ? {} : { https: { ...tls.pair } }),
    // Per-request logs would cost more than the requests; fastify reports warnings and errors.
    loggerInstance: ctx.log.child({ component: 'http' }, { level: ctx.log.level === 'info' ? 'warn' : ctx.log.level }),
    bodyLimit: 16 * 1024,
    forceCloseConnections: true,
  });
  const page = readFileSync(CHAT_PAGE);
  const clientModules = readClientModules();
  const pageModules = readPageModules();
  if (clientModules.size === 0) ctx.log.warn('packages/client is not built (npm run build): the chat page cannot load');

  app.get('/healthz', async () => ({ status: 'ok' }));

  // Without a token there is no admin API at all (404), not one that always says 401.
  if (ctx.config.adminToken !== '') void app.register(adminRoutes, { prefix: '/admin', ctx, cluster });

  app.get('/readyz', async (_req, reply) => {
    if (ctx.shuttingDown) return reply.code(503).send({ ready: false, reason: 'shutting down' });
    if (!ctx.hub.bus.ready) return reply.code(503).send({ ready: false, reason: `${ctx.hub.bus.kind} bus unavailable` });
    return { ready: true };
  });

  const workerScope = (query: unknown): boolean => (query as { scope?: string }).scope === 'worker';

  app.get('/metrics', async (req, reply) => {
    reply.header('content-type', metrics.contentType);
    if (cluster === undefined || workerScope(req.query)) return metrics.metrics();
    const perWorker = (await cluster.gather('metrics')) as Parameters<typeof AggregatorRegistry.aggregate>[0];
    return AggregatorRegistry.aggregate(perWorker).metrics();
  });

  app.get('/stats', async (req) => {
    if (cluster === undefined || workerScope(req.query)) return collectStats(ctx);
    return clusterStats((await cluster.gather('stats')) as Parameters<typeof clusterStats>[0]);
  });

  // Browsers ask for it on every page load; an empty answer keeps their consoles clean.
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

  app.get('/', async (_req, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8');
    reply.header(
      'content-security-policy',
      "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
    );
    return page;
  });

  for (const [prefix, modules] of [
    ['/client', clientModules],
    ['/app', pageModules],
  ] as const) {
    app.get<{ Params: { file: string } }>(`${prefix}/:file`, async (req, reply) => {
      const module = modules.get(req.params.file);
      if (module === undefined) return reply.code(404).send();
      reply.header('content-type', 'text/javascript; charset=utf-8');
      return module;
    });
  }

  return app;
}
