// What the benches read of a running process from /proc: its CPU seconds and its peak resident
// set, as the kernel counts them (every thread), with no tool between. Undefined once it is gone.
import { readFileSync } from 'node:fs';

/** USER_HZ: what /proc's tick fields count in; 100 on every Linux architecture node runs on */
const TICKS = 100;

/** utime + stime (or stime alone: 'sys'), in seconds. */
export function cpuSeconds(pid: number, which: 'all' | 'sys' = 'all'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    return ((which === 'sys' ? 0 : Number(f[11])) + Number(f[12])) / TICKS;
  } catch {
    return undefined;
  }
}

/** VmHWM, in MiB. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}
