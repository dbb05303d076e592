// RESP2, the Redis wire protocol, as far as an output needs it: commands as arrays of bulk
// strings, replies parsed incrementally (simple strings, errors, integers, bulk strings, arrays).

export type Reply = string | number | null | RespError | Reply[];
export class RespError {
  constructor(readonly message: string) {}
}

export function encodeCommand(args: readonly string[]): Buffer {
  let head = `*${args.length}\r\n`;
  const parts: Buffer[] = [];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    head += `$${b.length}\r\n`;
    parts.push(Buffer.from(head, 'utf8'), b);
    head = '\r\n';
  }
  parts.push(Buffer.from(head, 'utf8'));
  return Buffer.concat(parts);
}

/** Incremental reply parser: push() bytes, then next() until it returns undefined. */
export class RespReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  push(chunk: Buffer): void {
    this.buf = this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** The next whole reply, or undefined when more bytes are needed. Throws on a malformed stream. */
  next(): Reply | undefined {
    const start = this.pos;
    const r = this.parse();
    if (r === undefined) this.pos = start;
    return r;
  }

  private line(): string | undefined {
    const cr = this.buf.indexOf('\r\n', this.pos);
    if (cr < 0) return undefined;
    const s = this.buf.toString('utf8', this.pos + 1, cr);
    this.pos = cr + 2;
    return s;
  }

  private parse(): Reply | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const kind = this.buf[this.pos];
    const text = this.line();
    if (text === undefined) return undefined;
    switch (kind) {
      case 0x2b:
        return text; // +
      case 0x2d:
        return new RespError(text); // -
      case 0x3a:
        return Number(text); // :
      case 0x24: {
        // $
        const len = Number(text);
        if (len < 0) return null;
        if (this.buf.length < this.pos + len + 2) return undefined;
        const s = this.buf.toString('utf8', this.pos, this.pos + len);
        this.pos += len + 2;
        return s;
      }
      case 0x2a: {
        // *
        const n = Number(text);
        if (n < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const item = this.parse();
          if (item === undefined) return undefined;
          items.push(item);
        }
        return items;
      }
      default:
        throw new Error(`not a RESP reply (first byte 0x${kind.toString(16)})`);
    }
  }
}
