// Redaction of the raw audit records an event keeps for the auditlog output (ausearch must still
// read them): EXECVE arguments (including ones the kernel split into aN[k] pieces across several
// records), PROCTITLE, USER_CMD's cmd, TTY/USER_TTY's data and any acct, rewritten in `fields` and in `body`, encoded the way
// they were (quoted stays quoted when it still can, hex stays hex). Bytes are handled as latin1
// so anything that is not a secret comes back exactly as it was, valid UTF-8 or not.
import type { AuditRecord } from '../../audit/record.js';
import type { Redactor } from './redactor.js';
import type { Memo } from './memo.js';
import { bytesToText } from '../../bytes-text.js';
import { decode, writableFields } from '../../audit/record.js';

const DQ = 34;

function isHex(raw: string): boolean {
  if (raw.length === 0 || raw.length % 2 !== 0) return false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Raw field value → bytes as a latin1 string (one char per byte). */
function rawToBytes(raw: string): string {
  if (raw.charCodeAt(0) === DQ) {
    const inner = raw.slice(1, raw.charCodeAt(raw.length - 1) === DQ ? -1 : undefined);
    return Buffer.from(inner, 'utf8').toString('latin1');
  }
  if (isHex(raw)) return Buffer.from(raw, 'hex').toString('latin1');
  return Buffer.from(raw, 'utf8').toString('latin1');
}

/** Bytes (latin1 string) → a raw value: quoted when asked and the kernel would have, else hex. */
function bytesToRaw(bytes: string, quoted: boolean): string {
  if (quoted) {
    let safe = true;
    for (let i = 0; i < bytes.length && safe; i++) {
      const c = bytes.charCodeAt(i);
      if (c <= 0x20 || c === DQ || c >= 0x7f) safe = false;
    }
    if (safe) return `"${Buffer.from(bytes, 'latin1').toString('utf8')}"`;
  }
  return Buffer.from(bytes, 'latin1').toString('hex').toUpperCase();
}

/** What changed, as text substitutions (`a2="-pX"` → `a2="-p****"`), for copies of the records. */
export type Substitutions = [from: string, to: string][];

/** Replaces (or, with next undefined, removes) `name=old` in the body. */
function rewriteBody(rec: AuditRecord, name: string, old: string, next: string | undefined, subs: Substitutions | undefined): void {
  const needle = `${name}=${old}`;
  subs?.push(next === undefined ? [` ${needle}`, ''] : [needle, `${name}=${next}`]);
  let at = rec.body.indexOf(needle);
  // the field must start a word: "a1=" must not hit inside "ta1=" or a value
  while (at > 0 && rec.body.charCodeAt(at - 1) !== 32 && rec.body.charCodeAt(at - 1) !== 39 /* ' */) at = rec.body.indexOf(needle, at + 1);
  // a user-space record's msg='...' is also a field of its own: it holds the same text
  const msg = rec.fields.msg;
  if (name !== 'msg' && msg !== undefined && msg.includes(needle)) rec.fields.msg = msg.replace(needle, next === undefined ? '' : `${name}=${next}`);
  if (at < 0) return;
  if (next === undefined) {
    const from = at > 0 && rec.body.charCodeAt(at - 1) === 32 ? at - 1 : at;
    rec.body = rec.body.slice(0, from) + rec.body.slice(at + needle.length);
  } else {
    rec.body = rec.body.slice(0, at) + `${name}=${next}` + rec.body.slice(at + needle.length);
  }
}

function setField(rec: AuditRecord, name: string, next: string | undefined, subs: Substitutions | undefined): void {
  const old = rec.fields[name];
  if (old === undefined) return;
  // records with the same text share their fields: this one's change must stay its own
  const fields = writableFields(rec);
  rewriteBody(rec, name, old, next, subs);
  if (next === undefined) delete fields[name];
  else fields[name] = next;
}

interface Piece {
  rec: AuditRecord;
  name: string;
  raw: string;
}

function redactExecve(recs: AuditRecord[], r: Redactor, subs: Substitutions | undefined): boolean {
  const args: Piece[][] = [];
  const lenField: (Piece | undefined)[] = [];
  for (const rec of recs) {
    for (const name in rec.fields) {
      if (name.charCodeAt(0) !== 97 /* a */) continue;
      const m = /^a(\d+)(?:\[(\d+)\]|(_len))?$/.exec(name);
      if (!m) continue;
      const i = Number(m[1]);
      const piece = { rec, name, raw: rec.fields[name] };
      if (m[3]) lenField[i] = piece;
      else (args[i] ??= [])[m[2] === undefined ? 0 : Number(m[2])] = piece;
    }
  }
  const argv: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const pieces = args[i] ?? [];
    let bytes = '';
    for (const p of pieces) if (p) bytes += rawToBytes(p.raw);
    argv.push(bytes);
  }
  if (argv.length === 0) return false;
  const red = r.args(argv);
  if (red === undefined) return false;
  for (let i = 0; i < red.length; i++) {
    if (red[i] === argv[i]) continue;
    const pieces = (args[i] ?? []).filter(Boolean);
    if (pieces.length === 0) continue;
    const quoted = pieces.every((p) => p.raw.charCodeAt(0) === DQ);
    const enc = bytesToRaw(red[i], quoted);
    if (pieces.length === 1) {
      setField(pieces[0].rec, pieces[0].name, enc, subs);
      continue;
    }
    // split argument: the kernel's pieces held at most this many bytes; refill them in order,
    // each encoded on its own as the kernel writes them (hex, or quoted when the whole argument
    // could stay quoted), the last taking what is left. aN_len is what the kernel counts: the
    // hex digits of a hex argument, the bytes of a quoted one (quotes not counted).
    const hex = enc.charCodeAt(0) !== DQ;
    const size = Math.max(...pieces.map((p) => rawToBytes(p.raw).length));
    const bytes = red[i];
    for (let k = 0, pos = 0; k < pieces.length; k++, pos += size) {
      const chunk = k === pieces.length - 1 ? bytes.slice(pos) : bytes.slice(pos, pos + size);
      setField(pieces[k].rec, pieces[k].name, chunk === '' ? undefined : bytesToRaw(chunk, !hex), subs);
    }
    const len = lenField[i];
    if (len) setField(len.rec, len.name, String(hex ? bytes.length * 2 : bytes.length), subs);
  }
  return true;
}

