// The records of one audit event (same node and serial, arrival order, possibly incomplete) →
// one normalized record. Never throws: whatever a malformed event lacks is left out, and an
// event the normalizer cannot read at all still comes out as a generic record carrying the
// error, so nothing is silently dropped.

import { Recent } from '../../recent.js';
import { isoTime, kRaw, kTemplate, type NormalizedRecord, type RecordTemplate } from '../../record.js';
import { IsoClock } from './iso-time.js';
import type { AuditRecord } from '../record.js';
import { bodyMemo, decode, decodeBytes } from '../record.js';
import { bytesToText } from '../../bytes-text.js';
import { groups, users, createIdNameTable, type IdNameTable } from '../../users.js';
import { dataTypes, recordTypeActions } from './actions.js';
import { summary } from './message.js';
import { IdNamer } from './names.js';
import { EventParts } from './parts.js';
import { execArgs } from './execve.js';
import { pickExec } from './paths.js';
import { dataOf, fillGenericType, fillRecordType } from './record-types.js';
import { fillSubject } from './subject.js';
import { recordCopier } from './record-copier.js';
import { fillSyscallAudit, fillSyscallObject, sockaddrOf, socketData, syscallInfo, uringInfo } from './syscall.js';

export interface NormalizerOptions {
  /**
   * Name uids/gids from this host's passwd/group files (or passwdFile/groupFile). Only right for
   * events that happened on this host (the daemon's netlink input, an audit.log written here):
   * off by default, so a log from elsewhere is never given this host's names. The names an
   * ENRICHED log carries (`UID="alice"`) are used either way.
   */
  resolveNames?: boolean;
  /** Keep the raw records as event.original (joined by \n). Default false. */
  includeOriginal?: boolean;
  /**
   * Give each record its event's shape's RecordTemplate (kTemplate), kept with the first record's
   * body: the redact filter and the JSON lines encoder then do their work once per shape instead
   * of once per record, and a shape's later records are copies of its record rather than
   * normalized again. Only for a caller whose later stages keep to kTemplate's rule (src/record.ts).
   * Not with includeOriginal.
   */
  templates?: boolean;
  /** passwd/group files to resolve from (default /etc/passwd, /etc/group). */
  passwdFile?: string;
  groupFile?: string;
}

export interface Normalizer {
  normalize(records: AuditRecord[]): NormalizedRecord;
  /** Events that could not be read and came out as generic error records. */
  readonly errors: number;
}

export function createNormalizer(opts: NormalizerOptions = {}): Normalizer {
  const resolve = opts.resolveNames ?? opts.passwdFile !== undefined;
  let userTable: IdNameTable | undefined;
  let groupTable: IdNameTable | undefined;
  if (resolve) {
    userTable = opts.passwdFile !== undefined ? createIdNameTable(opts.passwdFile) : users();
    groupTable = opts.groupFile !== undefined ? createIdNameTable(opts.groupFile) : groups();
  }
  const includeOriginal = opts.includeOriginal === true;
  return new AuditNormalizer(new IdNamer(resolve, userTable, groupTable), includeOriginal, opts.templates === true && !includeOriginal);
}

class AuditNormalizer implements Normalizer {
  errors = 0;
  private readonly clock = new IsoClock();
  constructor(
    private readonly namer: IdNamer,
    private readonly includeOriginal: boolean,
    private readonly templates: boolean,
  ) {}

  normalize(records: AuditRecord[]): NormalizedRecord {
    let out: NormalizedRecord;
    let template: RecordTemplate | undefined;
    try {
      const slot = this.templates ? slotOf(records, this.namer.generation()) : undefined;
      if (slot?.copy !== undefined) out = slot.copy(this.clock.iso(records[0].time), records[0].serial) as NormalizedRecord;
      else {
        out = build(records, this.namer, this.clock);
        // a shape seen often enough is worth a copier made for its record (a compile each)
        if (slot !== undefined && ++slot.seen === COPY_AFTER) slot.copy = recordCopier(out);
      }
      template = slot?.template;
    } catch (err) {
      this.errors++;
      out = unreadable(records, err);
    }
    if (this.includeOriginal) out.event.original = original(records);
    out[kRaw] = records;
    if (template !== undefined) out[kTemplate] = template;
    return out;
  }
}

/**
 * An event's shape: what build() reads of its records besides the first one's time and serial
 * (their types, node and bodies, and the names looked up for them), its template, how many events
 * of it were built, and, once that is COPY_AFTER, the copier of the record build() made of it.
 */
interface TemplateSlot {
  types: readonly string[];
  node: string | undefined;
  /** the body-cache entries (bodyMemo) of the event's other records, in order */
  rest: readonly object[];
  /** IdNamer.generation() when it was made */
  names: number;
  template: RecordTemplate;
  seen: number;
  copy: ((time: string, serial: number) => object) | undefined;
  /** another shape whose first record has the same body (see slotOf) */
  next: TemplateSlot | undefined;
}

