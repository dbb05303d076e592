// `type: auditlog` — follows an audit.log written by auditd (RAW or ENRICHED), through auditd's
// own rotation (audit.log → audit.log.1, a new audit.log), and feeds the lines through the audit
// record parser → reassembler → normalizer. Each file has its own reassembler, and the checkpoint
// never passes the first line of an event still in flight: after a crash the whole event is read
// again rather than half of it. (An event auditd split across a rotation comes out as two.)
//
// Serial gaps are not lost events here: auditd writes only what its rules matched, and the
// kernel's serials are shared with every event nobody logged. They are counted in the input's
// stats (serial_gaps, serials_skipped), and a gap that begins where the file shows auditd
// stopping, starting, rotating or resuming (DAEMON_END / _START / _ROTATE / _RESUME) is not
// counted at all: the kernel went on numbering while nobody was writing. Lost-events records
// come from the kernel's own counter and stream (the netlink input), never from a file.

import { parseError } from '../errors.js';
import type { ComponentDef, Input, BuildContext } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { AuditStream, RecordStream } from '../audit/stream.js';
import { isFailure, parseHeader, parseLine, type RecordHeader, type RecordKey } from '../audit/record.js';
import { BatchBuilder } from '../pipeline/workers/lane-protocol.js';
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
    resolve_names: { type: 'boolean', default: true, description: "name uids/gids from this host's passwd/group" },
    max_in_flight: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000 },
    reassembly_timeout_ms: {
      type: 'integer',
      minimum: 0,
      maximum: 600000,
      default: 2000,
      description: "how long an event may stay open waiting for its records (the netlink input's key of the same name)",
    },
  },
} as const;

// auditd's records saying it stopped, started, rotated or resumed writing (auditd's
// op=start / terminate / rotate-logs / resume-logging: a garbled line without op= is no proof)
const DAEMON_START = 1200,
  DAEMON_END = 1201,
  DAEMON_ROTATE = 1205,
  DAEMON_RESUME = 1206;
const BOUNDARIES_KEPT = 8;
function isBoundaryType(t: number): boolean {
  return t === DAEMON_START || t === DAEMON_END || t === DAEMON_ROTATE || t === DAEMON_RESUME;
}

/** The op= of a line read by its header alone (only auditd's own rare records are asked). */
function opOf(line: string): string | undefined {
  const r = parseLine(line);
  return isFailure(r) ? undefined : r.fields.op;
}

export function createAuditlogInput(cfg: AuditlogInputConfig, ctx: BuildContext): Input {
  const full = { ...cfg, path: cfg.path ?? '/var/log/audit/audit.log' };
  let serialGaps = 0;
  let serialsSkipped = 0;
  let parseErrors = 0;
  let events = 0;
  return createTailInput(
    full,
    ctx,
    (_file, onError, lanes): LineReader => {
      let out: NormalizedRecord[] = [];
      // per node: the serials its sequence stood at (plus one) when auditd last stopped, started,
      // rotated or resumed; a gap beginning at one is the time nobody was writing. A gap is
      // counted when it settles, maybe after the next boundary, so a few are kept.
      const boundaries = new Map<string | undefined, number[]>();
      const noteBoundary = (r: RecordKey, op: () => string | undefined) => {
        if (!isBoundaryType(r.typeId) || op() === undefined) return;
        const next = stream.nextSerial(r.node);
        if (next === undefined) return;
        let list = boundaries.get(r.node);
        if (list === undefined) boundaries.set(r.node, (list = []));
        if (list.length === BOUNDARIES_KEPT) list.shift();
        list.push(next);
      };
      const common = {
        maxInFlight: cfg.max_in_flight,
        timeoutMs: cfg.reassembly_timeout_ms,
        onError: (where: string, message: string) => {
          parseErrors++;
          onError(parseError(where, message));
        },
        onLost: (count: number, node: string | undefined, origin: number, fresh: boolean) => {
          if (boundaries.get(node)?.includes(origin)) return;
          serialsSkipped += count;
          if (fresh) serialGaps++;
        },
      };
      // with lanes: only each line's header is read here, and complete events go out as the
      // lines they were read from (the lanes parse and normalize them)
      const batch = lanes ? new BatchBuilder() : undefined;
      const stream: RecordStream<RecordHeader> | AuditStream = batch
        ? new RecordStream<RecordHeader>({
            ...common,
            parse: parseHeader,
            onParsed: (r) => noteBoundary(r, () => opOf(r.line)),
            onEvent: (records) => {
              events++;
              batch.event(records);
            },
          })
        : new AuditStream({
            ...common,
            includeOriginal: cfg.keep_original ?? false,
            resolveNames: cfg.resolve_names ?? true,
            templates: true,
            onParsed: (r) => noteBoundary(r, () => r.fields.op),
            onEvent: () => events++,
            onRecord: (rec) => out.push(rec),
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
        events: batch && (() => (batch.empty ? undefined : batch.take())),
      };
    },
    () => ({ events, serial_gaps: serialGaps, serials_skipped: serialsSkipped, parse_errors: parseErrors }),
  );
}

export const auditlogInput: ComponentDef<Input> = {
  type: 'auditlog',
  schema: auditlogSchema,
  aliases: { event_timeout_ms: 'reassembly_timeout_ms' },
  build: (cfg: AuditlogInputConfig, ctx) => createAuditlogInput(cfg, ctx),
};
