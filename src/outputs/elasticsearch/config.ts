// Config of the Elasticsearch / OpenSearch output: the JSON Schema (validated once at load) and
// the resolved runtime settings. Unknown keys are rejected.

import { queueSchema, type QueueConfig } from '../spool/config.js';
import { join } from 'node:path';

export interface ElasticsearchConfig {
  type: 'elasticsearch';
  name?: string;
  /** Base URL of the cluster, e.g. https://es.example:9200 */
  url: string;
  /** Data stream name parts, `<type>-<dataset>-<namespace>` (default logs-auditflow-default). */
  data_stream?: { type?: string; dataset?: string; namespace?: string };
  /** Index name instead of a data stream; `{yyyy.MM.dd}` (any of yyyy, MM, dd in braces) is the record's @timestamp date (UTC). */
  index?: string;
  auth?: { user: string; password: string };
  /** API key as Elasticsearch hands it out: base64 of `id:key` (the `encoded` value). */
  api_key?: string;
  tls?: { ca_file?: string; verify?: boolean };
  template?: { install?: boolean; name?: string; priority?: number };
  /**
   * max_events/max_bytes cap one request. timeout_ms 0 (default): a partial batch goes as soon as
   * a request slot is free, so batches grow by themselves while requests are in flight; > 0: a
   * partial batch waits that long for more records first (fewer, larger requests at low rates,
   * at the price of latency; behind a queue every write waits that long).
   */
  batch?: { max_events?: number; max_bytes?: number; timeout_ms?: number };
  retry?: { initial_ms?: number; max_ms?: number };
  request_timeout_ms?: number;
  /** `_bulk` requests in flight at once */
  concurrency?: number;
  /** JSON lines of records Elasticsearch refused (4xx other than 409/429), with the reason. */
  dead_letter_path?: string;
  queue?: QueueConfig;
}

export const elasticsearchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'url'],
  properties: {
    type: { const: 'elasticsearch' },
    name: { type: 'string', minLength: 1 },
    url: { type: 'string', pattern: '^https?://[^\\s]+$' },
    data_stream: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // data stream name parts: lowercase, no '-' in type/dataset (the naming scheme's separator)
        type: { type: 'string', pattern: '^[a-z0-9_.]+$' },
        dataset: { type: 'string', pattern: '^[a-z0-9_.]+$' },
        namespace: { type: 'string', pattern: '^[a-z0-9_.-]+$' },
      },
    },
    index: { type: 'string', pattern: '^[a-z0-9_.-]*(\\{[yMd._-]+\\}[a-z0-9_.-]*)*$' },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['user', 'password'],
      properties: { user: { type: 'string', minLength: 1 }, password: { type: 'string' } },
    },
    api_key: { type: 'string', minLength: 1 },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: { ca_file: { type: 'string' }, verify: { type: 'boolean' } },
    },
    template: {
      type: 'object',
      additionalProperties: false,
      properties: {
        install: { type: 'boolean' },
        name: { type: 'string', pattern: '^[a-z0-9_.-]+$' },
        priority: { type: 'integer', minimum: 0 },
      },
    },
    batch: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_events: { type: 'integer', minimum: 1, maximum: 100000 },
        max_bytes: { type: 'integer', minimum: 1024 },
        timeout_ms: { type: 'integer', minimum: 0 },
      },
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: { initial_ms: { type: 'integer', minimum: 1 }, max_ms: { type: 'integer', minimum: 1 } },
    },
    request_timeout_ms: { type: 'integer', minimum: 100 },
    concurrency: { type: 'integer', minimum: 1, maximum: 32 },
    dead_letter_path: { type: 'string', minLength: 1 },
    // applied by the daemon around this output (src/outputs/spool)
    queue: queueSchema,
  },
  not: { required: ['auth', 'api_key'] },
} as const;

export interface ResolvedElasticsearchConfig {
  name: string;
  url: URL;
  /** fixed target (data stream or plain index) or null when the index name has date tokens */
  target: string;
  dataStream: boolean;
  authorization: string | undefined;
  caFile: string | undefined;
  verify: boolean;
  template: { install: boolean; name: string; priority: number };
  maxEvents: number;
  maxBytes: number;
  timeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  concurrency: number;
  deadLetterPath: string;
}

export function resolveElasticsearchConfig(c: ElasticsearchConfig, stateDir: string): ResolvedElasticsearchConfig {
  const url = new URL(c.url.endsWith('/') ? c.url : c.url + '/');
  const dataStream = c.index === undefined;
  const ds = c.data_stream ?? {};
  const target = dataStream ? `${ds.type ?? 'logs'}-${ds.dataset ?? 'auditflow'}-${ds.namespace ?? 'default'}` : c.index!;
  const name = c.name ?? `elasticsearch:${url.host}/${target}`;
  let authorization: string | undefined;
  if (c.api_key) authorization = `ApiKey ${c.api_key}`;
  else if (c.auth) authorization = 'Basic ' + Buffer.from(`${c.auth.user}:${c.auth.password}`).toString('base64');
  else if (url.username) authorization = 'Basic ' + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  return {
    name,
    url,
    target,
    dataStream,
    authorization,
    caFile: c.tls?.ca_file,
    verify: c.tls?.verify !== false,
    template: {
      install: c.template?.install ?? true,
      name: c.template?.name ?? (dataStream ? target.replace(/-[^-]+$/, '') : 'auditflow'),
      // above the built-in logs-*-* template (priority 100) so our mappings win for our stream
      priority: c.template?.priority ?? 200,
    },
    maxEvents: c.batch?.max_events ?? 500,
    maxBytes: c.batch?.max_bytes ?? 5 * 1024 * 1024,
    timeoutMs: c.batch?.timeout_ms ?? 0,
    retryInitialMs: c.retry?.initial_ms ?? 500,
    retryMaxMs: c.retry?.max_ms ?? 30000,
    requestTimeoutMs: c.request_timeout_ms ?? 30000,
    concurrency: c.concurrency ?? 2,
    deadLetterPath: c.dead_letter_path ?? join(stateDir, 'dead-letter', `${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.jsonl`),
  };
}
