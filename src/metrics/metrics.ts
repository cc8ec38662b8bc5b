import cluster from 'node:cluster';
import { isMessage, type MetricsCollect, type MetricsCollected, type MetricsResponse } from './cluster-protocol.js';
import { loginsTotal, refreshesTotal, registry, requestMetrics } from './registry.js';

/**
 * Records one answered HTTP request. `route` is the route pattern (`/api/token/`), never the raw
 * URL, so label cardinality stays bounded.
 *
 * @example
 * observeRequest('/api/me/', 'GET', 200, 0.0012);
 */
export function observeRequest(route: string, method: string, status: number, seconds: number): void {
  requestMetrics.observe(route, method, status, seconds);
}

/**
 * Counts one password login.
 *
 * @example
 * countLogin('failure');
 */
export function countLogin(outcome: 'success' | 'failure'): void {
  loginsTotal.inc({ outcome });
}

/**
 * Counts one refresh-token exchange; `reused` is a reuse detection (the family was revoked).
 *
 * @example
 * countRefresh('reused');
 */
export function countRefresh(outcome: 'success' | 'failure' | 'reused'): void {
  refreshesTotal.inc({ outcome });
}

const ASK_TIMEOUT_MS = 3000;
let nextId = 0;
const waiting = new Map<number, (answer: { contentType: string; body: string } | undefined) => void>();

/**
 * The Prometheus exposition text. In a cluster worker it asks the primary, which merges every
 * worker's metrics (and its own worker-restart counter); in a single process it is this process's.
 *
 * @example
 * const { contentType, body } = await metricsText();
 * reply.type(contentType).send(body);
 */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  if (cluster.isWorker && process.send !== undefined && process.connected) {
    const merged = await askPrimary();
    if (merged !== undefined) return merged;
  }
  return { contentType: registry.contentType, body: await registry.metrics() };
}

function askPrimary(): Promise<{ contentType: string; body: string } | undefined> {
  listenToPrimary();
  const id = nextId++;
  return new Promise((resolve) => {
    // Falls back to this worker's own metrics if the primary is busy or gone.
    const timer = setTimeout(() => finish(undefined), ASK_TIMEOUT_MS);
    const finish = (answer: { contentType: string; body: string } | undefined): void => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(answer);
    };
    waiting.set(id, finish);
    process.send?.({ type: 'gatehouse:metrics-request', id }, undefined, undefined, (error) => {
      if (error !== null) finish(undefined);
    });
  });
}

let listening = false;

function listenToPrimary(): void {
  if (listening) return;
  listening = true;
  process.on('message', (message: unknown) => {
    if (isMessage<MetricsResponse>(message, 'gatehouse:metrics-response')) {
      waiting.get(message.id)?.({ contentType: message.contentType, body: message.body });
    } else if (isMessage<MetricsCollect>(message, 'gatehouse:metrics-collect')) {
      void registry.getMetricsAsJSON().then((metrics) => {
        const answer: MetricsCollected = { type: 'gatehouse:metrics-collected', id: message.id, metrics };
        if (process.connected) process.send?.(answer);
      });
    }
  });
}

// A worker must answer the primary's collection requests even before anyone scrapes it.
if (cluster.isWorker) listenToPrimary();
