// Syscall events: SYSCALL plus its EXECVE / CWD / PATH / SOCKADDR / SOCKETCALL / OBJ_PID /
// PROCTITLE records. The syscall's number is looked up in the arch's table, its meaning in
// actions.ts, and the object (file, socket, target user...) read the way that table says.

import type { NormalizedRecord } from '../../record.js';
import type { AuditRecord } from '../record.js';
import { decode } from '../record.js';
import { archOf, type ArchInfo } from '../tables/arch.js';
import { syscallTables } from '../tables/syscalls.js';
import { errnoNames } from '../tables/errno.js';
import { ioUringOps } from '../tables/io-uring.js';
import { genericSyscall, socketcallNames, syscallActions, type ActionSpec } from './actions.js';
import { execArgs } from './execve.js';
import { absolutePath, fileMode, isAtFdcwd, octal4, pathName, pickExec, pickFile, pickLink, pickRename } from './paths.js';
import { decodeSockaddr, parseEnrichedSockaddr, type SockAddr } from './sockaddr.js';
import type { EventParts } from './parts.js';
import type { IdNamer } from './names.js';
import { num, unquote } from './subject.js';

type File = NonNullable<NormalizedRecord['file']>;

export interface SyscallInfo {
  /** The syscall made, as audit.syscall shows it ("socketcall" stays socketcall). */
  name: string;
  /** The call the event is read as: socketcall's sub-call (a0), else the syscall itself. */
  call: string;
  arch: ArchInfo | undefined;
  spec: ActionSpec;
  success: boolean | undefined;
}

/** Name and meaning of the event's syscall (socketcall resolved to the call it carries). */
export function syscallInfo(sc: AuditRecord): SyscallInfo {
  const f = sc.fields;
  const arch = archOf(f.arch);
  const nr = num(f.syscall);
  let name: string;
  const table = arch?.table !== undefined ? syscallTables[arch.table] : undefined;
  // ENRICHED logs name the syscall on the origin host: the fallback for arches we have no table for
  if (nr === undefined) name = unquote(f.syscall) ?? 'unknown';
  else name = table?.[nr] ?? sc.enriched?.SYSCALL ?? String(nr);
  // i386's socketcall(call, args): a0 is the call; audit.syscall keeps socketcall, so a search
  // for it still finds the event, while action and addresses are read as for the direct call
  let call = name;
  if (name === 'socketcall') call = socketcallNames[parseInt(f.a0 ?? '', 16)] || name;
  const ok = unquote(f.success);
  return {
    name,
    call,
    arch,
    spec: syscallActions[call] ?? genericSyscall,
    success: ok === 'yes' ? true : ok === 'no' ? false : undefined,
  };
}

/**
 * io_uring work done by the kernel on the process's behalf (URINGOP, no SYSCALL): the op is
 * read like the syscall of the same name, so an openat through a ring is an opened-file too.
 */
export function uringInfo(rec: AuditRecord): SyscallInfo {
  const op = num(rec.fields.uring_op);
  const name = (op !== undefined ? ioUringOps[op] : undefined) ?? `uring_op_${unquote(rec.fields.uring_op)}`;
  const ok = unquote(rec.fields.success);
  return {
    name,
    call: name,
    arch: undefined,
    spec: syscallActions[name] ?? genericSyscall,
    success: ok === 'yes' ? true : ok === 'no' ? false : undefined,
  };
}

