// RELP frames (rsyslog's Reliable Event Logging Protocol, librelp's doc/relp.html):
//   TXNR SP COMMAND SP DATALEN [SP DATA] LF
// TXNR counts 1..999999999 per session (then back to 1); every command is answered by an `rsp`
// with the same TXNR whose data starts with a status ("200 OK", "500 ..."). The session starts
// with `open` (offers: relp_version, relp_software, commands=syslog), messages go as `syslog`,
// `close` ends it; a server going away may send `serverclose` with TXNR 0.

export const RELP_MAX_TXNR = 999999999;
export const RELP_OFFERS = 'relp_version=0\nrelp_software=auditflow,1,https://github.com/auditflow\ncommands=syslog';

export interface RelpFrame {
  txnr: number;
  command: string;
  data: Buffer;
}

export function relpFrame(txnr: number, command: string, data?: string | Buffer): Buffer {
  const body = data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (!body || body.length === 0) return Buffer.from(`${txnr} ${command} 0\n`, 'latin1');
  return Buffer.concat([Buffer.from(`${txnr} ${command} ${body.length} `, 'latin1'), body, Buffer.from('\n', 'latin1')]);
}

export const nextTxnr = (t: number) => (t >= RELP_MAX_TXNR ? 1 : t + 1);

/** Incremental parser; throws RelpError on a stream that is not RELP (close the session then). */
export class RelpDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  constructor(private readonly maxData = 1 << 20) {}

  push(chunk: Buffer): void {
    this.buf = this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  next(): RelpFrame | null {
    const b = this.buf;
    let i = this.pos;
    // header: three space-separated tokens, the last ends in SP or LF
    const sp1 = b.indexOf(0x20, i);
    if (sp1 < 0) return this.needMore(b.length - i);
    const sp2 = b.indexOf(0x20, sp1 + 1);
    if (sp2 < 0) return this.needMore(b.length - i);
    let j = sp2 + 1;
    let len = 0;
    let digits = 0;
    while (j < b.length && b[j] >= 0x30 && b[j] <= 0x39) {
      len = len * 10 + (b[j] - 0x30);
      j++;
      digits++;
    }
    if (j >= b.length) return this.needMore(b.length - i);
    if (digits === 0 || digits > 9) throw new RelpError('bad DATALEN');
    const txnrText = b.toString('latin1', i, sp1);
    const txnr = Number(txnrText);
    if (!/^\d{1,9}$/.test(txnrText)) throw new RelpError(`bad TXNR "${txnrText.slice(0, 20)}"`);
    const command = b.toString('latin1', sp1 + 1, sp2);
    if (!/^[A-Za-z]{1,32}$/.test(command)) throw new RelpError(`bad command "${command.slice(0, 40)}"`);
    if (len > this.maxData) throw new RelpError(`frame of ${len} bytes (limit ${this.maxData})`);
    let data: Buffer;
    if (len === 0) {
      if (b[j] !== 0x0a) throw new RelpError('missing trailer');
      data = Buffer.alloc(0);
      i = j + 1;
    } else {
      if (b[j] !== 0x20) throw new RelpError('missing SP before DATA');
      if (b.length < j + 1 + len + 1) return null;
      data = b.subarray(j + 1, j + 1 + len);
      if (b[j + 1 + len] !== 0x0a) throw new RelpError('missing trailer');
      i = j + 1 + len + 1;
    }
    this.pos = i;
    return { txnr, command, data };
  }

  private needMore(have: number): null {
    if (have > 64) throw new RelpError('header too long');
    return null;
  }
}

export class RelpError extends Error {}

/** "200 OK\n..." → 200 */
export function rspCode(data: Buffer): number {
  return Number(data.toString('latin1', 0, Math.min(3, data.length)));
}
