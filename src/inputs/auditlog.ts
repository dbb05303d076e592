// `type: auditlog` — follows an audit.log written by auditd (RAW or ENRICHED), through auditd's
// own rotation (audit.log → audit.log.1, a new audit.log), and feeds the lines through the audit
// record parser → reassembler → normalizer. Each file has its own reassembler, and the checkpoint
// never passes the first line of an event still in flight: after a crash the whole event is read
// again rather than half of it. (An event auditd split across a rotation comes out as two.)

import { parseError } from '../errors.js';
import type { ComponentDef, Input, BuildContext } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { AuditStream } from '../audit/stream.js';
import { lostEventsRecord } from '../audit/lost.js';
import { createTailInput, tailSchemaProperties, type LineReader, type TailInputConfig } from './tail/input.js';

export interface AuditlogInputConfig extends TailInputConfig {
  type: 'auditlog';
  keep_original?: boolean;
  resolve_names?: boolean;
  /** open events per file before the oldest is emitted as it stands */
  max_in_flight?: number;
  /** audit-clock (and, once the file is quiet, wall-clock) ms an event may stay open */
  reassembly_timeout_ms?: number;
}

export const auditlogSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'auditlog' },
    ...tailSchemaProperties,
    path: { ...tailSchemaProperties.path, default: '/var/log/audit/audit.log' },
    keep_original: { type: 'boolean', default: false, description: 'keep the raw records as event.original' },
    resolve_names: { type: 'boolean', default: true, description: 'name uids/gids from this host\'s passwd/group' },
    max_in_flight: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000 },
    reassembly_timeout_ms: { type: 'integer', minimum: 0, maximum: 600000, default: 2000, description: 'how long an event may stay open waiting for its records (the netlink input\'s key of the same name)' },
  },
} as const;

export function createAuditlogInput(cfg: AuditlogInputConfig, ctx: BuildContext): Input {
  const full = { ...cfg, path: cfg.path ?? '/var/log/audit/audit.log' };
  let lost = 0;
  let parseErrors = 0;
  let events = 0;
  return createTailInput(full, ctx, (_file, onError): LineReader => {
    let out: NormalizedRecord[] = [];
    let lastTime = NaN;
    const stream = new AuditStream({
      includeOriginal: cfg.keep_original ?? false,
      resolveNames: cfg.resolve_names ?? true,
      maxInFlight: cfg.max_in_flight,
      timeoutMs: cfg.reassembly_timeout_ms,
      onParsed: (r) => { lastTime = r.time; },
      onEvent: () => { events++; },
      onRecord: (rec) => out.push(rec),
      onError: (where, message) => {
        parseErrors++;
        onError(parseError(where, message));
      },
      // dated by the log's own clock: the gap is about then, not about when it was read
      onLost: (count, node) => {
        lost += count;
        out.push(lostEventsRecord(count, 'sequence', lastTime, node));
      },
    });
    return {
      line(line, where, sink) {
        out = sink;
        stream.line(line.text, where, line.start);
      },
      idle(idleMs, sink) {
        out = sink;
        stream.maintain(idleMs);
      },
      heldFrom: () => stream.heldFrom(),
    };
  }, () => ({ events, lost, parse_errors: parseErrors }));
}

export const auditlogInput: ComponentDef<Input> = {
  type: 'auditlog',
  schema: auditlogSchema,
  aliases: { event_timeout_ms: 'reassembly_timeout_ms' },
  build: (cfg: AuditlogInputConfig, ctx) => createAuditlogInput(cfg, ctx),
};
