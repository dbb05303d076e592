// Events named by their record type rather than a syscall: PAM / login programs' USER_* and
// CRED_*, LOGIN, account management, USER_CMD, CONFIG_CHANGE, ANOM_*, AVC, DAEMON_*, and a
// generic reading for every other type. Fields with no ECS home stay under audit.data.

import { isIP } from 'node:net';
import type { NormalizedRecord } from '../../record.js';
import type { AuditRecord } from '../record.js';
import { decode } from '../record.js';
import { UNSET_ID } from '../../users.js';
import type { RecordTypeSpec } from './actions.js';
import type { IdNamer } from './names.js';
import { archOf } from '../tables/arch.js';
import { syscallTables } from '../tables/syscalls.js';
import { num, unquote } from './subject.js';

/**
 * Fields the kernel or libaudit hex-encode when they hold unsafe bytes (after auparse's list).
 * Only these are decoded: elsewhere an even run of hex digits is a number (CONFIG_CHANGE's
 * old=8192). saddr stays hex: it is a struct, decoded by sockaddr.ts where it means something.
 */
const encodedFields = new Set([
  'name',
  'path',
  'cwd',
  'comm',
  'exe',
  'proctitle',
  'key',
  'acct',
  'cmd',
  'data',
  'dir',
  'file',
  'watch',
  'ocomm',
  'root_dir',
  'sw',
  'unit',
  'vm',
  'vm-ctx',
  'img-ctx',
  'device',
  'hostname',
  'addr',
  'terminal',
  'profile',
  'operation',
  'info',
  'cgroup',
]);

/** Fields already placed in ECS fields by fillSubject (or meaningless once parsed). */
const subjectFields = new Set([
  'pid',
  'ppid',
  'uid',
  'auid',
  'euid',
  'suid',
  'fsuid',
  'gid',
  'egid',
  'sgid',
  'fsgid',
  'ses',
  'tty',
  'comm',
  'exe',
  'msg',
  'res',
  'success',
]);

export function fieldValue(key: string, raw: string): string | undefined {
  if (raw.charCodeAt(0) === 0x22) return raw.length > 1 ? raw.slice(1, -1) : '';
  if (raw === '?' || raw === '(null)' || raw === '(none)') return undefined;
  if (encodedFields.has(key)) return decode(raw);
  return raw;
}

