// Reading what the syslog output sends over TCP (RFC 6587 octet counting), for tests that stand
// in for a receiver themselves.

/** A socket 'data' handler that cuts octet-counted frames and hands each record's sequence to `seq`. */
export function octetCountedSequences(seq: (n: number) => void): (d: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const sp = buf.indexOf(32);
      if (sp < 0) break;
      const len = Number(buf.toString('latin1', 0, sp));
      if (buf.length < sp + 1 + len) break;
      const msg = buf.toString('utf8', sp + 1, sp + 1 + len);
      seq(JSON.parse(msg.slice(msg.indexOf('] {') + 2)).event.sequence);
      buf = buf.subarray(sp + 1 + len);
    }
  };
}
