import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { isMessage, type MetricsCollect, type MetricsCollected, type MetricsJson, type MetricsRequest, type MetricsResponse } from './cluster-protocol.js';
import { registry, workerRestartsTotal } from './registry.js';

/** A worker that does not answer in time (busy, or draining) is left out of that scrape. */
const COLLECT_TIMEOUT_MS = 1000;

let nextId = 0;
const collections = new Map<number, (worker: Worker, metrics: MetricsJson) => void>();

/**
 * In the primary: counts one replaced worker, by why it was replaced.
 *
 * @example
 * countWorkerRestart('crash');
 */
export function countWorkerRestart(reason: 'crash' | 'max_requests' | 'reload'): void {
  workerRestartsTotal.inc({ reason });
}

/**
 * In the primary: answers the workers' `/metrics` requests with every worker's metrics merged
 * (counters and histograms summed) plus the primary's own (worker restarts). Call once.
 *
 * @example
 * answerClusterMetrics();
 * cluster.fork();
 */
export function answerClusterMetrics(): void {
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (isMessage<MetricsCollected>(message, 'gatehouse:metrics-collected')) {
      collections.get(message.id)?.(worker, message.metrics);
    } else if (isMessage<MetricsRequest>(message, 'gatehouse:metrics-request')) {
      void mergedMetrics().then((body) => {
        const answer: MetricsResponse = { type: 'gatehouse:metrics-response', id: message.id, body, contentType: registry.contentType };
        if (worker.isConnected()) worker.send(answer);
      });
    }
  });
}

async function mergedMetrics(): Promise<string> {
  const id = nextId++;
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  const parts: MetricsJson[] = [await registry.getMetricsAsJSON()];
  await new Promise<void>((resolve) => {
    const pending = new Set(workers.map((w) => w.id));
    const done = (): void => {
      clearTimeout(timer);
      collections.delete(id);
      resolve();
    };
    const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
    collections.set(id, (worker, metrics) => {
      if (!pending.delete(worker.id)) return;
      parts.push(metrics);
      if (pending.size === 0) done();
    });
    const ask: MetricsCollect = { type: 'gatehouse:metrics-collect', id };
    for (const worker of workers) worker.send(ask, undefined, (error: Error | null) => {
      if (error !== null && pending.delete(worker.id) && pending.size === 0) done();
    });
    if (pending.size === 0) done();
  });
  return AggregatorRegistry.aggregate(parts).metrics();
}
