// argv from EXECVE records. The kernel writes `argc=N a0=.. a1=..` and, for an argument longer
// than its per-record budget, `aN_len=LEN aN[0]=.. aN[1]=..` hex chunks, possibly spread over
// several EXECVE records of the same event. Chunks split bytes, not characters (a UTF-8
// sequence can straddle two chunks), so chunks are joined as bytes before decoding to text.
// The a0..a3 of SYSCALL are registers (pointers), never argv.

import type { AuditRecord } from '../record.js';
import { decode, decodeBytes } from '../record.js';
import { bytesToText } from '../../bytes-text.js';

export interface ExecArgs {
  args: string[];
  /** argc as the kernel counted it; may exceed args.length when records were lost. */
  argc: number | undefined;
  /** false when argc says more arguments (or chunks) exist than arrived */
  complete: boolean;
}

export function execArgs(records: readonly AuditRecord[]): ExecArgs {
  let argc: number | undefined;
  const whole: (string | undefined)[] = [];
  let chunks: (string[] | undefined)[] | undefined;
  let lens: (number | undefined)[] | undefined;
  for (let r = 0; r < records.length; r++) {
    const fields = records[r].fields;
    for (const key in fields) {
      if (key === 'argc') {
        const n = Number(fields[key]);
        if (Number.isInteger(n) && n >= 0) argc = n;
        continue;
      }
      if (key.charCodeAt(0) !== 0x61 /* a */) continue;
      let i = 1,
        n = 0;
      const kl = key.length;
      for (; i < kl; i++) {
        const d = key.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
      }
      if (i === 1 || n > 1_000_000) continue;
      if (i === kl) {
        whole[n] = fields[key];
      } else if (key.charCodeAt(i) === 0x5b /* [ */) {
        const idx = Number(key.slice(i + 1, key.length - 1));
        if (!Number.isInteger(idx) || idx < 0 || idx > 100_000) continue;
        chunks ??= [];
        (chunks[n] ??= [])[idx] = fields[key];
      } else if (key === `a${n}_len`) {
        (lens ??= [])[n] = Number(fields[key]);
      }
    }
  }
  // argc only says how many should have come; the loop runs over what did (a corrupt
  // argc=4294967295 must not become four billion iterations)
  const last = Math.max(whole.length, chunks?.length ?? 0);
  const args: string[] = [];
  let complete = argc === undefined || argc <= last;
  for (let n = 0; n < last; n++) {
    const w = whole[n];
    if (w !== undefined) {
      args.push(decode(w) ?? '');
      continue;
    }
    const parts = chunks?.[n];
    if (parts === undefined) {
      complete = false;
      continue;
    }
    const text = joinChunks(parts);
    // aN_len counts what the kernel wrote: hex digits, i.e. twice the bytes, for encoded args
    const len = lens?.[n];
    if (text.holes || (len !== undefined && text.bytes * 2 !== len && text.bytes !== len)) complete = false;
    args.push(text.text);
  }
  return { args, argc, complete };
}

function joinChunks(parts: (string | undefined)[]): { text: string; bytes: number; holes: boolean } {
  let holes = false;
  const bufs: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) {
      holes = true;
      continue;
    }
    const b = decodeBytes(p);
    if (b === undefined) continue;
    bufs.push(b);
    bytes += b.length;
  }
  return { text: bytesToText(bufs.length === 1 ? bufs[0] : Buffer.concat(bufs, bytes)), bytes, holes };
}
