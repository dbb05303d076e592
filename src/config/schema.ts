// The config schema, assembled from the registries: each component's ComponentDef carries its
// own schema, so adding an input, filter or output type never touches this file.
import type { ComponentDef } from '../pipeline/types.js';

function listOf(defs: ComponentDef<unknown>[]): Record<string, unknown> {
  return {
    type: 'array',
    items: {
      type: 'object',
      required: ['type'],
      discriminator: { propertyName: 'type' },
      oneOf: defs.map((d) => d.schema),
    },
  };
}

export function buildSchema(inputs: ComponentDef<unknown>[], filters: ComponentDef<unknown>[], outputs: ComponentDef<unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'auditflow configuration',
    type: 'object',
    additionalProperties: false,
    properties: {
      state_dir: { type: 'string', minLength: 1, description: 'checkpoints and spool' },
      log_level: { enum: ['debug', 'info', 'warn', 'error'] },
      pid_file: { type: 'string', minLength: 1 },
      host: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          id: { type: 'string' },
          fields: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
        },
      },
      inputs: listOf(inputs),
      filters: listOf(filters),
      outputs: listOf(outputs),
      shutdown_timeout_ms: { type: 'integer', minimum: 0 },
      error_records: { type: 'boolean', description: 'ship input errors (unparseable lines...) as event.kind: pipeline_error records' },
      ...extra,
    },
  };
}
