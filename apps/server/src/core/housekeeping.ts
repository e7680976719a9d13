/**
 * One timer for every connection: heartbeats, idle timeouts and empty-room expiry are a
 * sweep over all sessions a few times per heartbeat interval, not a timer per socket
 * (10,000 Timeout objects would cost memory and timer-list churn on every read).
 */
import type { ServerContext } from './context.js';

export function startHousekeeping(ctx: ServerContext): NodeJS.Timeout {
  const every = Math.min(5_000, Math.max(50, Math.floor(ctx.config.heartbeatMs / 4)));
  const timer = setInterval(sweep, every, ctx);
  timer.unref();
  return timer;
}

export function sweep(ctx: ServerContext): void {
  const now = Date.now();
  const { heartbeatMs, idleTimeoutMs, textIdleTimeoutMs } = ctx.config;
  for (const session of ctx.sessions) {
    if (session.isClosing) continue;
    const quiet = now - session.lastInboundAt;
    const limit = session.isText ? textIdleTimeoutMs : idleTimeoutMs;
    if (quiet >= limit) {
      session.closeWithError('idle_timeout');
    } else if (quiet >= heartbeatMs && now - session.lastProbeAt >= heartbeatMs) {
      session.probe(now);
    }
  }
  ctx.hub.bus.sweep(now);
}
