// The per-request metrics: Prometheus counter and histogram lines exactly as prom-client would
// print them, and summed when the primary merges its workers' metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregatorRegistry, Registry } from 'prom-client';
import { RequestMetrics } from '../src/metrics/request-metrics.js';

const ME = 'route="/api/me/",method="GET",status="200"';

function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

describe('request metrics', () => {
  it('counts requests and fills cumulative duration buckets by route, method and status', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    for (const seconds of [0.0004, 0.001, 0.003, 0.7]) metrics.observe('/api/me/', 'GET', 200, seconds);
    metrics.observe('/api/me/', 'GET', 401, 0.002);
    metrics.observe('unmatched', 'GET', 404, 42);
    const text = await registry.metrics();

    assert.deepEqual(lines(text, 'gatehouse_http_requests_total{'), [
      `gatehouse_http_requests_total{${ME}} 4`,
      'gatehouse_http_requests_total{route="/api/me/",method="GET",status="401"} 1',
      'gatehouse_http_requests_total{route="unmatched",method="GET",status="404"} 1',
    ]);
    const buckets = lines(text, 'gatehouse_http_request_duration_seconds_bucket{').filter((line) => line.includes(ME));
    // A duration equal to a bound counts in that bucket (le is "less than or equal").
    assert.equal(buckets[0], `gatehouse_http_request_duration_seconds_bucket{le="0.001",${ME}} 2`);
    assert.equal(buckets[2], `gatehouse_http_request_duration_seconds_bucket{le="0.005",${ME}} 3`);
    assert.equal(buckets[8], `gatehouse_http_request_duration_seconds_bucket{le="0.5",${ME}} 3`);
    assert.equal(buckets[9], `gatehouse_http_request_duration_seconds_bucket{le="1",${ME}} 4`);
    assert.equal(buckets.at(-1), `gatehouse_http_request_duration_seconds_bucket{le="+Inf",${ME}} 4`);
    assert.equal(buckets.length, 14);
    const sum = Number(lines(text, `gatehouse_http_request_duration_seconds_sum{${ME}}`)[0]?.split(' ')[1]);
    assert.ok(Math.abs(sum - 0.7044) < 1e-9);
    assert.deepEqual(lines(text, `gatehouse_http_request_duration_seconds_count{${ME}}`), [`gatehouse_http_request_duration_seconds_count{${ME}} 4`]);
    // Past the last bound: only +Inf counts it.
    assert.match(text, /_bucket\{le="10",route="unmatched",method="GET",status="404"\} 0\n/);
    assert.match(text, /_bucket\{le="\+Inf",route="unmatched",method="GET",status="404"\} 1\n/);
  });

  it('sums across workers when merged, as the primary does', async () => {
    const workers = [new Registry(), new Registry()];
    const metrics = workers.map((registry) => new RequestMetrics(registry));
    metrics[0]?.observe('/api/me/', 'GET', 200, 0.002);
    metrics[1]?.observe('/api/me/', 'GET', 200, 0.004);
    metrics[1]?.observe('/api/me/', 'GET', 200, 0.3);
    const merged = await AggregatorRegistry.aggregate(await Promise.all(workers.map((registry) => registry.getMetricsAsJSON()))).metrics();
    assert.match(merged, new RegExp(`gatehouse_http_requests_total\\{${ME}\\} 3\\n`));
    assert.match(merged, new RegExp(`gatehouse_http_request_duration_seconds_bucket\\{le="0.005",${ME}\\} 2\\n`));
    assert.match(merged, new RegExp(`gatehouse_http_request_duration_seconds_count\\{${ME}\\} 3\\n`));
  });

  it('starts over on reset', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    metrics.observe('/api/me/', 'GET', 200, 0.002);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /gatehouse_http_requests_total\{/);
  });
});
