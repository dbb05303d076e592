// One audit record: `type=SYSCALL msg=audit(1795395184.672:94972): arch=c000003e syscall=44 ...`.
// This is the hot path of every audit input, so it is a single left-to-right scan per line:
// no regex, no split, field values kept as the raw text slices they are and decoded on demand.

import { bytesToText } from '../bytes-text.js';
import { recordTypeNames } from './tables/record-types.js';

export interface AuditRecord {
  /** Record type name ("SYSCALL"); "UNKNOWN[1334]" where the number has no name. */
  type: string;
  /** Numeric record type where known (netlink, or the name's table entry), else 0. */
  typeId: number;
  /** `node=` prefix, when the log has one. */
  node: string | undefined;
  /** Event time in epoch milliseconds, from audit(SEC.MS:SERIAL). */
  time: number;
  serial: number;
  /**
   * Field values exactly as written after `=` (quotes kept, hex left as hex), by field name.
   * The first occurrence of a name wins. User messages' `msg='...'` is unpacked into the same
   * map (and kept whole under `msg`). Use decode() for encoded (quoted-or-hex) fields.
   * Records with the same body may share this object: read-only, see writableFields().
   */
  fields: Record<string, string>;
  /** Interpreted values of the ENRICHED format (after 0x1D), by field name (UID -> "root"). */
  enriched: Record<string, string> | undefined;
  /** The record text after `): ` (the body), as received. */
  body: string;
}

/** Why a line is not a record, and where the scan stopped. */
export interface ParseFailure {
  error: string;
  offset: number;
}

export type ParseResult = AuditRecord | ParseFailure;

export function isFailure<T>(r: T | ParseFailure): r is ParseFailure {
  return (r as ParseFailure).error !== undefined;
}

// Field maps get a prototype without Object.prototype, so a field named "constructor" or
// "__proto__" is plain data, while objects still get V8's fast hidden classes (unlike
// Object.create(null), which starts in dictionary mode).
const FieldMap = function FieldMap(this: object) {} as unknown as { new (): Record<string, string> };
FieldMap.prototype = Object.create(null);

const typeIds: Map<string, number> = new Map();
for (const k of Object.keys(recordTypeNames)) typeIds.set(recordTypeNames[+k], +k);

export function recordTypeName(id: number): string {
  return recordTypeNames[id] ?? `UNKNOWN[${id}]`;
}

function typeIdOf(name: string): number {
  const id = typeIds.get(name);
  if (id !== undefined) return id;
  // "UNKNOWN[1334]" is how auditd writes types it has no name for
  if (name.startsWith('UNKNOWN[') && name.endsWith(']')) {
    const n = Number(name.slice(8, -1));
    return Number.isInteger(n) ? n : 0;
  }
  return 0;
}

// The type names of recent lines, as written and as the table's own string: a line's type is
// found without a slice and a Map lookup, and every record of a type carries the same string,
// which later lookups by type (actions, switch on type) compare and hash at no cost.
const TYPE_SLOTS = 512;
const typeTexts: string[] = new Array<string>(TYPE_SLOTS).fill('');
const typeNames: string[] = new Array<string>(TYPE_SLOTS).fill('');
const typeNumbers = new Uint16Array(TYPE_SLOTS);

function typeSlot(s: string, from: number, to: number): number {
  let h = to - from;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return (h ^ (h >>> 15)) & (TYPE_SLOTS - 1);
}

const SP = 0x20,
  DQ = 0x22,
  SQ = 0x27,
  GS = 0x1d;

/**
 * Parses one auditd log line (RAW or ENRICHED, optional `node=` prefix), or one kernel printk
 * line as dmesg, kern.log and the journal show them when no audit daemon is listening
 * (`audit: type=1400 audit(SEC.MS:SERIAL): ...`: numeric type, no msg=). Never throws; a line
 * that is not a record gives a ParseFailure saying why.
 */
