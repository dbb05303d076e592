// Metrics and health: Prometheus endpoint + JSON status for `auditflow status`.
export { startMetrics, type MetricsServer, type StatusDocument } from './server.js';
export { fetchStatus } from './client.js';
export { metricsSchema, parseListen, DEFAULT_LISTEN, type MetricsConfig } from './config.js';
export { SnapshotCollector } from './collect.js';
