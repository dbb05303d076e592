// nlmsghdr framing for NETLINK_AUDIT. Requests are built here; batches the addon hands over are
// split into messages here. Audit records are one per datagram and the kernel's unicast path
// sets nlmsg_len to the payload length only (see kauditd_send_multicast_skb's comment in
// kernel/audit.c), so for records the datagram length, not nlmsg_len, bounds the payload.

import { isUtf8 } from 'node:buffer';
import { AUDIT_LOGIN, AUDIT_USER, isUserMessage } from '../audit/record-types.js';
import type { RawBatch } from './native.js';

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;

export const AUDIT_GET = 1000;
export const AUDIT_SET = 1001;
export const AUDIT_ADD_RULE = 1011;
export const AUDIT_DEL_RULE = 1012;
export const AUDIT_LIST_RULES = 1013;
export const AUDIT_SET_FEATURE = 1018;
export const AUDIT_GET_FEATURE = 1019;
export const AUDIT_REPLACE = 1329;
/** Records (kernel and userspace) start here; below it only AUDIT_USER and AUDIT_LOGIN are records. */
export const AUDIT_FIRST_RECORD = 1100;

/**
 * Is this message an audit record (as opposed to a reply, ACK or AUDIT_REPLACE probe)? Records
 * are what auditd logs: 1100 and up, plus the two old types below, AUDIT_USER and AUDIT_LOGIN.
 */
export function isRecordType(type: number): boolean {
  return type >= AUDIT_FIRST_RECORD ? type !== AUDIT_REPLACE : type === AUDIT_USER || type === AUDIT_LOGIN;
}

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** message body after the header (a view into the batch buffer, not a copy) */
  payload: Buffer;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** One request message: header + payload, padded to 4 bytes. */
export function encodeRequest(type: number, flags: number, seq: number, payload?: Uint8Array): Buffer {
  const plen = payload ? payload.length : 0;
  const len = NLMSG_HDRLEN + plen;
  const buf = Buffer.alloc(align4(len));
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(0, 12);
  if (payload) buf.set(payload, NLMSG_HDRLEN);
  return buf;
}

/**
 * Walks one batch's messages in arrival order: `onMessage(data, off, stop)` with `off` at a
 * message's header and `stop` at its payload's end. A record takes the rest of its datagram (the
 * kernel sets a short nlmsg_len on some of them), as does a message whose length does not fit.
 * Malformed datagrams (shorter than a header) go to `onMalformed` with their length.
 */
function walk(batch: RawBatch, onMessage: (data: Buffer, off: number, stop: number) => void, onMalformed?: (len: number) => void): void {
  const { data, meta } = batch;
  for (let i = 0; i < meta.length; i += 2) {
    const start = meta[i];
    const end = start + meta[i + 1];
    let off = start;
    while (off + NLMSG_HDRLEN <= end) {
      const nlen = data.readUInt32LE(off);
      if (isRecordType(data.readUInt16LE(off + 4)) || nlen < NLMSG_HDRLEN || off + nlen > end) {
        onMessage(data, off, end);
        off = end;
        break;
      }
      onMessage(data, off, off + nlen);
      off += align4(nlen);
    }
    if (off < end && off === start) onMalformed?.(end - start);
  }
}

/** Each message of a batch, with its header fields and a view of its payload. */
export function forEachMessage(batch: RawBatch, onMessage: (m: NetlinkMessage) => void, onMalformed?: (len: number) => void): void {
  walk(
    batch,
    (data, off, stop) =>
      onMessage({
        type: data.readUInt16LE(off + 4),
        flags: data.readUInt16LE(off + 6),
        seq: data.readUInt32LE(off + 8),
        pid: data.readUInt32LE(off + 12),
        payload: data.subarray(off + NLMSG_HDRLEN, stop),
      }),
    onMalformed,
  );
}

export function splitBatch(batch: RawBatch): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  forEachMessage(batch, (m) => out.push(m));
  return out;
}

/**
 * The audit records of a batch, as (type, text): the receive hot path, so no message object or
 * payload view is made per datagram. Other messages are skipped.
 */
export function forEachRecord(batch: RawBatch, onRecord: (type: number, text: string) => void, onMalformed?: (len: number) => void): void {
  walk(
    batch,
    (data, off, stop) => {
      const type = data.readUInt16LE(off + 4);
      if (isRecordType(type)) onRecord(type, textAt(data, off + NLMSG_HDRLEN, stop, isUserMessage(type)));
    },
    onMalformed,
  );
}

const NON_ASCII = /[\x80-\xff]/;

/**
 * Text of an audit record payload; the NUL or newline the kernel may end it with is dropped.
 * Kernel records are ASCII (it hex-encodes anything else); user-space messages relayed by the
 * kernel may carry UTF-8, read as such when it is valid, byte for byte (latin1) when not.
 */
export function recordText(payload: Buffer): string {
  return textAt(payload, 0, payload.length, true);
}

/**
 * `mayBeUtf8` false for the kernel's own records: it hex-encodes every untrusted string, so the
 * check for UTF-8 is skipped (latin1 would keep a stray byte anyway, one char per byte).
 */
function textAt(data: Buffer, start: number, end: number, mayBeUtf8: boolean): string {
  while (end > start && (data[end - 1] === 0 || data[end - 1] === 0x0a)) end--;
  const text = data.toString('latin1', start, end);
  if (!mayBeUtf8 || !NON_ASCII.test(text)) return text;
  const body = data.subarray(start, end);
  return isUtf8(body) ? body.toString('utf8') : text;
}