export function parseLine(line: string): ParseResult {
  const failed = scanHeader(line);
  if (failed !== undefined) return failed;
  return withFields(head.type, head.typeId, head.node, head.time, head.serial, line.slice(head.bodyAt));
}

/** What the reassembler reads of a record: the event it belongs to, and its type. */
export interface RecordKey {
  typeId: number;
  node: string | undefined;
  time: number;
  serial: number;
}

/** A record's header and the line it was read from (parseHeader()). */
export interface RecordHeader extends RecordKey {
  line: string;
}

/**
 * The header of an auditd log line alone, for a thread that only groups records into events and
 * hands their lines on to be parsed whole elsewhere (normalize's lanes). Fails exactly where and
 * as parseLine() fails: a body never makes a line unparseable.
 */
export function parseHeader(line: string): RecordHeader | ParseFailure {
  const failed = scanHeader(line);
  if (failed !== undefined) return failed;
  return { typeId: head.typeId, node: head.node, time: head.time, serial: head.serial, line };
}

/** scanHeader()'s result: one object, rewritten per line, so a header costs no allocation. */
const head = { type: '', typeId: 0, node: undefined as string | undefined, time: 0, serial: 0, bodyAt: 0 };

function scanHeader(line: string): ParseFailure | undefined {
  let i = 0;
  const n = line.length;
  while (i < n && line.charCodeAt(i) === SP) i++;
  let node: string | undefined;
  if (line.startsWith('node=', i)) {
    const end = line.indexOf(' ', i + 5);
    if (end < 0) return { error: 'nothing after node=', offset: i };
    node = line.slice(i + 5, end);
    i = end + 1;
  } else if (line.startsWith('audit: ', i)) {
    i += 7;
  }
  if (!line.startsWith('type=', i)) return { error: 'no type= field', offset: i };
  const typeEnd = line.indexOf(' ', i + 5);
  if (typeEnd < 0) return { error: 'nothing after type=', offset: i };
  let type: string;
  let typeId: number;
  const c = line.charCodeAt(i + 5);
  if (c >= 48 && c <= 57) {
    // the kernel's own form gives the number
    typeId = Number(line.slice(i + 5, typeEnd));
    if (!Number.isInteger(typeId) || typeId > 0xffff) return { error: 'bad numeric type', offset: i + 5 };
    type = recordTypeName(typeId);
  } else {
    const slot = typeSlot(line, i + 5, typeEnd);
    const seen = typeTexts[slot];
    if (seen.length === typeEnd - i - 5 && line.startsWith(seen, i + 5)) {
      type = typeNames[slot];
      typeId = typeNumbers[slot];
    } else {
      const text = line.slice(i + 5, typeEnd);
      typeId = typeIdOf(text);
      // the table's own string (old auditd writes UNKNOWN[1327] for types newer than itself:
      // the number has a name now)
      type = typeId !== 0 ? recordTypeName(typeId) : text;
      if (typeId !== 0) {
        typeTexts[slot] = text;
        typeNames[slot] = type;
        typeNumbers[slot] = typeId;
      }
    }
  }
  i = typeEnd + 1;
  if (line.startsWith('msg=', i)) i += 4;
  else if (!line.startsWith('audit(', i)) return { error: 'no msg=audit(...) after the type', offset: i };
  head.type = type;
  head.typeId = typeId;
  head.node = node;
  return scanStamp(line, i);
}

/**
 * Parses a netlink payload (`audit(SEC.MS:SERIAL): body`), whose type comes from the netlink
 * header rather than the text.
 */
export function parseNetlink(typeId: number, payload: string): ParseResult {
  // user-space senders often count the C string's NUL (and a newline) in the message length
  let end = payload.length;
  while (end > 0) {
    const c = payload.charCodeAt(end - 1);
    if (c !== 0 && c !== 0x0a) break;
    end--;
  }
  const line = end === payload.length ? payload : payload.slice(0, end);
  const failed = scanStamp(line, 0);
  if (failed !== undefined) return failed;
  return withFields(recordTypeName(typeId), typeId, undefined, head.time, head.serial, line.slice(head.bodyAt));
}

