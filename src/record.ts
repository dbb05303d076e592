// The normalized record: the one shape that flows from the normalizers through filters to outputs.
// ECS field names (Elastic Common Schema) so Elasticsearch needs no second mapping. Fields that do
// not apply are absent (never null). Numeric ids are strings, as ECS wants.

import type { AuditRecord } from './audit/record.js';
import type { TtyDevice } from './tty.js';

/** Raw source of a record (audit records of the event, or the log line), kept off the JSON. */
export const kRaw: unique symbol = Symbol.for('auditflow.raw');

/**
 * What the records of one event shape (same record types, node and bodies) share, kept with the
 * first record's body by the normalizer (NormalizerOptions.templates): whether redaction leaves
 * such a record alone, and its JSON text around `@timestamp` and `event.sequence`, the only parts
 * that differ. The rule for every stage after the normalizer: one that changes a record other
 * than as a function of the rest of it (the same for every record of the shape: host
 * decorations) sets this to undefined (the redact filter does when it redacts) or to a template
 * of its own for what it wrote (the context stage: src/context/templates.ts).
 */
export const kTemplate: unique symbol = Symbol('auditflow.template');

export interface RecordTemplate {
  /** the redact filter that last found nothing to change in such a record */
  cleanFor?: object;
  /** UTF-8 JSON after the `@timestamp` value up to the `event.sequence` value, and after it */
  head?: Buffer;
  tail?: Buffer;
  /** the context stage's variants of this template (src/context/templates.ts) */
  contexts?: unknown[];
}

export type EventModule = 'auditd' | 'snoopy' | 'bash' | 'auditflow';
export type Outcome = 'success' | 'failure' | 'unknown';

export interface UserRef {
  id?: string;
  name?: string;
}

/** A process named by another's record (a leader): enough to find it */
export interface ProcessRef {
  pid: number;
  entity_id: string;
  executable?: string;
  name?: string;
}

export interface NormalizedRecord {
  '@timestamp': string;
  event: {
    module: EventModule;
    kind?: 'event' | 'pipeline_error' | 'metric';
    category?: string[];
    type?: string[];
    action: string;
    outcome?: Outcome;
    sequence?: number;
    original?: string;
    dataset?: string;
  };
  message?: string;
  process?: {
    pid?: number;
    parent?: { pid?: number; name?: string; executable?: string; entity_id?: string; args?: string[]; start?: string };
    name?: string;
    executable?: string;
    args?: string[];
    args_count?: number;
    command_line?: string;
    working_directory?: string;
    title?: string;
    /** ECS: the terminal's device numbers (its name, where the source gives one, is in audit.data.tty / snoopy.tty) */
    tty?: TtyDevice;
    exit_code?: number;
    /** context from the process table (src/context/): the same for one process from every source */
    entity_id?: string;
    start?: string;
    session_leader?: ProcessRef;
    group_leader?: ProcessRef;
    entry_leader?: ProcessRef;
    hash?: { sha256?: string };
    /** Elastic Endpoint's extension namespace: ancestors' entity ids, nearest first */
    Ext?: { ancestry?: readonly string[] };
  };
  container?: { id?: string; runtime?: string };
  kubernetes?: { pod?: { uid?: string; name?: string }; namespace?: string };
  /** not ECS: a proper-name namespace, as ECS advises for custom fields (Filebeat's journald uses it too) */
  systemd?: { unit?: string };
  tags?: string[];
  user?: UserRef & {
    audit?: UserRef;
    effective?: UserRef;
    saved?: UserRef;
    filesystem?: UserRef;
    group?: UserRef;
    target?: UserRef;
    terminal?: string;
  };
  group?: UserRef;
  file?: {
    path?: string;
    target_path?: string;
    inode?: string;
    device?: string;
    mode?: string;
    uid?: string;
    gid?: string;
    owner?: string;
    group?: string;
    type?: string;
  };
  source?: { ip?: string; port?: number; path?: string; address?: string };
  destination?: { ip?: string; port?: number; path?: string; address?: string };
  network?: { type?: string; direction?: string; transport?: string; family?: string };
  host?: { name?: string; id?: string; [k: string]: unknown };
  audit?: {
    syscall?: string;
    arch?: string;
    exit?: number;
    errno?: string;
    keys?: string[];
    record_types?: string[];
    node?: string;
    session?: string;
    /** fields of records that have no dedicated place, by record type */
    data?: Record<string, unknown>;
    /** records lost before this one (sequence gap), on event.action "lost-events" */
    lost?: number;
  };
  snoopy?: Record<string, string>;
  bash?: { history_file?: string };
  error?: { message: string; type?: string; input?: string };
  redacted?: string[];
  labels?: Record<string, string>;
  /** static decorations from config (host.fields) land at top level like osquery's decorations */
  [extra: string]: unknown;
  [kRaw]?: AuditRecord[] | string;
  [kTemplate]?: RecordTemplate | undefined;
}

/** ISO 8601 UTC with milliseconds, from epoch milliseconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