/** audit.* and event.outcome from SYSCALL (or URINGOP). */
export function fillSyscallAudit(out: NormalizedRecord, sc: AuditRecord, info: SyscallInfo): void {
  const f = sc.fields;
  const audit = (out.audit ??= {});
  audit.syscall = info.name;
  audit.arch = info.arch?.name ?? sc.enriched?.ARCH ?? unquote(f.arch);
  const exit = num(f.exit);
  if (exit !== undefined) {
    audit.exit = exit;
    if (exit < 0 && info.success !== true) {
      const name = errnoNames[-exit];
      if (name !== undefined) audit.errno = name;
    }
  }
  out.event.outcome = info.success === true ? 'success' : info.success === false ? 'failure' : 'unknown';
  // "(null)" glued to more text is an ENRICHED record whose 0x1D separator got lost on the way
  // (`key=(null)ARCH=x86_64`): there is no key.
  const rawKey = f.key;
  const keys = rawKey === undefined || rawKey.startsWith('(null)') ? undefined : decode(rawKey);
  if (keys !== undefined) audit.keys = keys.includes('\x01') ? keys.split('\x01') : [keys];
}

/** Register n (a0..a3) as an unsigned number; registers are hex. */
function reg(sc: AuditRecord, n: number | undefined): number | undefined {
  if (n === undefined) return undefined;
  const v = sc.fields[REGS[n]];
  if (v === undefined) return undefined;
  const x = parseInt(v.length > 13 ? v.slice(-13) : v, 16); // low 52 bits: flags, modes and ids fit
  return Number.isFinite(x) ? x : undefined;
}
const REGS = ['a0', 'a1', 'a2', 'a3'];

/** A uid/gid argument; -1 means "leave unchanged". 16-bit ids on the old 32-bit calls. */
function idArg(sc: AuditRecord, n: number, info: SyscallInfo): string | undefined {
  const raw = sc.fields[REGS[n]];
  if (raw === undefined) return undefined;
  const narrow = info.arch?.bits === 32 && !info.call.endsWith('32') && (info.arch.name === 'i386' || info.arch.name === 'arm');
  const parsed = parseInt(raw.length > 8 ? raw.slice(-8) : raw, 16);
  if (!Number.isFinite(parsed)) return undefined; // garbage must not read as uid 0
  const v = parsed >>> 0;
  if (narrow ? (v & 0xffff) === 0xffff : v === 0xffffffff) return undefined;
  return String(narrow ? v & 0xffff : v);
}