/** Records of a shape built before the rest are copied (making a copier compiles a function). */
const COPY_AFTER = 16;
/** shapes kept per first body: a process's SYSCALL body comes with the PATHs of each file it opens */
const SHAPES_PER_BODY = 4;
const NO_RECORDS: readonly object[] = [];
/** the memo of a first body seen once: most (a new pid's SYSCALL) never come again */
const SEEN_ONCE = Symbol('seen once');

/**
 * The slot of the event's shape, kept with its first record's body in the parser's body cache
 * (a short list, most recent first): build() makes the same record from the same types, node,
 * bodies and names, but for @timestamp (the first record's time) and event.sequence (its serial).
 * Undefined when a body is not cached (too long to keep, or its fields were changed), and the
 * first time a first body is seen: a slot is made when it comes again.
 */
function slotOf(records: AuditRecord[], names: number): TemplateSlot | undefined {
  const first = records[0];
  const entry = bodyMemo(first);
  if (entry === undefined) return undefined;
  if (entry.memo === undefined) {
    entry.memo = SEEN_ONCE;
    return undefined;
  }
  const head = entry.memo === SEEN_ONCE ? undefined : (entry.memo as TemplateSlot);
  for (let s = head, prev: TemplateSlot | undefined; s !== undefined; prev = s, s = s.next) {
    if (!sameShape(s, records, names)) continue;
    if (prev !== undefined) {
      prev.next = s.next;
      s.next = head;
      entry.memo = s;
    }
    return s;
  }
  let rest = NO_RECORDS;
  if (records.length > 1) {
    const memos = new Array<object>(records.length - 1);
    for (let i = 1; i < records.length; i++) {
      const m = bodyMemo(records[i]);
      if (m === undefined) return undefined;
      memos[i - 1] = m;
    }
    rest = memos;
  }
  const types = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) types[i] = records[i].type;
  const slot: TemplateSlot = { types, node: first.node, rest, names, template: {}, seen: 0, copy: undefined, next: head };
  entry.memo = slot;
  let last = slot;
  for (let kept = 1; kept < SHAPES_PER_BODY && last.next !== undefined; kept++) last = last.next;
  last.next = undefined;
  return slot;
}

function sameShape(s: TemplateSlot, records: AuditRecord[], names: number): boolean {
  const n = records.length;
  if (s.types.length !== n || s.node !== records[0].node || s.names !== names) return false;
  for (let i = 0; i < n; i++) if (records[i].type !== s.types[i]) return false;
  for (let i = 1; i < n; i++) if (bodyMemo(records[i]) !== s.rest[i - 1]) return false;
  return true;
}

function build(records: AuditRecord[], namer: IdNamer, clock: IsoClock): NormalizedRecord {
  if (records.length === 0) throw new Error('event with no records');
  const first = records[0];
  const parts = new EventParts(records);
  const out: NormalizedRecord = {
    '@timestamp': clock.iso(first.time),
    event: { module: 'auditd', kind: 'event', action: '', sequence: first.serial },
  };
  const audit: NonNullable<NormalizedRecord['audit']> = (out.audit = {});
  if (first.node !== undefined) audit.node = first.node;
  audit.record_types = parts.types;

  const sc = parts.syscall ?? parts.byType('URINGOP');
  const primary = parts.primary;
  const typeSpec = primary !== undefined ? recordTypeActions[primary.type] : undefined;
  if (sc !== undefined) {
    fillSubject(out, sc, namer);
    const info = sc.type === 'URINGOP' ? uringInfo(sc) : syscallInfo(sc);
    fillSyscallAudit(out, sc, info);
    out.event.action = info.spec.action;
    out.event.category = info.spec.category as string[];
    out.event.type = info.spec.type as string[];
    fillSyscallObject(out, sc, parts, info, namer);
    if (primary !== undefined) {
      // the record type names the event (LOGIN during write(2), CONFIG_CHANGE during sendto(2))
      if (typeSpec !== undefined) fillRecordType(out, primary, typeSpec, namer, true);
      else setPrimaryData(out, primary);
    }
  } else if (primary !== undefined) {
    fillSubject(out, primary, namer);
    if (typeSpec !== undefined) fillRecordType(out, primary, typeSpec, namer, false);
    else fillGenericType(out, primary);
  } else {
    // no SYSCALL and nothing but auxiliary records (a lost SYSCALL): name it by its first record
    const spec = recordTypeActions[first.type];
    fillSubject(out, first, namer);
    if (spec !== undefined) fillRecordType(out, first, spec, namer, false);
    else if (parts.execve.length > 0) orphanExec(out, parts);
    else fillGenericType(out, first);
    const sa = parts.byType('SOCKADDR');
    if (sa !== undefined) loneSockaddr(out, sa);
    if (parts.cwd !== undefined) {
      const cwd = decode(parts.cwd.fields.cwd);
      if (cwd !== undefined) (out.process ??= {}).working_directory = cwd;
    }
  }

  for (let i = 0; i < parts.others.length; i++) {
    const r = parts.others[i];
    if (r !== primary && dataTypes.has(r.type)) setPrimaryData(out, r);
  }

  if (parts.proctitle !== undefined) {
    const title = proctitle(parts.proctitle.fields.proctitle);
    if (title !== undefined) (out.process ??= {}).title = title;
  }
  out.event.outcome ??= 'unknown';
  out.message = summary(out);
  return out;
}

