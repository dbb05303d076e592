// What goes over the wire to Elasticsearch, kept apart from I/O so it is tested without a server:
// the deterministic document _id, the `_bulk` NDJSON body, the index template, and the per-item
// reading of a `_bulk` response.

import crypto from 'node:crypto';

// one-shot hashing (Node ≥ 20.12) skips a Hash object per record
const sha256: (data: string) => string =
  typeof (crypto as any).hash === 'function'
    ? (data) => (crypto as any).hash('sha256', data, 'base64url')
    : (data) => crypto.createHash('sha256').update(data).digest('base64url');
import type { NormalizedRecord } from '../../record.js';

/**
 * A document id that is the same every time the same event is shipped, so a replay (restart,
 * re-read audit.log, spool resend) is answered 409 instead of indexing a duplicate. Audit events
 * are identified by node + serial + time; anything else by its content.
 */
export function documentId(rec: NormalizedRecord, json: string): string {
  const seq = rec.event?.sequence;
  const key =
    rec.event?.module === 'auditd' && typeof seq === 'number'
      ? `auditd\0${rec.audit?.node ?? rec.host?.name ?? ''}\0${seq}\0${rec['@timestamp']}\0${rec.event.action}`
      : json;
  return sha256(key).slice(0, 32);
}

// `{yyyy.MM.dd}`, `{yyyy}-{MM}`...: date parts of the record's @timestamp (UTC)
const DATE_BLOCK = /\{([^}]*)\}/g;

/** The target index for a record: a fixed name, or a pattern filled from its @timestamp (UTC). */
export function indexResolver(target: string): (rec: NormalizedRecord) => string {
  if (!target.includes('{')) return () => target;
  return (rec) => {
    const ts = rec['@timestamp'];
    // ISO 8601 UTC: yyyy-MM-ddT...
    const ok = typeof ts === 'string' && ts.length >= 10 && ts[4] === '-' && ts[7] === '-';
    const now = ok ? ts : new Date().toISOString();
    return target.replace(DATE_BLOCK, (_, fmt: string) => fmt.replace('yyyy', now.slice(0, 4)).replace('MM', now.slice(5, 7)).replace('dd', now.slice(8, 10)));
  };
}

/** One `_bulk` item: in the body, `action` then `doc` then a newline (NDJSON). */
export interface BulkItem {
  id: string;
  index: string;
  /** `{"create":{...}}\n` */
  action: string;
  /** the document JSON (also what the dead-letter file keeps) */
  doc: string;
  /** size estimate for batching (UTF-16 units; a 413 splits batches this underestimates) */
  bytes: number;
  attempts: number;
}

const actionPrefix = new Map<string, string>();

export function bulkItem(index: string, id: string, doc: string): BulkItem {
  // data streams accept only `create`; with a fixed _id, create also makes a replay a 409
  let prefix = actionPrefix.get(index);
  if (prefix === undefined) {
    prefix = `{"create":{"_index":${JSON.stringify(index)},"_id":"`;
    if (actionPrefix.size < 1024) actionPrefix.set(index, prefix);
  }
  const action = prefix + id + '"}}\n';
  return { id, index, action, doc, bytes: action.length + doc.length + 1, attempts: 0 };
}

/** The `_bulk` body of some items. */
export function bulkBody(items: readonly BulkItem[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) out += items[i].action + items[i].doc + '\n';
  return out;
}

export type ItemOutcome = 'created' | 'duplicate' | 'retry' | 'rejected';

export interface ItemResult {
  outcome: ItemOutcome;
  status: number;
  error?: { type?: string; reason?: string };
}