export function fillSyscallObject(out: NormalizedRecord, sc: AuditRecord, parts: EventParts, info: SyscallInfo, namer: IdNamer): void {
  const spec = info.spec;
  const cwd = parts.cwd !== undefined ? decode(parts.cwd.fields.cwd) : undefined;
  if (cwd !== undefined) (out.process ??= {}).working_directory = cwd;
  const relToCwd = spec.dirfd === undefined || isAtFdcwd(sc.fields[REGS[spec.dirfd]]);

  switch (spec.object) {
    case 'exec': {
      const proc = (out.process ??= {});
      if (parts.execve.length > 0) {
        const ex = execArgs(parts.execve);
        proc.args = ex.args;
        if (ex.argc !== undefined) proc.args_count = ex.argc;
        proc.command_line = ex.args.join(' ');
        if (!ex.complete) (out.audit!.data ??= {}).execve_incomplete = true;
      }
      const p = pickExec(parts.paths);
      if (p !== undefined) setFile(out, p, cwd, relToCwd, namer);
      break;
    }
    case 'open': {
      const p = pickFile(parts.paths);
      if (p !== undefined) setFile(out, p, cwd, relToCwd, namer);
      const created = spec.creates === true || (p !== undefined && unquote(p.fields.nametype ?? p.fields.objtype) === 'CREATE');
      if (created && info.success !== false) {
        out.event.action = 'created-file';
        out.event.type = ['creation'];
      } else {
        const flags = reg(sc, spec.arg);
        // O_WRONLY=1 / O_RDWR=2 in the low bits, O_TRUNC=0o1000: the file is open for changing
        const writes = flags !== undefined && ((flags & 3) !== 0 || (flags & 0o1000) !== 0);
        out.event.type = writes ? ['change'] : ['access'];
      }
      break;
    }
    case 'file': {
      const p = pickFile(parts.paths);
      if (p !== undefined) setFile(out, p, cwd, relToCwd, namer);
      break;
    }
    case 'rename':
    case 'link': {
      const [from, to] = spec.object === 'rename' ? pickRename(parts.paths) : pickLink(parts.paths);
      if (from !== undefined) setFile(out, from, cwd, relToCwd, namer);
      if (to !== undefined) {
        const name = pathName(to);
        const rel2 = spec.dirfd2 === undefined || isAtFdcwd(sc.fields[REGS[spec.dirfd2]]);
        if (name !== undefined) (out.file ??= {}).target_path = absolutePath(name, cwd, rel2);
      }
      break;
    }
    case 'symlink': {
      // the new link is the CREATE; the text it points to was logged as the other name
      // (ECS file.target_path is exactly that: a symlink's target)
      const [pointee, link] = pickLink(parts.paths);
      if (link !== undefined) setFile(out, link, cwd, relToCwd, namer);
      const to = pointee !== undefined ? pathName(pointee) : undefined;
      if (to !== undefined) (out.file ??= {}).target_path = to;
      break;
    }
    case 'chmod': {
      const p = pickFile(parts.paths);
      if (p !== undefined) setFile(out, p, cwd, relToCwd, namer);
      const mode = reg(sc, spec.arg);
      // the event's point is the new mode; PATH's mode= is the one being replaced
      if (mode !== undefined) (out.file ??= {}).mode = octal4(mode & 0o7777);
      break;
    }
    case 'chown': {
      const p = pickFile(parts.paths);
      if (p !== undefined) setFile(out, p, cwd, relToCwd, namer);
      const file = (out.file ??= {});
      const uid = idArg(sc, spec.arg!, info);
      const gid = idArg(sc, spec.arg! + 1, info);
      // the new owner; -1 leaves that half unchanged (and PATH's old owner stands)
      if (uid !== undefined) {
        file.uid = uid;
        const u = namer.user(uid, undefined)!;
        if (u.name !== undefined) file.owner = u.name;
        else delete file.owner;
      }
      if (gid !== undefined) {
        file.gid = gid;
        const g = namer.group(gid, undefined)!;
        if (g.name !== undefined) file.group = g.name;
        else delete file.group;
      }
      break;
    }
    case 'socket': {
      fillSocket(out, parts, info);
      break;
    }
    case 'setuid':
    case 'setgid': {
      const target = setidTarget(sc, info);
      if (target !== undefined) {
        if (spec.object === 'setuid') (out.user ??= {}).target = namer.user(target, undefined);
        else out.group = namer.group(target, undefined);
      }
      break;
    }
    case 'module': {
      const km = parts.byType('KERN_MODULE');
      const name = km !== undefined ? decode(km.fields.name) : undefined;
      if (name !== undefined) (out.audit!.data ??= {}).module = name;
      const p = pickFile(parts.paths);
      if (p !== undefined) setFile(out, p, cwd, relToCwd, namer);
      break;
    }
    case 'pid': {
      const data = (out.audit!.data ??= {});
      const obj = parts.byType('OBJ_PID');
      const pidReg = info.call === 'ptrace' ? 1 : 0;
      const target = obj !== undefined ? num(obj.fields.opid) : reg(sc, pidReg);
      if (target !== undefined) data.target_pid = target;
      if (obj !== undefined) {
        const comm = decode(obj.fields.ocomm);
        if (comm !== undefined) data.target_name = comm;
        const ouid = unquote(obj.fields.ouid);
        if (ouid !== undefined) data.target_uid = ouid;
      }
      if (info.call === 'ptrace') {
        const req = reg(sc, 0);
        if (req !== undefined) data.ptrace_request = req;
      } else {
        const sig = reg(sc, info.call === 'tgkill' ? 2 : 1);
        if (sig !== undefined) data.signal = sig;
      }
      break;
    }
    case 'none':
      break;
  }
}

