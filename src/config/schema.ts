// The top level of the config. Each list item is validated against its own component's schema by
// the loader (src/config/resolve.ts), so adding an input, filter or output type never touches this
// file.
import { metricsSchema } from '../metrics/config.js';
import { enrichSchema } from '../context/config.js';

const list = { type: 'array', items: { type: 'object' } };

export const topSchema: Record<string, unknown> = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'auditflow configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    state_dir: { type: 'string', minLength: 1, default: '/var/lib/auditflow', description: 'checkpoints and spool' },
    log_level: { enum: ['debug', 'info', 'warn', 'error'], default: 'info' },
    pid_file: { type: 'string', minLength: 1 },
    host: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: { type: 'string' },
        id: { type: 'string' },
        fields: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
      },
    },
    inputs: { ...list, default: [] },
    filters: { ...list, default: [] },
    outputs: { ...list, default: [{ type: 'stdout' }] },
    shutdown_timeout_ms: { type: 'integer', minimum: 0, default: 10_000 },
    priority_boost: {
      type: 'integer',
      minimum: 0,
      maximum: 20,
      default: 4,
      description:
        "how much the daemon lowers its nice value at start, as auditd.conf's priority_boost (also 4 there): under a storm on a busy host the reader and the main thread keep up; 0: unchanged",
    },
    error_records: { type: 'boolean', default: false, description: 'ship input errors (unparseable lines...) as event.kind: pipeline_error records' },
    metrics: metricsSchema,
    enrich: enrichSchema,
    threads: {
      type: 'integer',
      minimum: 0,
      maximum: 16,
      default: 0,
      description:
        'worker lanes for an audit.log input (the only input, file outputs only, no error_records): the main thread reads the header of each line and reassembles, lanes parse lines whole, normalize, enrich, filter and serialize; one lane while enrichment or a filter keeps state across records; 0: one thread',
    },
  },
};