/** `audit(SEC.MS:SERIAL): ` at i: sets head's time, serial and bodyAt. */
function scanStamp(line: string, i: number): ParseFailure | undefined {
  if (!line.startsWith('audit(', i)) return { error: 'no audit( timestamp', offset: i };
  i += 6;
  const n = line.length;
  let sec = 0,
    ms = 0,
    serial = 0,
    digits = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    sec = sec * 10 + c;
    digits++;
  }
  // 12 digits reach year 33658: more is corruption, and would push the audit clock to Infinity
  if (digits === 0 || digits > 12 || line.charCodeAt(i) !== 0x2e /* . */) return { error: 'bad timestamp seconds', offset: i };
  i++;
  let msDigits = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    if (msDigits < 3) ms = ms * 10 + c;
    msDigits++;
  }
  if (msDigits === 0 || line.charCodeAt(i) !== 0x3a /* : */) return { error: 'bad timestamp milliseconds', offset: i };
  while (msDigits < 3) {
    ms *= 10;
    msDigits++;
  }
  i++;
  digits = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    serial = serial * 10 + c;
    digits++;
  }
  // serials are the kernel's unsigned 32-bit counter
  if (digits === 0 || digits > 10 || serial > 0xffffffff || line.charCodeAt(i) !== 0x29 /* ) */) return { error: 'bad serial', offset: i };
  i++;
  if (line.charCodeAt(i) === 0x3a) i++;
  if (line.charCodeAt(i) === SP) i++;
  head.time = sec * 1000 + ms;
  head.serial = serial;
  head.bodyAt = i;
  return undefined;
}

interface ParsedBody {
  fields: Record<string, string>;
  enriched: Record<string, string> | undefined;
  /** what a later stage derived from this body alone (see bodyMemo) */
  memo: unknown;
}

// Bodies repeat exactly: the PATH, CWD and PROCTITLE records of a command run again, systemd's
// SERVICE_START/STOP of a unit, cron's PAM messages (half the records of this project's real
// Debian capture repeat an earlier record's body). Their fields are the same, so each distinct
// recent body is scanned once and its field maps shared by every record with that text: they are
// read-only (writableFields() gives a record its own copy before anything changes one).
// Where bodies do not repeat (a server log whose every login is a new pid) a large cache only
// keeps entries long enough to be promoted: 2,048 took 12.8-21.1 CPU s and 117-139 MiB for 1M
// such records, 512 10.8-12.0 s and 107-108 MiB (bench/normalize.bench.ts, server-pids). So
// the cache is two generations of 256: a full one becomes the older and a new one starts, and a
// body found in the older moves to the current. A body seen once is gone after at most 512 new
// ones, as with one Map of 512 cleared when full, but one that keeps coming back (a cron job's
// PATH, a server's CONFIG_CHANGE) keeps its fields and what was derived from them (record
// templates) instead of losing them at every clear among thousands of one-off bodies. Records
// that hit: this project's real capture 48.9% (one Map of 512: 46.6%, of 2,048: 49.4%),
// server-pids 37.5% (35.3%).
const BODY_GENERATION = 256;
/** longer bodies (an EXECVE of a long command) are scanned each time, not kept */
const BODY_CACHE_MAX_CHARS = 2048;
let bodies = new Map<string, ParsedBody>();
let olderBodies = new Map<string, ParsedBody>();
// Before the Maps, the last two bodies seen of the same type and length, found by `===`: looking
// a body up in a Map hashes all of it (V8 hashes every new string in full: ~300 ns for a PATH
// body), where comparing it with an earlier body costs a memcmp, or nothing when the lengths
// differ. A storm repeats its bodies event after event: the two PATHs of an open are told apart
// by their lengths, and two processes' SYSCALLs of the same length share a pair of slots.
const RECENT_PAIRS = 64;
const recentBodies: (string | undefined)[] = new Array(RECENT_PAIRS * 2).fill(undefined);
const recentParsed: (ParsedBody | undefined)[] = new Array(RECENT_PAIRS * 2).fill(undefined);
/** the first of the pair of slots a body may be in */
const recentSlot = (typeId: number, body: string): number => ((typeId * 7 + body.length) & (RECENT_PAIRS - 1)) << 1;

