import type { Metric, Registry } from 'prom-client';

/** Seconds; the same upper bounds the histogram has always had. */
const DURATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

interface Labels {
  readonly route: string;
  readonly method: string;
  readonly status: string;
}

/** One route, method and status: its count, summed seconds, and per-bucket (not cumulative) counts. */
interface Series {
  readonly labels: Labels;
  count: number;
  sum: number;
  readonly inBucket: Float64Array;
}

/** A metric value as prom-client's `get()` gives it (what its registry and aggregator read). */
interface MetricValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

/**
 * The per-request metrics (`gatehouse_http_requests_total` and the
 * `gatehouse_http_request_duration_seconds` histogram, by route, method and status) counted in
 * plain fields and handed to prom-client's registry as ready values at scrape time, in the shape
 * its own Counter and Histogram give: the exposition text and the cluster merge stay
 * prom-client's. Its labelled children re-check and re-hash their labels on every call, ~1.5 µs
 * of a ~50 µs request for the two; this is a few map lookups and additions.
 *
 * @example
 * const requests = new RequestMetrics(registry);
 * requests.observe('/api/me/', 'GET', 200, 0.0004);
 */
export class RequestMetrics {
  /** By route, method, status: strings the app and node:http reuse (hashes cached) and a number. */
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(registry: Registry) {
    // prom-client reads only name, help, type, aggregator, get() and reset() of a metric.
    registry.registerMetric(this.metric('gatehouse_http_requests_total', 'HTTP requests answered, by route, method and status.', 'counter', () => this.counterValues()) as unknown as Metric);
    registry.registerMetric(this.metric('gatehouse_http_request_duration_seconds', 'HTTP request duration in seconds, by route, method and status.', 'histogram', (name) => this.histogramValues(name)) as unknown as Metric);
  }

  /** Records one answered request. `route` is the route pattern, never the raw URL. */
  observe(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.series.get(route);
    if (byMethod === undefined) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = { labels: { route, method, status: String(status) }, count: 0, sum: 0, inBucket: new Float64Array(DURATION_BUCKETS.length) };
      byStatus.set(status, series);
    }
    series.count += 1;
    series.sum += seconds;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= (DURATION_BUCKETS[i] as number)) {
        (series.inBucket[i] as number) += 1;
        break;
      }
    }
  }

  private *allSeries(): Generator<Series> {
    for (const byMethod of this.series.values()) {
      for (const byStatus of byMethod.values()) yield* byStatus.values();
    }
  }

  private counterValues(): MetricValue[] {
    return [...this.allSeries()].map((series) => ({ value: series.count, labels: { ...series.labels } }));
  }

  /** Cumulative buckets with `le` first, then `+Inf`, `_sum` and `_count`, as prom-client orders them. */
  private histogramValues(name: string): MetricValue[] {
    const values: MetricValue[] = [];
    for (const series of this.allSeries()) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((bound, i) => {
        cumulative += series.inBucket[i] as number;
        values.push({ value: cumulative, labels: { le: bound, ...series.labels }, metricName: `${name}_bucket` });
      });
      values.push({ value: series.count, labels: { le: '+Inf', ...series.labels }, metricName: `${name}_bucket` });
      values.push({ value: series.sum, labels: { ...series.labels }, metricName: `${name}_sum` });
      values.push({ value: series.count, labels: { ...series.labels }, metricName: `${name}_count` });
    }
    return values;
  }

  private metric(name: string, help: string, type: 'counter' | 'histogram', values: (name: string) => MetricValue[]) {
    return {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ name, help, type, values: values(name), aggregator: 'sum' as const }),
      reset: () => this.series.clear(),
    };
  }
}
