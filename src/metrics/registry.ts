import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestMetrics } from './request-metrics.js';

/**
 * This process's metrics. In a cluster every worker has its own; the primary merges them
 * (`cluster-metrics.ts`) so a scrape of any worker sees totals for the whole server.
 */
export const registry = new Registry();

collectDefaultMetrics({ register: registry });

/** HTTP request counts and durations: see RequestMetrics. */
export const requestMetrics = new RequestMetrics(registry);

export const loginsTotal = new Counter({
  name: 'gatehouse_logins_total',
  help: 'Password logins, by outcome (success, failure).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const refreshesTotal = new Counter({
  name: 'gatehouse_token_refreshes_total',
  help: 'Refresh-token exchanges, by outcome (success, failure, reused = reuse detected, family revoked).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

// Only the primary increments this; it lives in the primary's registry and joins the merge there.
export const workerRestartsTotal = new Counter({
  name: 'gatehouse_worker_restarts_total',
  help: 'Worker processes replaced by the primary, by reason (crash, max_requests, reload).',
  labelNames: ['reason'] as const,
  registers: [registry],
});
