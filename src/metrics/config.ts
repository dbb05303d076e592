// Config of the metrics endpoint: top-level `metrics: { listen: "127.0.0.1:9464" }`.

import { AuditflowError } from '../errors.js';

export interface MetricsConfig {
  /** host:port ([::1]:port for IPv6); port 0 picks a free one */
  listen?: string;
  enabled?: boolean;
}

export const metricsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    listen: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5}$' },
  },
} as const;

export const DEFAULT_LISTEN = '127.0.0.1:9464';

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new AuditflowError('AF_ERR_CONFIG', `expected host:port, got ${JSON.stringify(listen)}`, 'metrics.listen');
  return { host: m[1] ?? m[2], port };
}
