import type { FastifyInstance } from 'fastify';
import cluster from 'node:cluster';
import { randomInt } from 'node:crypto';
import { refuseUnsafeSettings } from '../config/check-safety.js';
import type { Config } from '../config/schema.js';
import { createRuntime } from '../runtime.js';
import { trackConnections } from './drain-connections.js';
import { DRAIN, RECYCLE, isSupervisorMessage } from './worker-messages.js';

/**
 * One serving process: builds the app, listens on the shared port, and drains on SIGTERM,
 * SIGINT, the primary's drain message, or the primary going away. Resolves when it has
 * stopped; the process then exits 0 (or 1 if it could not start).
 *
 * @example
 * if (cluster.isWorker) await runWorker(config);
 */
export async function runWorker(config: Config): Promise<void> {
  // Signals can arrive while the app is still starting: remember them and act once it listens.
  let started = false;
  let pending: string | undefined;
  let stop = (_why: string): void => undefined;
  const request = (why: string): void => (started ? stop(why) : void (pending ??= why));
  // A stop sent to the whole process group (systemd, Ctrl-C) drains too.
  process.on('SIGTERM', () => request('SIGTERM'));
  process.on('SIGINT', () => request('SIGINT'));
  process.on('SIGHUP', () => undefined); // reloads are the primary's job
  process.on('message', (message: unknown) => {
    if (isSupervisorMessage(message, DRAIN)) request('primary');
  });
  // Orphaned (the primary died): finish what we have and leave rather than serve unsupervised.
  process.on('disconnect', () => request('primary_gone'));

  // The primary checked these settings before forking, but the file may have changed since.
  refuseUnsafeSettings(config);
  const runtime = await createRuntime(config);
  const { app } = runtime;
  const drainer = trackConnections(app.server);

  watchRequestBudget(config, app);

  let stopped: Promise<void> | undefined;
  let markStopped = (): void => undefined;
  const finished = new Promise<void>((resolve) => (markStopped = resolve));
  stop = (why: string): void => {
    stopped ??= (async () => {
      runtime.setDraining();
      app.log.info({ event: 'worker_draining', why }, 'worker draining');
      const clean = await drainer.drain(config.gracefulTimeout * 1000);
      if (!clean) app.log.warn({ event: 'worker_drain_timeout' }, 'graceful timeout: open connections were closed');
      await runtime.close();
      app.log.info({ event: 'worker_stopped' }, 'worker stopped');
    })().finally(markStopped);
  };

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    app.log.fatal({ event: 'worker_listen_failed', err: error }, 'worker could not listen');
    await runtime.close().catch(() => undefined);
    throw error;
  }
  app.log.info({ event: 'worker_listening', worker: cluster.worker?.id }, 'worker listening');
  started = true;
  if (pending !== undefined) stop(pending);
  await finished;
}

/** Gunicorn's max_requests: after N + random(jitter) responses, ask the primary for a replacement. */
function watchRequestBudget(config: Config, app: FastifyInstance): void {
  if (config.maxRequests <= 0 || !cluster.isWorker) return;
  const budget = config.maxRequests + randomInt(0, config.maxRequestsJitter + 1);
  let served = 0;
  app.server.on('request', () => {
    served += 1;
    if (served === budget && process.connected) process.send?.({ type: RECYCLE });
  });
}
