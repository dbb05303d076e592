// The one-line summary: "<who> <action> <what>", e.g.
//   alice as root executed /usr/bin/scp f2.txt root@10.0.0.2:/root (cwd /home/alice)
// <who> is the login user (auid) and, when different, the uid acting; <what> depends on the
// object. Control characters are escaped so the line stays one line, and the object is capped
// (a 24,000-byte argument belongs in process.args, not in a summary).

import type { NormalizedRecord, UserRef } from '../../record.js';
import { UNSET_ID } from '../../users.js';

const MAX_OBJECT = 512;

const refName = (u: UserRef | undefined): string | undefined => (u === undefined ? undefined : (u.name ?? u.id));

function actor(rec: NormalizedRecord): string {
  const user = rec.user;
  const uid = refName(user);
  const audit = user?.audit;
  if (audit === undefined || audit.id === UNSET_ID) return uid ?? 'unknown';
  const login = refName(audit)!;
  if (uid === undefined || audit.id === user!.id) return login;
  return `${login} as ${uid}`;
}

function hostPort(ep: NonNullable<NormalizedRecord['destination']>): string | undefined {
  if (ep.ip !== undefined) {
    const ip = ep.ip.includes(':') ? `[${ep.ip}]` : ep.ip;
    return ep.port !== undefined ? `${ip}:${ep.port}` : ep.ip;
  }
  return ep.path ?? ep.address;
}

function object(rec: NormalizedRecord): string | undefined {
  const action = rec.event.action;
  const file = rec.file;
  const data = rec.audit?.data;
  // fd-based calls (fchmod, fchown) name no path, only the inode
  const path = file?.path ?? (file?.inode !== undefined ? `inode ${file.inode}` : undefined);
  switch (action) {
    case 'executed': {
      const args = rec.process?.args;
      const exe = file?.path ?? rec.process?.executable;
      if (args === undefined || args.length === 0) return exe;
      let s = exe ?? args[0];
      for (let i = 1; i < args.length && s.length < MAX_OBJECT; i++) s += ' ' + args[i];
      return s;
    }
    case 'renamed':
    case 'linked':
    case 'symlinked':
      return file?.target_path !== undefined ? `${path ?? '?'} to ${file.target_path}` : path;
    case 'changed-file-permissions-of':
      return file?.mode !== undefined ? `${path ?? '?'} to ${file.mode}` : path;
    case 'changed-file-ownership-of':
      return `${path ?? '?'} to ${file?.owner ?? file?.uid ?? '?'}:${file?.group ?? file?.gid ?? '?'}`;
    case 'changed-identity-of': {
      const t = rec.user?.target ?? rec.group;
      return refName(t);
    }
    case 'loaded-kernel-module':
    case 'unloaded-kernel-module':
      return typeof data?.module === 'string' ? data.module : typeof data?.name === 'string' ? data.name : undefined;
    case 'killed-pid':
    case 'traced-pid':
      return data?.target_pid !== undefined ? `${data.target_pid}${data.target_name !== undefined ? ` (${data.target_name})` : ''}` : undefined;
    case 'changed-login-id-to':
      return refName(rec.user?.audit);
    case 'called-syscall':
      return rec.audit?.syscall;
    case 'ran-command':
      return typeof data?.cmd === 'string' ? data.cmd : undefined;
    case 'changed-audit-configuration': {
      if (data === undefined) return undefined;
      const op = data.op ?? Object.keys(data).find((k) => k.startsWith('audit_'));
      return op === undefined ? undefined : data.key !== undefined ? `${op} ${data.key}` : String(op);
    }
  }
  const cat = rec.event.category;
  if (cat !== undefined && cat[0] === 'network') {
    const ep = rec.destination ?? rec.source;
    return ep !== undefined ? hostPort(ep) : rec.network?.family;
  }
  if (rec.user?.target !== undefined && rec.event.module === 'auditd' && rec.audit?.syscall === undefined) {
    const t = refName(rec.user.target);
    const from = rec.source !== undefined ? hostPort(rec.source) : undefined;
    return from !== undefined ? `${t} from ${from}` : t;
  }
  if (path !== undefined) return path;
  if (action === 'changed-promiscuous-mode-on-device' && typeof data?.dev === 'string') return data.dev;
  if (action === 'crashed-program') return rec.process?.executable ?? rec.process?.name;
  return undefined;
}

export function summary(rec: NormalizedRecord): string {
  let s = actor(rec) + ' ' + rec.event.action;
  const obj = object(rec);
  if (obj !== undefined && obj !== '') s += ' ' + (obj.length > MAX_OBJECT ? obj.slice(0, MAX_OBJECT) + '…' : obj);
  if (rec.event.outcome === 'failure') s += rec.audit?.errno !== undefined ? ` (failed: ${rec.audit.errno})` : ' (failed)';
  if (rec.event.action === 'executed' && rec.process?.working_directory !== undefined) s += ` (cwd ${rec.process.working_directory})`;
  return oneLine(s);
}

/** Escapes C0 controls and DEL so a summary never spans lines or moves a terminal cursor. */
const CONTROL = /[\x00-\x1f\x7f]/;

export function oneLine(s: string): string {
  const first = s.search(CONTROL); // the regex engine scans faster than a charCodeAt loop
  if (first < 0) return s;
  let i = first;
  const n = s.length;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += s[i];
  }
  return out;
}