function cached(body: string): ParsedBody | undefined {
  return bodies.get(body) ?? olderBodies.get(body);
}

/** The body's entry in the Maps (one found in the older moves to the current), else a new one. */
function fromMaps(body: string): ParsedBody {
  let parsed = bodies.get(body);
  if (parsed === undefined) {
    parsed = olderBodies.get(body);
    if (parsed === undefined) parsed = parseBody(body);
    keep(body, parsed);
  }
  return parsed;
}

function keep(body: string, parsed: ParsedBody): void {
  if (bodies.size >= BODY_GENERATION) {
    olderBodies = bodies;
    bodies = new Map();
  }
  bodies.set(body, parsed);
}
/** field maps writableFields() made: a record's own */
const owned = new WeakSet<object>();

function parseBody(body: string): ParsedBody {
  const fields = new FieldMap();
  let enriched: Record<string, string> | undefined;
  const gs = body.indexOf('\x1d');
  if (gs >= 0) {
    enriched = new FieldMap();
    scanFields(body, gs + 1, body.length, enriched, ENRICHED);
    scanFields(body, 0, gs, fields, KERNEL);
  } else {
    scanFields(body, 0, body.length, fields, KERNEL);
  }
  return { fields, enriched, memo: undefined };
}

function withFields(type: string, typeId: number, node: string | undefined, time: number, serial: number, body: string): AuditRecord {
  let parsed: ParsedBody | undefined;
  if (body.length > BODY_CACHE_MAX_CHARS) parsed = parseBody(body);
  else {
    const slot = recentSlot(typeId, body);
    if (recentBodies[slot] === body) parsed = recentParsed[slot]!;
    else {
      parsed = recentBodies[slot + 1] === body ? recentParsed[slot + 1]! : fromMaps(body);
      // the body found or parsed now first, the one it displaces second
      recentBodies[slot + 1] = recentBodies[slot];
      recentParsed[slot + 1] = recentParsed[slot];
      recentBodies[slot] = body;
      recentParsed[slot] = parsed;
    }
  }
  return { type, typeId, node, time, serial, fields: parsed.fields, enriched: parsed.enriched, body };
}

/**
 * The body cache's entry for the record's body, while the record still shares its fields: a
 * place to keep what is derived from the body alone (the normalizer's record templates), which
 * lives as long as the body stays cached. Undefined for a body too long to cache, or one whose
 * fields were made the record's own.
 */
export function bodyMemo(rec: AuditRecord): { memo: unknown } | undefined {
  // the body parsed last (a user-space message is normalized as soon as it is parsed) is first in its pair
  const slot = recentSlot(rec.typeId, rec.body);
  if (recentParsed[slot]?.fields === rec.fields) return recentParsed[slot];
  if (recentParsed[slot + 1]?.fields === rec.fields) return recentParsed[slot + 1];
  const parsed = cached(rec.body);
  return parsed !== undefined && parsed.fields === rec.fields ? parsed : undefined;
}

/**
 * The record's fields, made its own first if other records may share them (see the body cache):
 * what a caller changes here changes this record only.
 */
export function writableFields(rec: AuditRecord): Record<string, string> {
  if (owned.has(rec.fields)) return rec.fields;
  const copy = new FieldMap();
  for (const k in rec.fields) copy[k] = rec.fields[k];
  owned.add(copy);
  return (rec.fields = copy);
}