/** Fields of a record with no ECS home go to audit.data; the first record's value of a name wins. */
function setPrimaryData(out: NormalizedRecord, rec: AuditRecord): void {
  const data = dataOf(rec);
  const audit = out.audit!;
  if (audit.data === undefined) {
    audit.data = data;
    return;
  }
  for (const k in data) if (!(k in audit.data)) audit.data[k] = data[k];
}

/**
 * PROCTITLE is argv as one NUL-separated buffer (cut by the kernel at 128 bytes), hex-encoded
 * whenever it holds a NUL, so NULs become spaces in the bytes before the one text decode.
 */
function proctitle(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // a process's every event repeats its title: decoded once, the title is one string too, whose
  // answers later stages (the redact filter's screen) can keep
  return titles.get(raw, decodeTitle);
}

const titles = new Recent<string | undefined>();

function decodeTitle(raw: string): string | undefined {
  if (raw.charCodeAt(0) === 0x22) return decode(raw);
  // Buffer's hex parser stops at the first non-hex digit, so the length check is the validation
  // (one pass instead of a separate isHex scan)
  let b: Buffer | undefined = Buffer.from(raw, 'hex');
  if (b.length * 2 !== raw.length) b = decodeBytes(raw);
  if (b === undefined) return undefined;
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) if (b[i] === 0) b[i] = 0x20;
  return bytesToText(end === b.length ? b : b.subarray(0, end));
}

function original(records: readonly AuditRecord[]): string {
  let s = '';
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (i > 0) s += '\n';
    const sec = Math.floor(r.time / 1000);
    const ms = r.time - sec * 1000;
    s += `${r.node !== undefined ? `node=${r.node} ` : ''}type=${r.type} msg=audit(${sec}.${String(ms).padStart(3, '0')}:${r.serial}): ${r.body}`;
  }
  return s;
}

function unreadable(records: readonly AuditRecord[], err: unknown): NormalizedRecord {
  const first = records[0] as AuditRecord | undefined;
  const types: string[] = [];
  for (const r of records) if (!types.includes(r.type)) types.push(r.type);
  const reason = err instanceof Error ? err.message : String(err);
  const where = first !== undefined ? `audit event ${first.node !== undefined ? first.node + ':' : ''}${first.serial}` : 'audit event';
  const out: NormalizedRecord = {
    '@timestamp': isoTime(first?.time ?? 0),
    event: { module: 'auditd', kind: 'event', action: first !== undefined ? first.type.toLowerCase().replaceAll('_', '-') : 'unknown', outcome: 'unknown' },
    audit: { record_types: types },
    error: { message: `${where}: could not normalize: ${reason}`, type: 'AF_ERR_PARSE', input: where },
  };
  if (first !== undefined) {
    out.event.sequence = first.serial;
    if (first.node !== undefined) out.audit!.node = first.node;
    try {
      out.audit!.data = dataOf(first);
    } catch {
      // the fields themselves are what failed; the raw records still travel in [kRaw]
    }
  }
  out.message = `unreadable audit event (${types.join(',')}): ${reason}`;
  return out;
}

/**
 * SOCKADDR without its SYSCALL: which end of which call the address is cannot be known, so it
 * goes to audit.data.socket (where Auditbeat puts it) decoded, not as the raw hex.
 */
function loneSockaddr(out: NormalizedRecord, sa: AuditRecord): void {
  const addr = sockaddrOf(sa, undefined);
  if (addr === undefined) return;
  const data = (out.audit!.data ??= {});
  delete data.saddr;
  data.socket = socketData(addr);
  const net = (out.network ??= {});
  net.family = addr.family;
  if (addr.networkType !== undefined) net.type = addr.networkType;
}

/**
 * EXECVE without its SYSCALL (lost, or cut off by a log excerpt): the kernel only writes argv
 * for an exec that got as far as loading the program, so it is still an exec, outcome unknown.
 */
function orphanExec(out: NormalizedRecord, parts: EventParts): void {
  out.event.action = 'executed';
  out.event.category = ['process'];
  out.event.type = ['start'];
  const ex = execArgs(parts.execve);
  const proc = (out.process ??= {});
  proc.args = ex.args;
  if (ex.argc !== undefined) proc.args_count = ex.argc;
  proc.command_line = ex.args.join(' ');
  const p = pickExec(parts.paths);
  const name = p !== undefined ? decode(p.fields.name) : undefined;
  if (name !== undefined && name !== '') (out.file ??= {}).path = name;
}
