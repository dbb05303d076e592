// struct audit_status and struct audit_features (linux/audit.h), as bytes.

export const AUDIT_STATUS_ENABLED = 0x1;
export const AUDIT_STATUS_FAILURE = 0x2;
export const AUDIT_STATUS_PID = 0x4;
export const AUDIT_STATUS_RATE_LIMIT = 0x8;
export const AUDIT_STATUS_BACKLOG_LIMIT = 0x10;
export const AUDIT_STATUS_BACKLOG_WAIT_TIME = 0x20;
export const AUDIT_STATUS_LOST = 0x40;
export const AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL = 0x80;

export interface AuditStatus {
  mask: number;
  enabled: number;
  failure: number;
  pid: number;
  rate_limit: number;
  backlog_limit: number;
  lost: number;
  backlog: number;
  /** feature_bitmap in the union with version */
  feature_bitmap: number;
  backlog_wait_time: number;
  backlog_wait_time_actual: number;
}

const order: (keyof AuditStatus)[] = [
  'mask',
  'enabled',
  'failure',
  'pid',
  'rate_limit',
  'backlog_limit',
  'lost',
  'backlog',
  'feature_bitmap',
  'backlog_wait_time',
  'backlog_wait_time_actual',
];
export const AUDIT_STATUS_SIZE = order.length * 4;

export function decodeStatus(buf: Buffer): AuditStatus {
  const s = {} as AuditStatus;
  for (let i = 0; i < order.length; i++) s[order[i]] = (i + 1) * 4 <= buf.length ? buf.readUInt32LE(i * 4) : 0;
  return s;
}

export type StatusChange = Partial<Pick<AuditStatus, 'enabled' | 'failure' | 'pid' | 'rate_limit' | 'backlog_limit' | 'backlog_wait_time'>> & {
  resetLost?: boolean;
  resetBacklogWaitTimeActual?: boolean;
};

const maskOf: Record<string, number> = {
  enabled: AUDIT_STATUS_ENABLED,
  failure: AUDIT_STATUS_FAILURE,
  pid: AUDIT_STATUS_PID,
  rate_limit: AUDIT_STATUS_RATE_LIMIT,
  backlog_limit: AUDIT_STATUS_BACKLOG_LIMIT,
  backlog_wait_time: AUDIT_STATUS_BACKLOG_WAIT_TIME,
};

/** The AUDIT_SET payload: only the fields named in the change are flagged in mask. */
export function encodeStatusChange(change: StatusChange): Buffer {
  const buf = Buffer.alloc(AUDIT_STATUS_SIZE);
  let mask = 0;
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined || !(k in maskOf)) continue;
    mask |= maskOf[k];
    buf.writeUInt32LE((v as number) >>> 0, order.indexOf(k as keyof AuditStatus) * 4);
  }
  if (change.resetLost) mask |= AUDIT_STATUS_LOST;
  if (change.resetBacklogWaitTimeActual) mask |= AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL;
  buf.writeUInt32LE(mask >>> 0, 0);
  return buf;
}

export const AUDIT_FEATURE_VERSION = 1;
export const AUDIT_FEATURE_ONLY_UNSET_LOGINUID = 0;
export const AUDIT_FEATURE_LOGINUID_IMMUTABLE = 1;

export interface AuditFeatures {
  vers: number;
  mask: number;
  features: number;
  lock: number;
}

export function decodeFeatures(buf: Buffer): AuditFeatures {
  return { vers: buf.readUInt32LE(0), mask: buf.readUInt32LE(4), features: buf.readUInt32LE(8), lock: buf.readUInt32LE(12) };
}

/** AUDIT_SET_FEATURE payload for one feature bit (what auditctl --loginuid-immutable sends). */
export function encodeFeature(bit: number, enable: boolean, lock: boolean): Buffer {
  const b = Buffer.alloc(16);
  const m = 1 << bit;
  b.writeUInt32LE(AUDIT_FEATURE_VERSION, 0);
  b.writeUInt32LE(m, 4);
  b.writeUInt32LE(enable ? m : 0, 8);
  b.writeUInt32LE(lock ? m : 0, 12);
  return b;
}
