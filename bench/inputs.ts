// Bench inputs: a real audit.log replicated to about N records. Each copy's serials and times
// are shifted past the previous copy's, so every event stays unique and in time order and the
// reassembler sees the same event shapes the original has (multi-record or single-record).
// With `shiftPids`, each copy's pid= and ppid= values are moved too (copy k: pid + k), so a
// record's body repeats only within its copy, as on a real host where every login, cron run or
// service start is a new process: what caches keyed on a record's exact text can gain is then
// what they gain on the original, not on its replication.

import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface BenchInput {
  path: string;
  events: number;
  records: number;
  source: string;
}

const stamp = /audit\((\d+)\.(\d+):(\d+)\)/;

const pidField = / (p?pid)=(\d+)/g;
const PID_MAX = 4194304; // the kernel's pid_max ceiling on 64-bit

export async function replicate(source: string, targetRecords: number, outDir: string, shiftPids = false): Promise<BenchInput> {
  const lines = readFileSync(source, 'utf8')
    .split('\n')
    .filter((l) => stamp.test(l));
  const copies = Math.max(1, Math.round(targetRecords / lines.length));
  const path = join(outDir, `${basename(source).replace(/\.log$/, '')}-${copies}x${shiftPids ? '-pids' : ''}.log`);
  const events = new Set(lines.map((l) => stamp.exec(l)![0])).size * copies;
  const result = { path, events, records: lines.length * copies, source };
  if (existsSync(path)) return result;
  const parsed = lines.map((l) => {
    const m = stamp.exec(l)!;
    return { pre: l.slice(0, m.index), post: l.slice(m.index + m[0].length), sec: +m[1], ms: m[2], serial: +m[3] };
  });
  // Dense ranks instead of raw spans: a log whose serials or times spread widely (days between
  // records, serials in the billions) would otherwise overflow the kernel's 32-bit serial.
  const rank = (xs: number[]) => {
    const m = new Map<number, number>();
    for (const x of [...new Set(xs)].sort((a, b) => a - b)) m.set(x, m.size);
    return m;
  };
  const serialRank = rank(parsed.map((p) => p.serial));
  const secRank = rank(parsed.map((p) => p.sec));
  const base = Math.min(...parsed.map((p) => p.sec));
  const w = createWriteStream(path);
  for (let k = 0; k < copies; k++) {
    let chunk = '';
    for (const p of parsed) {
      const post = shiftPids ? p.post.replace(pidField, (_, key: string, n: string) => ` ${key}=${((Number(n) - 1 + k) % PID_MAX) + 1}`) : p.post;
      chunk += `${p.pre}audit(${base + k * secRank.size + secRank.get(p.sec)!}.${p.ms}:${1 + k * serialRank.size + serialRank.get(p.serial)!})${post}\n`;
    }
    if (!w.write(chunk)) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
  return result;
}