/** 2xx created, 409 already there, 429/5xx worth retrying, other 4xx never going to work. */
export function classify(status: number): ItemOutcome {
  if (status >= 200 && status < 300) return 'created';
  if (status === 409) return 'duplicate';
  if (status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

/**
 * Reads a `_bulk` response body into one result per item sent, in order. A response that does
 * not account for every item is an error: items without a verdict must be retried, not assumed.
 */
export function parseBulkResponse(body: string, sent: number): ItemResult[] {
  const parsed = JSON.parse(body) as { errors?: boolean; items?: Record<string, { status: number; error?: { type?: string; reason?: string } }>[] };
  const items = parsed.items;
  if (!Array.isArray(items) || items.length !== sent) {
    throw new Error(`_bulk response has ${Array.isArray(items) ? items.length : 'no'} items for ${sent} sent`);
  }
  const out: ItemResult[] = new Array(sent);
  for (let i = 0; i < sent; i++) {
    const entry = items[i];
    const r = entry.create ?? entry.index ?? Object.values(entry)[0];
    const status = typeof r?.status === 'number' ? r.status : 500;
    out[i] = r?.error ? { outcome: classify(status), status, error: { type: r.error.type, reason: r.error.reason } } : { outcome: classify(status), status };
  }
  return out;
}

/** Composable index template (ES ≥ 7.8, OpenSearch ≥ 1) with ECS mappings for the record's fields. */
export function indexTemplate(target: string, dataStream: boolean, priority: number): Record<string, unknown> {
  const kw = { type: 'keyword', ignore_above: 1024 };
  const text = { type: 'text' };
  const long = { type: 'long' };
  const user = { properties: { id: kw, name: kw } };
  const template: Record<string, unknown> = {
    index_patterns: [dataStream ? `${target.replace(/-[^-]+$/, '')}-*` : target.replace(/\{[^}]*\}/g, '*')],
    priority,
    template: {
      mappings: {
        // unknown string fields (decorations, snoopy/audit extras) are exact-match keywords
        dynamic_templates: [{ strings_as_keyword: { match_mapping_type: 'string', mapping: kw } }],
        properties: {
          '@timestamp': { type: 'date' },
          message: text,
          event: {
            properties: {
              module: kw,
              kind: kw,
              category: kw,
              type: kw,
              action: kw,
              outcome: kw,
              dataset: kw,
              sequence: long,
              original: { type: 'keyword', index: false, doc_values: false },
            },
          },
          process: {
            properties: {
              pid: long,
              name: kw,
              executable: kw,
              args: kw,
              args_count: long,
              working_directory: kw,
              title: { type: 'keyword', ignore_above: 8192, fields: { text } },
              command_line: { type: 'keyword', ignore_above: 8192, fields: { text } },
              tty: { properties: { char_device: { properties: { major: long, minor: long } } } },
              exit_code: long,
              parent: { properties: { pid: long, name: kw, executable: kw } },
            },
          },
          user: {
            properties: {
              id: kw,
              name: kw,
              terminal: kw,
              audit: user,
              effective: user,
              saved: user,
              filesystem: user,
              group: user,
              target: user,
            },
          },
          group: user,
          file: {
            properties: {
              path: kw,
              target_path: kw,
              inode: kw,
              device: kw,
              mode: kw,
              uid: kw,
              gid: kw,
              owner: kw,
              group: kw,
              type: kw,
            },
          },
          source: { properties: { ip: { type: 'ip' }, port: long, path: kw, address: kw } },
          destination: { properties: { ip: { type: 'ip' }, port: long, path: kw, address: kw } },
          network: { properties: { type: kw, direction: kw, transport: kw, family: kw } },
          host: { properties: { name: kw, id: kw } },
          audit: {
            properties: {
              syscall: kw,
              arch: kw,
              exit: long,
              errno: kw,
              keys: kw,
              record_types: kw,
              node: kw,
              session: kw,
              lost: long,
              // free-form per record type: kept in _source, not indexed, so no event can make
              // another event's mapping conflict (and land in the dead-letter file)
              data: { type: 'object', enabled: false },
            },
          },
          error: { properties: { message: text, type: kw, input: kw } },
          redacted: kw,
          truncated: kw,
          labels: { type: 'object', dynamic: true },
        },
      },
    },
    _meta: { managed_by: 'auditflow', description: 'ECS mappings for auditflow records' },
  };
  if (dataStream) template.data_stream = {};
  return template;
}