/** A record rebuilt from what an audit.log line keeps (the disk spool stores records so). */
export function auditRecordOf(type: string, node: string | undefined, time: number, serial: number, body: string): AuditRecord {
  const typeId = typeIdOf(type);
  return withFields(typeId !== 0 ? recordTypeName(typeId) : type, typeId, node, time, serial, body);
}

// What scanFields is reading: a record body, the ENRICHED part after 0x1D (its quotes are not
// an encoding, so they are dropped), or the inside of a user message's msg='...'.
const KERNEL = 0,
  ENRICHED = 1,
  USER_MSG = 2;

/**
 * Scans `key=value` pairs between from and to. Values are `"quoted"` (the kernel never escapes
 * inside quotes, it hex-encodes instead), `'single quoted'` (user messages' msg=), `{ braced }`
 * (ENRICHED SADDR), or run to the next space. Words without `=` (AVC's `{ read }`) are skipped,
 * except the bare `old` and `new` of old kernels' LOGIN (`old auid=500 new auid=0`), which name
 * the next key
 * (`old_auid`, `new_auid`) so that `auid` does not end up holding the old value. Old PAM
 * messages wrap fields as `(hostname=?, addr=?, terminal=cron res=success)`: inside a user
 * message the `(`, `,` and `)` of that form are punctuation, not part of keys and values.
 */
function scanFields(s: string, from: number, to: number, out: Record<string, string>, mode: number, firstSep = -1): void {
  const stripQuotes = mode === ENRICHED;
  let i = from;
  let prefix = '';
  // next '=' and next separator at or after i (to when none), cached so that a run of bare
  // words or a line without spaces is not searched again from every field: linear in the line.
  // A nested msg='...' scan starts with its parent's next separator (firstSep).
  let eq = -1;
  let sp = firstSep;
  while (i < to) {
    let c = s.charCodeAt(i);
    if (c === SP || c === GS) {
      i++;
      continue;
    }
    if (eq < i) {
      eq = s.indexOf('=', i);
      if (eq < 0 || eq > to) eq = to;
    }
    if (eq === to) return; // only bare words left
    if (sp < i) sp = nextSeparator(s, i, to, mode);
    if (sp < eq) {
      // a bare word
      prefix = sp - i === 3 && (s.startsWith('old', i) || s.startsWith('new', i)) ? s.slice(i, sp) + '_' : '';
      i = sp + 1;
      continue;
    }
    let key = mode === USER_MSG && c === 0x28 /* ( */ ? intern(s, i + 1, eq) : intern(s, i, eq);
    if (prefix !== '') {
      key = prefix + key;
      prefix = '';
    }
    i = eq + 1;
    let value: string;
    c = i < to ? s.charCodeAt(i) : SP;
    if (c === DQ || c === SQ) {
      let end = s.indexOf(c === DQ ? '"' : "'", i + 1);
      // unterminated (a line cut short): the value runs to the end and gets its closing quote,
      // so every reader that strips a quoted value's first and last character keeps it whole
      if (end < 0 || end >= to) end = to;
      value = stripQuotes ? s.slice(i + 1, end) : end === to ? s.slice(i, to) + (c === DQ ? '"' : "'") : s.slice(i, end + 1);
      if (c === SQ && key === 'msg') {
        // the whole message first, so that a msg= inside it cannot take its place
        if (out.msg === undefined) out.msg = value;
        scanFields(s, i + 1, end, out, USER_MSG, sp < end ? sp : end);
      }
      i = end + 1;
    } else if (c === 0x7b /* { */ && stripQuotes) {
      // ENRICHED socket addresses are braced and spaced: SADDR={ fam=inet laddr=10.0.0.1 lport=22 }
      let end = s.indexOf('}', i + 1);
      if (end < 0 || end >= to) end = to - 1;
      value = s.slice(i, end + 1);
      i = end + 1;
    } else {
      // the separator found from the key's start is past the '=', so it ends this value
      let end = sp;
      if (mode === USER_MSG && end > i) {
        c = s.charCodeAt(end - 1);
        if (c === 0x2c /* , */ || (c === 0x29 /* ) */ && s.charCodeAt(i) !== 0x28)) end--;
      }
      value = intern(s, i, end);
      i = sp + 1;
    }
    if (key !== '__proto__' && out[key] === undefined) out[key] = value;
  }
}

