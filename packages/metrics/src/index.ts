/** @hub/metrics: the hub's Prometheus metrics, declared once, with allow-listed label values; the only prom-client user. */
export { METRICS, type MetricName, type MetricSpec } from './definitions.ts';
export {
  HTTP_METHODS,
  MetricLabelError,
  methodLabel,
  NOTIFICATION_STATES,
  OTHER_METHOD,
  UNMATCHED_ROUTE,
  VIEW_STATES,
  type LabelName,
  type LabelTypes,
  type NotificationStateLabel,
  type ViewStateLabel,
} from './labels.ts';
export {
  createMetrics,
  type CounterHandle,
  type Exposition,
  type GaugeHandle,
  type HistogramHandle,
  type HubMetrics,
  type LabelsOf,
} from './registry.ts';
export { METRICS_PATH, serveMetrics, type MetricsServer } from './server.ts';
