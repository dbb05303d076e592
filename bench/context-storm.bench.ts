// Context cost in the live exec storm, as alternating pairs: bench/kernel-storm.bench.ts with
// enrich=on and enrich=off in turn (ABBA: on/off, off/on, ...), each run its own daemon, and per
// pair the ratio of the daemon's CPU per 10k events. One run's CPU per event moves by up to 1.8x
// with the storm's rate (a busy machine runs the storm slower, each event then wakes the daemon's
// threads on its own and costs more), so a single pair says little: the median of the pairs
// does, with each run's rate and wake-ups printed beside it to show when a pair is not like for like.
//   node --import tsx bench/context-storm.bench.ts [pairs=6] [execs=6000] [auid=62101] [rate=0] [lock=FILE]
//   (lock=FILE: each run under `flock FILE`, released between runs; run as root, as the storm bench)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? dflt;
const PAIRS = Number(arg('pairs', '6'));
const EXECS = Number(arg('execs', '6000'));
const AUID = arg('auid', '62101');
const LOCK = arg('lock', '');
/** execs/s in all (0: as fast as the shells go); a paced storm gives on and off the same arrival pattern */
const RATE = arg('rate', '0');
const storm = fileURLToPath(new URL('./kernel-storm.bench.ts', import.meta.url));

interface Run {
  rate: number;
  events: number;
  cpuPer10k: number;
  sysPer10k: number;
  /** the daemon's main thread: CPU s and voluntary context switches (wake-ups) per 10k events, when the storm bench prints threads */
  main?: { cpu: number; wakeups: number };
}

function once(enrich: 'on' | 'off'): Run {
  const cmd = [process.execPath, '--import', 'tsx', storm, 'only=auditflow', `auid=${AUID}`, 'kind=exec', `execs=${EXECS}`, `rate=${RATE}`, `enrich=${enrich}`];
  const r = LOCK ? spawnSync('flock', [LOCK, ...cmd], { encoding: 'utf8' }) : spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  const out = `${r.stdout}`;
  const m = /^auditflow\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+\d+\s+\(system ([\d.]+) s\)/m.exec(out);
  if (r.status !== 0 || m === null) throw new Error(`storm run (enrich=${enrich}) failed, exit ${r.status}:\n${out}\n${r.stderr}`);
  const events = Number(m[2]);
  const run: Run = { rate: Number(m[1]), events, cpuPer10k: Number(m[4]), sysPer10k: (Number(m[5]) * 10_000) / Math.max(1, events) };
  const main = /^\s+node \(main\) x\d+\s+([\d.]+)\s+(\d+)/m.exec(out);
  if (main !== null) run.main = { cpu: Number(main[1]), wakeups: Number(main[2]) };
  return run;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const show = (side: string, r: Run) =>
  `${side.padEnd(4)} ${String(r.rate).padStart(6)}/s  ${r.cpuPer10k.toFixed(2).padStart(6)} s  (user ${(r.cpuPer10k - r.sysPer10k).toFixed(2)}, system ${r.sysPer10k.toFixed(2)})` +
  (r.main ? `  main thread ${r.main.cpu.toFixed(2)} s, ${r.main.wakeups} wake-ups` : '');

const on: Run[] = [];
const off: Run[] = [];
console.log(`exec storm of ${EXECS}, enrich on and off alternated, ${PAIRS} pairs; daemon CPU s per 10k events`);
for (let i = 0; i < PAIRS; i++) {
  for (const side of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) (side === 'on' ? on : off).push(once(side));
  console.log(`pair ${i + 1}: on/off ${(on[i].cpuPer10k / off[i].cpuPer10k).toFixed(3)}\n  ${show('on', on[i])}\n  ${show('off', off[i])}`);
}
const ratios = on.map((r, i) => r.cpuPer10k / off[i].cpuPer10k);
console.log(`per pair on/off: ${ratios.map((x) => x.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}`);
for (const [side, xs] of [
  ['on', on],
  ['off', off],
] as const) {
  console.log(
    `${side}: median ${median(xs.map((r) => r.cpuPer10k)).toFixed(2)} s per 10k (user ${median(xs.map((r) => r.cpuPer10k - r.sysPer10k)).toFixed(2)}, ` +
      `system ${median(xs.map((r) => r.sysPer10k)).toFixed(2)}), storm ${median(xs.map((r) => r.rate))} execs/s`,
  );
}
