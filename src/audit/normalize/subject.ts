// Who did it: the process and credentials fields every kernel and user-space record shares
// (pid ppid uid euid ... auid ses tty comm exe). SYSCALL has them all; user-space messages,
// ANOM_* and LOGIN have a subset; whichever record carries them fills the same ECS fields.

import type { NormalizedRecord } from '../../record.js';
import type { AuditRecord } from '../record.js';
import { decode } from '../record.js';
import { UNSET_ID } from '../../users.js';
import { ttyDevice } from '../../tty.js';
import type { IdNamer } from './names.js';

type Process = NonNullable<NormalizedRecord['process']>;
type User = NonNullable<NormalizedRecord['user']>;

export function unquote(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.charCodeAt(0) === 0x22 && v.length > 1 ? v.slice(1, -1) : v;
}

/** Decimal field as a number; undefined when absent or not a number. */
export function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(unquote(v));
  return Number.isFinite(n) && v !== '' ? n : undefined;
}

/** An id field: "?" (auditd's "not known", e.g. DAEMON_END's auid=?) is no id at all. */
function idField(v: string | undefined): string | undefined {
  const u = unquote(v);
  return u === undefined || u === '?' || u === '' || u === '(none)' ? undefined : u;
}

export function fillSubject(out: NormalizedRecord, rec: AuditRecord, namer: IdNamer): void {
  const f = rec.fields;
  const e = rec.enriched;
  const proc: Process = out.process ?? {};
  const pid = num(f.pid);
  if (pid !== undefined) proc.pid = pid;
  const ppid = num(f.ppid);
  if (ppid !== undefined) proc.parent = { pid: ppid };
  const comm = decode(f.comm);
  if (comm !== undefined) proc.name = comm;
  const exe = decode(f.exe);
  if (exe !== undefined) proc.executable = exe;
  const tty = unquote(f.tty);
  if (tty !== undefined && tty !== '(none)' && tty !== '?') {
    const dev = ttyDevice(tty);
    if (dev !== undefined) proc.tty = dev;
    // the name is what people search for (ausearch --tty pts1); Auditbeat keeps it as auditd.data.tty
    ((out.audit ??= {}).data ??= {}).tty = tty;
  }
  if (proc.pid !== undefined || proc.name !== undefined || proc.executable !== undefined) out.process = proc;

  const uidRaw = idField(f.uid);
  const user: User = out.user ?? {};
  if (uidRaw !== undefined) {
    const u = namer.user(uidRaw, e?.UID)!;
    user.id = u.id;
    if (u.name !== undefined) user.name = u.name;
  }
  const auid = idField(f.auid);
  if (auid !== undefined) user.audit = namer.user(auid, e?.AUID);
  const euid = idField(f.euid);
  if (euid !== undefined) user.effective = namer.user(euid, e?.EUID);
  const suid = idField(f.suid);
  if (suid !== undefined && suid !== uidRaw) user.saved = namer.user(suid, e?.SUID);
  const fsuid = idField(f.fsuid);
  if (fsuid !== undefined && fsuid !== euid) user.filesystem = namer.user(fsuid, e?.FSUID);
  const gid = idField(f.gid);
  if (gid !== undefined) user.group = namer.group(gid, e?.GID);
  if (uidRaw !== undefined || auid !== undefined || euid !== undefined) out.user = user;

  const ses = idField(f.ses);
  if (ses !== undefined && ses !== UNSET_ID) (out.audit ??= {}).session = ses;
}
