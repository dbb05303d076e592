// process.entity_id: one value for one process, whichever source reports it, and a new one when
// the pid is reused. Like Auditbeat's, a hash of what makes a process unique on a host: the host,
// the pid and the process's start (ticks since boot, from /proc). A process known only from
// events (another host's log, or one gone before /proc was read) is seeded with the time it was
// first seen instead: unique within what auditflow saw, never confusable with a live id.
//
// Every new process of an exec storm makes one, so the digest is computed here, in JS, over the
// id's bytes written straight into a buffer (host id, pid, start: ASCII, numbers as digits):
// building the text and node's one-shot hash() cost 2.3-3 µs an id (a native call, a Buffer
// and its base64 string), this ~0.75 µs. Same bytes, same digest; anything else (a non-ASCII
// host id, a number that is not a whole one) goes through node's.
import { hash } from 'node:crypto';

/**
 * 16 base64url characters: the first 12 bytes of the digest of `host:pid:start`, where start is
 * the start tick, or `@` and the ms a process was first seen (`seeded`), and `.gen` when gen > 0.
 */
export function entityId(host: string, pid: number, start: number, seeded = false, gen = 0): string {
  len = 0;
  if (put(host) && put(':') && putInt(pid) && put(seeded ? ':@' : ':') && putInt(start) && (gen === 0 || (put('.') && putInt(gen)))) return digestId();
  const text = `${host}:${pid}:${seeded ? '@' : ''}${start}${gen === 0 ? '' : `.${gen}`}`;
  return hash('sha256', text, 'buffer').toString('base64url', 0, 12);
}

/** the text being hashed, as bytes: at most what 4 blocks hold with the padding (longer goes through node's) */
const MAX_TEXT = 247;
const T = new Uint8Array(MAX_TEXT);
let len = 0;

/** Appends ASCII text; false when it is not ASCII or does not fit. */
function put(s: string): boolean {
  if (len + s.length > MAX_TEXT) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    T[len++] = c;
  }
  return true;
}

/** Appends a non-negative integer's decimal digits (as `${v}` writes them); false for any other number. */
function putInt(v: number): boolean {
  if (!Number.isSafeInteger(v) || v < 0 || len + 16 > MAX_TEXT) return false;
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  len += digits;
  for (let i = len - 1; i >= len - digits; i--) {
    T[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return true;
}

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const H = new Int32Array(8);
const W = new Int32Array(64);
/** the padded message, big-endian words */
const M = new Int32Array(64);
/** base64url's alphabet, as char codes */
const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', (c) => c.charCodeAt(0));

/** The id of the `len` bytes of T. */
function digestId(): string {
  const n = len;
  // message + 0x80 + 64-bit length, in whole 64-byte blocks
  const blocks = (n + 9 + 63) >> 6;
  M.fill(0, 0, blocks * 16);
  for (let i = 0; i < n; i++) M[i >> 2] |= T[i] << (24 - 8 * (i & 3));
  M[n >> 2] |= 0x80 << (24 - 8 * (n & 3));
  M[blocks * 16 - 1] = n * 8;
  H.set(H0);
  for (let b = 0; b < blocks; b++) compress(b * 16);
  // 12 bytes = 3 words = 16 base64 characters, no padding
  const x = H[0];
  const y = H[1];
  const z = H[2];
  return String.fromCharCode(
    B64[x >>> 26],
    B64[(x >>> 20) & 63],
    B64[(x >>> 14) & 63],
    B64[(x >>> 8) & 63],
    B64[(x >>> 2) & 63],
    B64[((x << 4) | (y >>> 28)) & 63],
    B64[(y >>> 22) & 63],
    B64[(y >>> 16) & 63],
    B64[(y >>> 10) & 63],
    B64[(y >>> 4) & 63],
    B64[((y << 2) | (z >>> 30)) & 63],
    B64[(z >>> 24) & 63],
    B64[(z >>> 18) & 63],
    B64[(z >>> 12) & 63],
    B64[(z >>> 6) & 63],
    B64[z & 63],
  );
}

function compress(at: number): void {
  for (let t = 0; t < 16; t++) W[t] = M[at + t];
  for (let t = 16; t < 64; t++) {
    const a = W[t - 15];
    const b = W[t - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  let f = H[5];
  let g = H[6];
  let h = H[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}
