import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** Per-process metrics as `Registry.getMetricsAsJSON()` returns them, sent over cluster IPC. */
export type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

/** worker → primary: "send me the merged metrics of the whole server". */
export interface MetricsRequest { readonly type: 'gatehouse:metrics-request'; readonly id: number }
/** primary → worker: the answer to a {@link MetricsRequest}. */
export interface MetricsResponse { readonly type: 'gatehouse:metrics-response'; readonly id: number; readonly body: string; readonly contentType: string }
/** primary → worker: "send me your own metrics". */
export interface MetricsCollect { readonly type: 'gatehouse:metrics-collect'; readonly id: number }
/** worker → primary: the answer to a {@link MetricsCollect}. */
export interface MetricsCollected { readonly type: 'gatehouse:metrics-collected'; readonly id: number; readonly metrics: MetricsJson }

export function isMessage<T extends { type: string }>(value: unknown, type: T['type']): value is T {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type && typeof (value as { id?: unknown }).id === 'number';
}