// Keys, and short values (arch=c000003e, success=yes, uid=0, res=success), repeat in every
// record: each distinct one is kept here and handed out again instead of a new slice per field.
// A slot holds the last string hashed to it; a miss costs what the slice did anyway.
const INTERN_SLOTS = 4096;
const INTERN_MAX = 12;
const interned: string[] = new Array<string>(INTERN_SLOTS).fill('');

/** s.slice(from, to), the same string object each time for short ones. */
function intern(s: string, from: number, to: number): string {
  const len = to - from;
  if (len > INTERN_MAX || len === 0) return s.slice(from, to);
  let h = len;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  const slot = (h ^ (h >>> 15)) & (INTERN_SLOTS - 1);
  const hit = interned[slot];
  if (hit.length === len && s.startsWith(hit, from)) return hit;
  return (interned[slot] = s.slice(from, to));
}

/**
 * Index of the next field separator at or after i, or `to`. Outside the ENRICHED part there is
 * no 0x1D (the first one starts that part), so a native search for the space does it.
 */
function nextSeparator(s: string, i: number, to: number, mode: number): number {
  if (mode !== ENRICHED) {
    const sp = s.indexOf(' ', i);
    return sp < 0 || sp > to ? to : sp;
  }
  for (; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === SP || c === GS) return i;
  }
  return to;
}

function isHexText(s: string): boolean {
  const n = s.length;
  if (n === 0 || (n & 1) !== 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Text of an encoded field (name, cwd, exe, comm, argv, proctitle, key, ...): quoted → the
 * inside, hex → UTF-8 text, `(null)` and `?` → undefined, anything else as written. Bytes that
 * are not valid UTF-8 come out as `\xNN`; the exact bytes stay in the record (decodeBytes).
 */
export function decode(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const c = raw.charCodeAt(0);
  if (c === DQ) return raw.length > 1 && raw.charCodeAt(raw.length - 1) === DQ ? raw.slice(1, -1) : raw.slice(1);
  if (raw === '(null)' || raw === '?') return undefined;
  if (isHexText(raw)) return bytesToText(Buffer.from(raw, 'hex'));
  // hex with a stray closing quote (seen in real logs: `key=6578656301...74"`)
  if (raw.length > 2 && raw.charCodeAt(raw.length - 1) === DQ && isHexText(raw.slice(0, -1))) {
    return bytesToText(Buffer.from(raw.slice(0, -1), 'hex'));
  }
  return raw;
}

/** The exact bytes of an encoded field. */
export function decodeBytes(raw: string | undefined): Buffer | undefined {
  if (raw === undefined || raw === '(null)' || raw === '?') return undefined;
  if (raw.charCodeAt(0) === DQ) return Buffer.from(raw.slice(1, raw.charCodeAt(raw.length - 1) === DQ ? -1 : undefined), 'utf8');
  if (isHexText(raw)) return Buffer.from(raw, 'hex');
  if (raw.length > 2 && raw.charCodeAt(raw.length - 1) === DQ && isHexText(raw.slice(0, -1))) return Buffer.from(raw.slice(0, -1), 'hex');
  return Buffer.from(raw, 'utf8');
}

/** Re-encodes text the way the kernel would: quoted when safe, hex otherwise. */
export function encodeValue(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === DQ || c >= 0x7f) return Buffer.from(text, 'utf8').toString('hex').toUpperCase();
  }
  return `"${text}"`;
}
