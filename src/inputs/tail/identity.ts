// Which file is this? device+inode says where it lives now, but inodes are reused as soon as a
// file is deleted (logrotate's delete-then-create often gets the same inode back), so a hash of
// the file's first bytes goes with it: same dev+ino with a different head is a different file.

import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';

export interface FileIdentity {
  dev: number;
  ino: number;
  /** how many leading bytes `head` covers (grows with the file up to the fingerprint size) */
  headLen: number;
  /** sha1 (hex) of the first headLen bytes; '' when headLen is 0 */
  head: string;
}

/** Default number of leading bytes fingerprinted: enough to get past a constant log prefix. */
export const FINGERPRINT_BYTES = 1024;

const scratch = Buffer.allocUnsafe(FINGERPRINT_BYTES * 4);

/** Reads up to `len` leading bytes of an open file (short when the file is shorter). */
export function readHead(fd: number, len: number): Buffer {
  const buf = len <= scratch.length ? scratch : Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

export function hashHead(bytes: Buffer): string {
  return bytes.length === 0 ? '' : createHash('sha1').update(bytes).digest('hex');
}

/** Identity of an open file whose size is `size`. */
export function identify(fd: number, dev: number, ino: number, size: number, fpBytes = FINGERPRINT_BYTES): FileIdentity {
  const head = readHead(fd, Math.min(size, fpBytes));
  return { dev, ino, headLen: head.length, head: hashHead(head) };
}

/**
 * Whether the open file still starts with the bytes `id` fingerprinted. False means the file was
 * truncated and rewritten (copytruncate that grew back past our offset) or the inode was reused.
 */
export function sameHead(fd: number, id: FileIdentity): boolean {
  if (id.headLen === 0) return true;
  const head = readHead(fd, id.headLen);
  return head.length === id.headLen && hashHead(head) === id.head;
}
