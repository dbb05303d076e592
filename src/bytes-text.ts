// Bytes as text for records: UTF-8 where they are, `\xNN` for each byte that is not (the audit
// parser, the normalizer and the file tailer all show undecodable bytes this way).
import { isUtf8 } from 'node:buffer';

/** UTF-8 text of bytes; bytes that do not form valid UTF-8 become `\xNN`. */
export function bytesToText(buf: Buffer): string {
  if (isUtf8(buf)) return buf.toString('utf8');
  let out = '';
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i];
    let len = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 0;
    if (len > 1 && (i + len > n || !isUtf8(buf.subarray(i, i + len)))) len = 0;
    if (len === 0) {
      out += '\\x' + (b < 16 ? '0' : '') + b.toString(16);
      i++;
    } else {
      out += buf.toString('utf8', i, i + len);
      i += len;
    }
  }
  return out;
}
