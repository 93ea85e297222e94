import type { ServiceContext } from './services/context.ts';

const DAY_MS = 86_400_000;
/** Expired sessions are kept a while so their token answers TOKEN_EXPIRED rather than UNAUTHENTICATED. */
const EXPIRED_SESSION_GRACE_MS = 7 * DAY_MS;

/**
 * Periodic deletion ([SEND-5], [DEL-7]): expired messages, log entries every member passed or
 * older than the retention period, and long-expired sessions.
 */
export function startSweeper(ctx: ServiceContext, extra: () => void): { stop(): void; sweep(): Promise<void> } {
  let running: Promise<void> | undefined;
  const sweep = async (): Promise<void> => {
    const now = ctx.now();
    const expired = await ctx.store.deleteExpiredMessages(now);
    const collected = await ctx.store.collectGarbage(now - ctx.config.retentionDays * DAY_MS);
    await ctx.store.deleteExpiredSessions(now - EXPIRED_SESSION_GRACE_MS);
    await ctx.store.deleteExpiredLinks(now);
    await ctx.store.deleteExpiredRooms(now);
    extra();
    if (expired + collected > 0) ctx.logger.debug({ expired, collected }, 'sweep');
  };
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .catch((err: unknown) => ctx.logger.error({ err }, 'sweep failed'))
      .finally(() => (running = undefined));
  }, ctx.config.sweepIntervalMs);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    sweep,
  };
}