/** The record's fields minus the ones with an ECS home, decoded. */
export function dataOf(rec: AuditRecord, skip?: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const f = rec.fields;
  for (const k in f) {
    if (subjectFields.has(k) || skip?.has(k)) continue;
    const v = fieldValue(k, f[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function outcomeOf(res: string | undefined): 'success' | 'failure' | 'unknown' {
  switch (unquote(res)) {
    case 'success':
    case 'yes':
    case '1':
      return 'success';
    case 'failed':
    case 'fail':
    case 'failure':
    case 'no':
    case '0':
      return 'failure';
    default:
      return 'unknown';
  }
}

const sessionSkip = new Set(['acct', 'id', 'addr', 'hostname', 'terminal']);
const loginSkip = new Set(['old-auid', 'old_auid', 'new-auid', 'new_auid', 'old-ses', 'old_ses', 'new-ses', 'subj']);

/** Fills action/category/type and the type-specific fields of a record-type event. */
export function fillRecordType(out: NormalizedRecord, rec: AuditRecord, spec: RecordTypeSpec, namer: IdNamer, hasSyscall: boolean): void {
  out.event.action = spec.action;
  out.event.category = spec.category as string[];
  out.event.type = spec.type as string[];
  const f = rec.fields;
  if (!hasSyscall || f.res !== undefined) {
    const o = outcomeOf(f.res ?? f.success);
    if (o !== 'unknown' || out.event.outcome === undefined) out.event.outcome = o;
  }
  const audit = (out.audit ??= {});
  switch (spec.shape) {
    case 'user-session':
    case 'account': {
      // acct="?" is how PAM says it does not know the account (sshd's bad_ident)
      let acct = f.acct !== undefined ? fieldValue('acct', f.acct) : undefined;
      if (acct === '?' || acct === '') acct = undefined;
      let id = unquote(f.id);
      if (id === '?' || id === '') id = undefined;
      if (acct !== undefined || id !== undefined) {
        const target = id !== undefined ? namer.user(id, rec.enriched?.ID)! : { id: namer.userIdOf(acct!) };
        if (acct !== undefined) target.name = acct;
        if (target.id === undefined) delete target.id;
        (out.user ??= {}).target = target;
      }
      const addr = f.addr !== undefined ? fieldValue('addr', f.addr) : undefined;
      if (addr !== undefined) {
        if (isIP(addr) !== 0) {
          out.source = { ip: addr };
          (out.network ??= {}).direction = 'ingress';
        } else {
          out.source = { address: addr };
        }
      }
      const terminal = f.terminal !== undefined ? fieldValue('terminal', f.terminal) : undefined;
      if (terminal !== undefined) (out.user ??= {}).terminal = terminal;
      const data = dataOf(rec, sessionSkip);
      const host = f.hostname !== undefined ? fieldValue('hostname', f.hostname) : undefined;
      if (host !== undefined && host !== addr) data.hostname = host;
      setData(audit, data);
      break;
    }
    case 'login': {
      // LOGIN's auid= is the new login uid; old-auid the one replaced
      const auid = unquote(f.auid ?? f['new-auid'] ?? f.new_auid);
      if (auid !== undefined) (out.user ??= {}).audit = namer.user(auid, rec.enriched?.AUID);
      const ses = unquote(f.ses ?? f['new-ses']);
      if (ses !== undefined && ses !== UNSET_ID) audit.session = ses;
      const data = dataOf(rec, loginSkip);
      const oldAuid = unquote(f['old-auid'] ?? f.old_auid);
      if (oldAuid !== undefined) data.old_auid = oldAuid;
      const oldSes = unquote(f['old-ses'] ?? f.old_ses);
      if (oldSes !== undefined) data.old_ses = oldSes;
      setData(audit, data);
      break;
    }
    case 'command': {
      const data = dataOf(rec);
      const cwd = data.cwd;
      if (typeof cwd === 'string') (out.process ??= {}).working_directory = cwd;
      const terminal = data.terminal;
      if (typeof terminal === 'string') (out.user ??= {}).terminal = terminal;
      delete data.cwd;
      delete data.terminal;
      setData(audit, data);
      break;
    }
    case 'avc': {
      const data = dataOf(rec);
      if (data.apparmor !== undefined) {
        out.event.action = 'violated-apparmor-policy';
        const verdict = String(data.apparmor);
        out.event.type = verdict === 'DENIED' ? ['denied'] : verdict === 'ALLOWED' ? ['allowed'] : ['info'];
      } else {
        // SELinux: "avc:  denied  { read write } for pid=..." — verdict and permissions are bare words
        const m = selinuxVerdict(rec.body);
        if (m !== undefined) {
          data.seresult = m.result;
          data.seperms = m.perms;
          out.event.type = m.result === 'denied' ? ['denied'] : ['allowed'];
        }
      }
      const name = typeof data.name === 'string' ? data.name : typeof data.path === 'string' ? data.path : undefined;
      if (name !== undefined && name.charCodeAt(0) === 0x2f) (out.file ??= {}).path = name;
      setData(audit, data);
      break;
    }
    case 'anomaly': {
      const data = dataOf(rec);
      // SECCOMP names the syscall the filter acted on, by arch and number like SYSCALL does
      if (f.syscall !== undefined && f.arch !== undefined && audit.syscall === undefined) {
        const arch = archOf(f.arch);
        const nr = num(f.syscall);
        const table = arch?.table !== undefined ? syscallTables[arch.table] : undefined;
        audit.arch = arch?.name ?? f.arch;
        audit.syscall = (nr !== undefined ? table?.[nr] : undefined) ?? f.syscall;
        delete data.arch;
        delete data.syscall;
      }
      setData(audit, data);
      break;
    }
    case 'config':
    case 'daemon':
    case 'plain': {
      setData(audit, dataOf(rec));
      break;
    }
  }
}

function setData(audit: NonNullable<NormalizedRecord['audit']>, data: Record<string, unknown>): void {
  for (const _ in data) {
    audit.data = audit.data === undefined ? data : Object.assign(audit.data, data);
    return;
  }
}

function selinuxVerdict(body: string): { result: string; perms: string[] } | undefined {
  const at = body.indexOf('avc:');
  if (at < 0) return undefined;
  const open = body.indexOf('{', at);
  const close = open < 0 ? -1 : body.indexOf('}', open);
  const head = body.slice(at + 4, open < 0 ? undefined : open).trim();
  const result = head.split(' ')[0];
  if (result !== 'denied' && result !== 'granted') return undefined;
  const perms =
    close < 0
      ? []
      : body
          .slice(open + 1, close)
          .trim()
          .split(/\s+/)
          .filter(Boolean);
  return { result, perms };
}

/** Any record type without an entry in actions.ts: still one record, every field kept. */
export function fillGenericType(out: NormalizedRecord, rec: AuditRecord): void {
  out.event.action = rec.type.toLowerCase().replaceAll('_', '-');
  out.event.category = ['process'];
  out.event.type = ['info'];
  if (out.event.outcome === undefined && (rec.fields.res !== undefined || rec.fields.success !== undefined)) {
    out.event.outcome = outcomeOf(rec.fields.res ?? rec.fields.success);
  }
  const audit = (out.audit ??= {});
  setData(audit, dataOf(rec));
  const n = num(rec.fields.pid);
  if (n !== undefined) (out.process ??= {}).pid = n;
}
