// The redact filter, on by default: every place a secret can reach an output — argv, the command
// line, the title (proctitle), the message, event.original, error.message, snoopy's and
// audit.data's strings, and the raw records/lines the auditlog output and event.original are
// made from.
// `redacted[]` names the fields it changed (never the secret).
import type { Filter, FilterStats } from '../../pipeline/types.js';
import { kRaw, kTemplate, type NormalizedRecord } from '../../record.js';
import type { UserRuleConfig } from './rules.js';
import { Redactor } from './redactor.js';
import { Recent } from '../../recent.js';
import { Memo } from './memo.js';
import { proctitleText, redactAuditRecords, type Substitutions } from './audit-records.js';
import { summary } from '../../audit/normalize/message.js';
import { shellArgs } from '../../shell-words.js';
import { SLOW_MS } from '../predicate.js';

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
  /** records that took longer than SLOW_MS here */
  private slow = 0;
  /** secrets found, by field */
  private readonly byField = new Map<string, number>();
  /** a process's every event repeats its title: redact each distinct one once */
  private readonly titles = new Memo<string | null>();
  /** and whether it screens positive at all: the screen was ~6% of an open flood's main thread */
  private readonly titleScreens = new Recent<boolean>();
  private readonly screen = (s: string): boolean => this.redactor.suspect(s);
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
  private redactMap(
    rec: NormalizedRecord,
    map: Record<string, unknown>,
    prefix: string,
    list: string[] | undefined,
    depth: number,
    fixed?: ReadonlySet<string>,
  ): string[] | undefined {
    for (const k in map) {
      const v = map[k];
      if (typeof v === 'string') {
        if (fixed?.has(k)) continue;
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
    // a record exactly as normalized, of a shape this filter (these rules) found nothing in
    // before: the same text again, the same answer
    const template = rec[kTemplate];
    if (template !== undefined && template.cleanFor === this) return rec;
    const t0 = performance.now();
    const changed = this.redact(rec);
    if (performance.now() - t0 > SLOW_MS) this.slow++;
    if (template !== undefined) {
      if (changed) rec[kTemplate] = undefined;
      else template.cleanFor = this;
    }
    return rec;
  }

  /**
   * `s` with the command line it quotes (`from`) replaced by its redacted form (`to`), and only the
   * rest scanned: the command is redacted once, as the program saw it, and the words around it
   * (` (cwd /srv)` after `htpasswd -b f u PW`) are never read as its arguments.
   */
  private around(s: string, from: string | undefined, to: string | undefined): string | undefined {
    if (from === undefined || to === undefined || from === '') return this.redactor.text(s);
    const at = s.indexOf(from);
    if (at < 0) return this.redactor.text(s);
    const pre = s.slice(0, at);
    const post = s.slice(at + from.length);
    const out = (this.redactor.text(pre) ?? pre) + to + (this.redactor.text(post) ?? post);
    return out === s ? undefined : out;
  }

  /** Redacts rec in place; whether anything in it changed. */
  private redact(rec: NormalizedRecord): boolean {
    const r = this.redactor;
    let list: string[] | undefined;
    const p = rec.process;
    const auditd = rec.event.module === 'auditd';
    // The raw EXECVE/PROCTITLE records hold the same bytes as process.args/title: when those
    // are clean (almost always) the raw records are too, and need no decoding at all.
    let argsSuspect = true;
    let titleSuspect = true;
    /** the command line before and after, to find it again in message and the raw line */
    let cmdFrom: string | undefined;
    let cmdTo: string | undefined;
    let argsChanged = false;
    if (p !== undefined) {
      if (p.args !== undefined) {
        argsSuspect = false;
        for (let i = 0; i < p.args.length && !argsSuspect; i++) argsSuspect = r.suspect(p.args[i]);
      }
      if (p.title !== undefined) titleSuspect = this.titleScreens.get(p.title, this.screen);
      // snoopy's and bash's argv are the words of their command line: remade from the redacted line
      const fromLine = !auditd && p.command_line !== undefined && p.args !== undefined;
      if (fromLine) argsSuspect = false;
      if (p.args !== undefined && argsSuspect) {
        const a = r.args(p.args);
        if (a !== undefined) {
          // the kernel's argv is exact: a command line made from it is remade from the redacted one
          if (auditd && p.command_line !== undefined && p.command_line === p.args.join(' ')) {
            cmdFrom = p.command_line;
            cmdTo = p.command_line = a.join(' ');
            list = this.touched(rec, 'process.command_line', list);
          }
          p.args = a;
          argsChanged = true;
          list = this.touched(rec, 'process.args', list);
        }
      }
      if (p.command_line !== undefined && cmdTo === undefined) {
        const t = r.text(p.command_line);
        if (t !== undefined) {
          cmdFrom = p.command_line;
          cmdTo = p.command_line = t;
          list = this.touched(rec, 'process.command_line', list);
          if (fromLine) {
            p.args = shellArgs(t);
            list = this.touched(rec, 'process.args', list);
          }
        }
      }
    }
    const raw = rec[kRaw];
    let rawChanged = false;
    let subs: Substitutions | undefined;
    if (typeof raw === 'string') {
      const t = this.around(raw, cmdFrom, cmdTo);
      if (t !== undefined) {
        rec[kRaw] = t;
        rawChanged = true;
      }
    } else if (raw !== undefined && redactAuditRecords(raw, r, (subs = []), { execve: argsSuspect, proctitle: titleSuspect }, this.proctitles))
      rawChanged = true;
    if (p?.title !== undefined && titleSuspect) {
      // the title is the PROCTITLE record's argv joined by spaces: remade from the redacted record
      // (one argument with spaces stays one secret), read as text only when there is none
      const pt = Array.isArray(raw) ? raw.find((x) => x.type === 'PROCTITLE')?.fields.proctitle : undefined;
      let t: string | null | undefined;
      if (pt !== undefined) t = rawChanged ? (proctitleText(pt) ?? null) : null;
      else {
        t = this.titles.get(p.title);
        if (t === undefined) {
          t = r.text(p.title) ?? null;
          this.titles.set(p.title, t);
        }
      }
      if (t !== null && t !== p.title) {
        p.title = t;
        list = this.touched(rec, 'process.title', list);
      }
    }
    if (rec.message !== undefined) {
      // auditd's summary is made from argv: made again from the redacted argv, it is exact
      const t = auditd && argsChanged && rec.event.action === 'executed' ? summary(rec) : this.around(rec.message, flat(cmdFrom), flat(cmdTo));
      if (t !== undefined && t !== rec.message) {
        rec.message = t;
        list = this.touched(rec, 'message', list);
      }
    }
    // a pipeline_error quotes the line it could not read
    const err = rec.error;
    if (err !== undefined && typeof err.message === 'string') {
      const t = this.redactor.text(err.message);
      if (t !== undefined) {
        err.message = t;
        list = this.touched(rec, 'error.message', list);
      }
    }
    // PAM's acct is whatever was typed at the login prompt: sometimes the password
    const target = rec.user?.target;
    if (target?.name !== undefined) {
      const t = this.redactor.text(target.name);
      if (t !== undefined) {
        target.name = t;
        list = this.touched(rec, 'user.target.name', list);
      }
    }
    if (rec.snoopy !== undefined) list = this.redactMap(rec, rec.snoopy, 'snoopy', list, 0);
    const data = rec.audit?.data;
    if (data !== undefined) list = this.redactMap(rec, data, 'audit.data', list, 1, FIXED_VOCABULARY);
    const orig = rec.event.original;
    if (orig !== undefined) {
      // made from the raw records: replay the same field rewrites (hex proctitle, EXECVE aN,
      // TTY data, acct); a line-based original (snoopy, bash) is redacted like the raw line
      let o: string | undefined = orig;
      if (subs !== undefined) {
        for (let i = 0; i < subs.length; i++) o = o.split(subs[i][0]).join(subs[i][1]);
      } else {
        o = this.around(orig, cmdFrom, cmdTo) ?? orig;
      }
      if (o !== orig) {
        rec.event.original = o;
        list = this.touched(rec, 'event.original', list);
      }
    }
    if (rawChanged) this.byField.set('raw', (this.byField.get('raw') ?? 0) + 1);
    if (list === undefined && !rawChanged) return false;
    this.modified++;
    return true;
  }

  stats(): FilterStats & { slow: number; fields: Record<string, number> } {
    return { kept: this.seen, dropped: 0, modified: this.modified, slow: this.slow, fields: Object.fromEntries(this.byField) };
  }
}

/**
 * audit.data fields whose values come from a fixed vocabulary or from the system, never from
 * what someone typed: PAM's operation and module list, results, SELinux contexts, the peer's
 * host name and address, the terminal, the executable. They screen positive often (`verizon.net`,
 * `PAM:authentication`, `pam_unix`) and can hold no secret, so they are not scanned.
 */
const FIXED_VOCABULARY: ReadonlySet<string> = new Set([
  'op',
  'res',
  'result',
  'grantors',
  'subj',
  'obj',
  'scontext',
  'tcontext',
  'tclass',
  'hostname',
  'addr',
  'terminal',
  'exe',
]);

/** snoopy and bash summaries show a multi-line command on one line */
const flat = (s: string | undefined): string | undefined => (s === undefined || !/[\n\t]/.test(s) ? s : s.replace(/[\n\t]/g, ' '));

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
