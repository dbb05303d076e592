// The redact filter, on by default: every place a secret can reach an output — argv, the command
// line, the title (proctitle), the message, event.original, error.message, snoopy's and
// audit.data's strings, and the raw records/lines the auditlog output and event.original are
// made from.
// `redacted[]` names the fields it changed (never the secret).
import type { Filter, FilterStats } from '../../pipeline/types.js';
import { kRaw, type NormalizedRecord } from '../../record.js';
import type { UserRuleConfig } from './rules.js';
import { Redactor } from './redactor.js';
import { Memo } from './memo.js';
import { redactAuditRecords, type Substitutions } from './audit-records.js';

export interface RedactConfig {
  type: 'redact';
  enabled?: boolean;
  marker?: string;
  builtin?: boolean;
  rules?: UserRuleConfig[];
}

export class RedactFilter implements Filter {
  readonly name = 'redact';
  readonly redactor: Redactor;
  private seen = 0;
  private modified = 0;
  /** secrets found, by field */
  private readonly byField = new Map<string, number>();
  /** a process's every event repeats its title: redact each distinct one once */
  private readonly titles = new Memo<string | null>();
  private readonly proctitles = new Memo<string>();

  constructor(cfg: Omit<RedactConfig, 'type'> = {}, where = 'redact') {
    this.redactor = new Redactor(cfg, where);
  }

  private touched(rec: NormalizedRecord, field: string, list: string[] | undefined): string[] {
    const l = list ?? (rec.redacted ??= []);
    if (!l.includes(field)) l.push(field);
    this.byField.set(field, (this.byField.get(field) ?? 0) + 1);
    return l;
  }

  /** Redacts the string values of a flat string map (snoopy.*, audit.data.*) in place. */
  private redactMap(rec: NormalizedRecord, map: Record<string, unknown>, prefix: string, list: string[] | undefined, depth: number): string[] | undefined {
    for (const k in map) {
      const v = map[k];
      if (typeof v === 'string') {
        const red = this.redactor.text(v);
        if (red !== undefined) {
          map[k] = red;
          list = this.touched(rec, `${prefix}.${k}`, list);
        }
      } else if (depth > 0 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        list = this.redactMap(rec, v as Record<string, unknown>, `${prefix}.${k}`, list, depth - 1);
      }
    }
    return list;
  }

  apply(rec: NormalizedRecord): NormalizedRecord {
    this.seen++;
    const r = this.redactor;
    let list: string[] | undefined;
    const p = rec.process;
    // The raw EXECVE/PROCTITLE records hold the same bytes as process.args/title: when those
    // are clean (almost always) the raw records are too, and need no decoding at all.
    let argsSuspect = true;
    let titleSuspect = true;
    if (p !== undefined) {
      if (p.args !== undefined) {
        argsSuspect = false;
        for (let i = 0; i < p.args.length && !argsSuspect; i++) argsSuspect = r.suspect(p.args[i]);
      }
      if (p.title !== undefined) titleSuspect = r.suspect(p.title);
    }
    if (p !== undefined) {
      if (p.args !== undefined && argsSuspect) {
        const a = r.args(p.args);
        if (a !== undefined) {
          p.args = a;
          list = this.touched(rec, 'process.args', list);
        }
      }
      if (p.command_line !== undefined) {
        const t = r.text(p.command_line);
        if (t !== undefined) {
          p.command_line = t;
          list = this.touched(rec, 'process.command_line', list);
        }
      }
      if (p.title !== undefined && titleSuspect) {
        let t = this.titles.get(p.title);
        if (t === undefined) {
          t = r.text(p.title) ?? null;
          this.titles.set(p.title, t);
        }
        if (t !== null) {
          p.title = t;
          list = this.touched(rec, 'process.title', list);
        }
      }
    }
    if (rec.message !== undefined) {
      const t = r.text(rec.message);
      if (t !== undefined) {
        rec.message = t;
        list = this.touched(rec, 'message', list);
      }
    }
    // a pipeline_error quotes the line it could not read
    const err = rec.error;
    if (err !== undefined && typeof err.message === 'string') {
      const t = r.text(err.message);
      if (t !== undefined) {
        err.message = t;
        list = this.touched(rec, 'error.message', list);
      }
    }
    if (rec.snoopy !== undefined) list = this.redactMap(rec, rec.snoopy, 'snoopy', list, 0);
    const data = rec.audit?.data;
    if (data !== undefined) list = this.redactMap(rec, data, 'audit.data', list, 1);
    const raw = rec[kRaw];
    let rawChanged = false;
    let subs: Substitutions | undefined;
    if (typeof raw === 'string') {
      const t = r.text(raw);
      if (t !== undefined) {
        rec[kRaw] = t;
        rawChanged = true;
      }
    } else if (raw !== undefined && redactAuditRecords(raw, r, (subs = []), { execve: argsSuspect, proctitle: titleSuspect }, this.proctitles)) rawChanged = true;
    const orig = rec.event.original;
    if (orig !== undefined) {
      // made from the raw records: replay the same field rewrites (hex proctitle, EXECVE aN);
      // a line-based original (snoopy, bash) goes through the text rules
      let o = orig;
      if (subs !== undefined) {
        // audit text: every field that can carry a secret (EXECVE, PROCTITLE, USER_CMD) was
        // redacted in the records; the rest is ids, paths and hex pointers, not worth a scan
        for (let i = 0; i < subs.length; i++) o = o.split(subs[i][0]).join(subs[i][1]);
      } else {
        o = r.text(o) ?? o;
      }
      if (o !== orig) {
        rec.event.original = o;
        list = this.touched(rec, 'event.original', list);
      }
    }
    if (rawChanged) this.byField.set('raw', (this.byField.get('raw') ?? 0) + 1);
    if (list !== undefined || rawChanged) this.modified++;
    return rec;
  }

  stats(): FilterStats & { fields: Record<string, number> } {
    return { kept: this.seen, dropped: 0, modified: this.modified, fields: Object.fromEntries(this.byField) };
  }
}

export const redactSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'redact' },
    enabled: { type: 'boolean', description: 'false turns redaction off (it is on by default, even when not listed)' },
    marker: { type: 'string', minLength: 1, description: 'what a secret is replaced with; default ****' },
    builtin: { type: 'boolean', description: 'false keeps only the rules below' },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['pattern'],
        properties: {
          pattern: { type: 'string', minLength: 1, description: 'regex; the group named `secret`, else group 1, else the whole match is replaced' },
          flags: { type: 'string', pattern: '^[imsu]*$' },
          name: { type: 'string' },
        },
      },
    },
  },
};