function redactValue(rec: AuditRecord, name: string, r: Redactor, asArgv: boolean, subs: Substitutions | undefined, memo: Memo<string> | undefined): boolean {
  const raw = rec.fields[name];
  if (raw === undefined || raw === '(null)' || raw === '?') return false;
  let next = memo?.get(raw);
  if (next === undefined) {
    const bytes = rawToBytes(raw);
    const red = asArgv ? r.args(bytes.split('\0'))?.join('\0') : r.text(bytes);
    next = red === undefined || red === bytes ? raw : bytesToRaw(red, raw.charCodeAt(0) === DQ);
    memo?.set(raw, next);
  }
  if (next === raw) return false;
  setField(rec, name, next, subs);
  return true;
}

/**
 * Redacts an event's raw records in place; true when anything changed. `subs`, when given,
 * collects each change as a text substitution, to apply to text made from the records before
 * (event.original). `look` lets a caller that already knows the decoded argv or title is clean
 * (the normalized record's process.args / process.title) skip decoding those records.
 */
export function redactAuditRecords(
  recs: AuditRecord[],
  r: Redactor,
  subs?: Substitutions,
  look: { execve: boolean; proctitle: boolean } = { execve: true, proctitle: true },
  /** raw proctitle → its redacted form, shared across events (one process, many events) */
  memo?: Memo<string>,
): boolean {
  let changed = false;
  let execve: AuditRecord[] | undefined;
  for (const rec of recs) {
    switch (rec.type) {
      case 'EXECVE':
        if (look.execve) (execve ??= []).push(rec);
        break;
      case 'PROCTITLE':
        if (look.proctitle && redactValue(rec, 'proctitle', r, true, subs, memo)) changed = true;
        break;
      case 'USER_CMD':
        if (redactValue(rec, 'cmd', r, false, subs, undefined)) changed = true;
        break;
      // keystrokes (pam_tty_audit, sudo's log_input): whatever was typed, passwords included
      case 'TTY':
      case 'USER_TTY':
        if (redactValue(rec, 'data', r, false, subs, undefined)) changed = true;
        break;
    }
    // PAM's acct is what was typed at the login prompt (USER_ERR, USER_AUTH...): sometimes a password
    if (rec.fields.acct !== undefined && redactValue(rec, 'acct', r, false, subs, memo)) changed = true;
  }
  if (execve && redactExecve(execve, r, subs)) changed = true;
  return changed;
}

/**
 * process.title from a PROCTITLE value, as the normalizer makes it: argv's NULs as spaces,
 * trailing NULs dropped.
 */
export function proctitleText(raw: string): string | undefined {
  if (raw.charCodeAt(0) === DQ || !isHex(raw)) return decode(raw);
  let b = Buffer.from(raw, 'hex');
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  b = b.subarray(0, end);
  for (let i = 0; i < b.length; i++) if (b[i] === 0) b[i] = 0x20;
  return bytesToText(b);
}