function setidTarget(sc: AuditRecord, info: SyscallInfo): string | undefined {
  const n = info.call;
  if (n.startsWith('setres')) return idArg(sc, 1, info) ?? idArg(sc, 0, info) ?? idArg(sc, 2, info);
  if (n.startsWith('setre')) return idArg(sc, 1, info) ?? idArg(sc, 0, info);
  return idArg(sc, 0, info);
}

function setFile(out: NormalizedRecord, p: AuditRecord, cwd: string | undefined, relToCwd: boolean, namer: IdNamer): void {
  const f = p.fields;
  const file: File = (out.file ??= {});
  const name = pathName(p);
  // execveat(fd, "", AT_EMPTY_PATH) logs an empty name: the file is known by inode only
  if (name !== undefined && name !== '') file.path = absolutePath(name, cwd, relToCwd);
  const inode = unquote(f.inode);
  if (inode !== undefined) file.inode = inode;
  const dev = unquote(f.dev);
  if (dev !== undefined) file.device = dev;
  const mode = fileMode(f.mode);
  if (mode !== undefined) {
    file.mode = mode.perms;
    if (mode.type !== undefined) file.type = mode.type;
  }
  const ouid = unquote(f.ouid);
  if (ouid !== undefined) {
    file.uid = ouid;
    const u = namer.user(ouid, p.enriched?.OUID)!;
    if (u.name !== undefined) file.owner = u.name;
  }
  const ogid = unquote(f.ogid);
  if (ogid !== undefined) {
    file.gid = ogid;
    const g = namer.group(ogid, p.enriched?.OGID)!;
    if (g.name !== undefined) file.group = g.name;
  }
}

/**
 * A SOCKADDR record's address: the raw struct read in the arch's byte order; with no arch known
 * (a SOCKADDR without its SYSCALL), or a struct that does not decode, the ENRICHED `SADDR=` the
 * origin host's auditd wrote.
 */
export function sockaddrOf(sa: AuditRecord, arch: ArchInfo | undefined): SockAddr | undefined {
  const raw = unquote(sa.fields.saddr);
  const enriched = sa.enriched?.SADDR;
  if (arch === undefined && enriched !== undefined) {
    const e = parseEnrichedSockaddr(enriched);
    if (e !== undefined) return e;
  }
  const addr = raw !== undefined ? decodeSockaddr(raw, arch?.littleEndian ?? true) : undefined;
  return addr ?? (enriched !== undefined ? parseEnrichedSockaddr(enriched) : undefined);
}

/** Address fields for audit.data (SOCKADDR with no syscall to say which end it is), named as Auditbeat names them. */
export function socketData(addr: SockAddr): Record<string, unknown> {
  const d: Record<string, unknown> = { family: addr.family };
  if (addr.ip !== undefined) d.addr = addr.ip;
  if (addr.port !== undefined) d.port = addr.port;
  if (addr.path !== undefined) d.path = addr.path;
  if (addr.netlinkPid !== undefined) d.pid = addr.netlinkPid;
  return d;
}

function fillSocket(out: NormalizedRecord, parts: EventParts, info: SyscallInfo): void {
  const sa = parts.byType('SOCKADDR');
  const spec = info.spec;
  if (sa === undefined) return;
  const addr = sockaddrOf(sa, info.arch);
  if (addr === undefined) return;
  const net = (out.network ??= {});
  net.family = addr.family;
  if (addr.networkType !== undefined) net.type = addr.networkType;
  const side = spec.peer ?? 'destination';
  if (addr.ip !== undefined) {
    out[side] = addr.port !== undefined ? { ip: addr.ip, port: addr.port } : { ip: addr.ip };
  } else if (addr.path !== undefined) {
    out[side] = { path: addr.path };
  } else if (addr.netlinkPid !== undefined) {
    (out.audit!.data ??= {}).netlink = { pid: addr.netlinkPid, groups: addr.netlinkGroups };
  }
  if (info.call === 'bind') return; // a local address: neither in- nor outbound
  if (spec.peer === 'destination') net.direction = 'egress';
  else if (spec.peer === 'source') net.direction = 'ingress';
}
