// auditd's remote logging wire format, as audisp-remote writes it and auditd's tcp listener reads
// it (AUDIT_RMW_* in the audit userspace's lib/private.h). A connection carries either
//   - `ascii`: audit records, one per line ending in LF, never acknowledged; or
//   - `managed`: a 16-byte header (all little-endian: magic 0xff0000fe, header version 0,
//     message version, type u32, payload length u16, sequence u32) then the payload, one audit
//     record without its LF. The receiver answers every MESSAGE and HEARTBEAT with an ACK header
//     carrying the same sequence; the sender waits for it.
// As auditd does, each message is told apart by its first four bytes, so one connection may mix
// both (the magic contains no LF and cannot start an audit record).

export const RMW_HEADER_SIZE = 16;
export const RMW_MAGIC = 0xff0000fe;
/** auditd's MAX_AUDIT_MESSAGE_LENGTH: the largest record either side accepts */
export const RMW_MAX_MESSAGE = 8970;

export const RMW_TYPE = {
  MESSAGE: 0x00000000,
  HEARTBEAT: 0x00000001,
  ACK: 0x40000000,
  ENDING: 0x40000001,
  DISKLOW: 0x50000001,
  DISKFULL: 0x60000001,
  DISKERROR: 0x60000002,
} as const;
export const RMW_REPLY_MASK = 0x40000000;
export const RMW_FATAL_MASK = 0x20000000;
export const RMW_WARN_MASK = 0x10000000;

export function rmwHeader(type: number, length: number, seq: number): Buffer {
  const h = Buffer.allocUnsafe(RMW_HEADER_SIZE);
  h.writeUInt32LE(RMW_MAGIC, 0);
  h[4] = 0;
  h[5] = 0;
  h.writeUInt32LE(type >>> 0, 6);
  h.writeUInt16LE(length, 10);
  h.writeUInt32LE(seq >>> 0, 12);
  return h;
}

/** One managed message (header + payload) ready to write. */
export function rmwFrame(type: number, seq: number, payload?: string): Buffer {
  if (payload === undefined || payload.length === 0) return rmwHeader(type, 0, seq);
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([rmwHeader(type, body.length, seq), body]);
}

export type RmwFrame =
  | { kind: 'managed'; type: number; seq: number; payload: string }
  | { kind: 'ascii'; payload: string }
  | { kind: 'error'; message: string };

const isMagicAt = (b: Buffer, i: number) => b[i] === 0xfe && b[i + 1] === 0x00 && b[i + 2] === 0x00 && b[i + 3] === 0xff;

/**
 * Splits a byte stream into frames. Bytes are kept only until their frame is complete; a frame
 * longer than RMW_MAX_MESSAGE is an error (the stream cannot be trusted after it: close it).
 */
export class RmwDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private failed = false;

  push(chunk: Buffer): void {
    const rest = this.buf.length - this.pos;
    this.buf = rest === 0 ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** Bytes held that do not make a whole frame yet. */
  get pending(): number {
    return this.buf.length - this.pos;
  }

  next(): RmwFrame | null {
    if (this.failed) return null;
    const b = this.buf;
    const start = this.pos;
    const avail = b.length - start;
    if (avail === 0) return null;
    if (avail >= 4 ? isMagicAt(b, start) : b[start] === 0xfe) {
      if (avail < RMW_HEADER_SIZE) return null;
      const len = b.readUInt16LE(start + 10);
      if (len > RMW_MAX_MESSAGE) return this.fail(`managed message of ${len} bytes (limit ${RMW_MAX_MESSAGE})`);
      if (avail < RMW_HEADER_SIZE + len) return null;
      const type = b.readUInt32LE(start + 6);
      const seq = b.readUInt32LE(start + 12);
      let end = start + RMW_HEADER_SIZE + len;
      this.pos = end;
      // audisp-remote strips the LF; older senders may not
      if (end > start + RMW_HEADER_SIZE && b[end - 1] === 0x0a) end--;
      return { kind: 'managed', type, seq, payload: b.toString('utf8', start + RMW_HEADER_SIZE, end) };
    }
    const lf = b.indexOf(0x0a, start);
    if (lf < 0) {
      if (avail > RMW_MAX_MESSAGE) return this.fail(`line of more than ${RMW_MAX_MESSAGE} bytes without LF`);
      return null;
    }
    this.pos = lf + 1;
    const end = lf > start && b[lf - 1] === 0x0d ? lf - 1 : lf;
    return { kind: 'ascii', payload: b.toString('utf8', start, end) };
  }

  /** The stream ended: a last line without LF still counts (auditd does the same). */
  end(): RmwFrame | null {
    if (this.failed || this.pending === 0 || isMagicAt(this.buf, this.pos)) return null;
    const payload = this.buf.toString('utf8', this.pos);
    this.pos = this.buf.length;
    return { kind: 'ascii', payload };
  }

  private fail(message: string): RmwFrame {
    this.failed = true;
    return { kind: 'error', message };
  }
}
