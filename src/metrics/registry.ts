import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * This process's metrics. In a cluster every worker has its own; the primary merges them
 * (`cluster-metrics.ts`) so a scrape of any worker sees totals for the whole server.
 */
export const registry = new Registry();

collectDefaultMetrics({ register: registry });

export const requestsTotal = new Counter({
  name: 'gatehouse_http_requests_total',
  help: 'HTTP requests answered, by route, method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

export const requestDuration = new Histogram({
  name: 'gatehouse_http_request_duration_seconds',
  help: 'HTTP request duration in seconds, by route, method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

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
