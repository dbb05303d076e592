// Which PATH record is the event's file, and its absolute name.
// The kernel writes one PATH per name it looked up (`item=N`), typed by `nametype`
// (`objtype` on old kernels): PARENT for the directory of a name being created or removed,
// CREATE / DELETE for that name, NORMAL for a name used as is, UNKNOWN when the lookup failed.
// Names are as the process passed them: relative ones are relative to CWD, or to the dirfd of
// an *at call, which no record names — those stay relative rather than be resolved wrongly.

import { posix } from 'node:path';
import type { AuditRecord } from '../record.js';
import { decode } from '../record.js';

export interface PathPick {
  rec: AuditRecord;
  /** decoded name as the kernel logged it */
  name: string | undefined;
}

export function nametype(rec: AuditRecord): string | undefined {
  return rec.fields.nametype ?? rec.fields.objtype;
}

const stripQuotes = (v: string | undefined): string | undefined => (v !== undefined && v.charCodeAt(0) === 0x22 ? v.slice(1, -1) : v);

/** First PATH of the given nametype. */
export function pathOfType(paths: readonly AuditRecord[], type: string): AuditRecord | undefined {
  for (let i = 0; i < paths.length; i++) if (stripQuotes(nametype(paths[i])) === type) return paths[i];
  return undefined;
}

/**
 * The object of a one-path file event: the created or deleted name if there is one, else the
 * last PATH that is not a parent directory (for exec that is item 0 — see pickExec).
 */
export function pickFile(paths: readonly AuditRecord[]): AuditRecord | undefined {
  let created: AuditRecord | undefined, deleted: AuditRecord | undefined, other: AuditRecord | undefined, parent: AuditRecord | undefined;
  for (let i = 0; i < paths.length; i++) {
    const t = stripQuotes(nametype(paths[i]));
    if (t === 'CREATE') created ??= paths[i];
    else if (t === 'DELETE') deleted ??= paths[i];
    else if (t === 'PARENT') parent ??= paths[i];
    else other = paths[i];
  }
  return created ?? deleted ?? other ?? parent;
}

/** rename: the DELETE is the old name, the CREATE the new one (a replaced target adds a second DELETE). */
export function pickRename(paths: readonly AuditRecord[]): [AuditRecord | undefined, AuditRecord | undefined] {
  const oldName = pathOfType(paths, 'DELETE');
  const newName = pathOfType(paths, 'CREATE');
  if (oldName !== undefined || newName !== undefined) return [oldName, newName];
  // failed renames have no DELETE/CREATE; the non-parent names come in argument order
  const named = paths.filter((p) => stripQuotes(nametype(p)) !== 'PARENT');
  // only PARENT items (the name itself was not found): the directory is all the kernel names
  if (named.length === 0) return [paths[0], undefined];
  return [named[0], named[1]];
}

/** link: the existing file is the first non-parent, non-created name; the new name the CREATE. */
export function pickLink(paths: readonly AuditRecord[]): [AuditRecord | undefined, AuditRecord | undefined] {
  let existing: AuditRecord | undefined;
  for (let i = 0; i < paths.length; i++) {
    const t = stripQuotes(nametype(paths[i]));
    if (t !== 'PARENT' && t !== 'CREATE') {
      existing = paths[i];
      break;
    }
  }
  return [existing, pathOfType(paths, 'CREATE')];
}

/** item=0 of an exec is the file the kernel opened to execute (the script, for #! files). */
export function pickExec(paths: readonly AuditRecord[]): AuditRecord | undefined {
  for (let i = 0; i < paths.length; i++) if (paths[i].fields.item === '0') return paths[i];
  return paths[0];
}

/** AT_FDCWD (-100) as the register is printed: 32 or 64 bits of two's complement. */
export function isAtFdcwd(reg: string | undefined): boolean {
  if (reg === undefined) return true;
  return reg.length >= 8 && reg.endsWith('ffff9c') && /* cheap check of the high part */ (reg.length === 8 ? reg.startsWith('ff') : reg.startsWith('ffffffff'));
}

/**
 * Absolute path of a PATH name: absolute names normalised, relative ones joined to cwd when
 * they are relative to it (relativeToCwd), otherwise returned as logged.
 */
export function absolutePath(name: string, cwd: string | undefined, relativeToCwd: boolean): string {
  if (name.charCodeAt(0) === 0x2f /* / */) return needsNormalize(name) ? clean(name) : name;
  if (!relativeToCwd || cwd === undefined || cwd.charCodeAt(0) !== 0x2f) return name;
  return clean(posix.join(cwd, name));
}

/** Normalized, without the trailing slash a PARENT item's name has ("/tmp/" is the directory /tmp). */
function clean(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.charCodeAt(n.length - 1) === 0x2f ? n.slice(0, -1) : n;
}

// posix.normalize is not free; most kernel names are already clean: no "//", no "." or ".."
// segment, no trailing slash.
function needsNormalize(p: string): boolean {
  const n = p.length;
  if (n > 1 && p.charCodeAt(n - 1) === 0x2f) return true;
  for (let i = p.indexOf('/'); i >= 0 && i < n - 1; i = p.indexOf('/', i + 1)) {
    const c = p.charCodeAt(i + 1);
    if (c === 0x2f) return true;
    if (c === 0x2e) {
      const d = i + 2 < n ? p.charCodeAt(i + 2) : 0x2f;
      if (d === 0x2f || (d === 0x2e && (i + 3 >= n || p.charCodeAt(i + 3) === 0x2f))) return true;
    }
  }
  return false;
}

export function pathName(rec: AuditRecord): string | undefined {
  return decode(rec.fields.name);
}

const fileTypes: Record<number, string> = {
  0o140000: 'socket',
  0o120000: 'symlink',
  0o100000: 'file',
  0o060000: 'block',
  0o040000: 'dir',
  0o020000: 'char',
  0o010000: 'fifo',
};

/** `mode=0100644` → { perms: '0644', type: 'file' } */
export function fileMode(raw: string | undefined): { perms: string; type: string | undefined } | undefined {
  if (raw === undefined) return undefined;
  const m = parseInt(stripQuotes(raw)!, 8);
  if (!Number.isFinite(m)) return undefined;
  return { perms: octal4(m & 0o7777), type: fileTypes[m & 0o170000] };
}

export function octal4(n: number): string {
  return n.toString(8).padStart(4, '0');
}
