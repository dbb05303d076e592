// Context cost in the live exec storm, as alternating pairs: bench/kernel-storm.bench.ts with
// enrich=on and enrich=off in turn (ABBA: on/off, off/on, ...), each run its own daemon.
//   node --import tsx bench/context-storm.bench.ts [pairs=8] [execs=4000] [auid=62101] [rate=150] [lock=FILE] [bin=FILE] [warmup=N]
//   [batch_wait=MS]
//   (lock=FILE: each run under `flock FILE`, released between runs; run as root, as the storm bench)
//
// What moves the figure besides enrichment is the storm's own rate. The daemon's main thread pays
// per event (parse, normalize, context, JSON) and per wake-up (a batch from the netlink reader:
// timers, the pipeline's promises, one file write): at a lower rate each batch holds fewer events,
// so CPU per event grows though the work per event is the same. A paced storm that the machine
// cannot keep up (rate= above what it holds under load) runs at a different rate in each run, and a
// pair's ratio then mostly measures that. So, per run, the main thread (the only thread the
// context stage runs on) is read apart from the rest, with its wake-ups, and the cost is given
// three ways: the median of the per-pair ratios (all pairs, and only the pairs whose two runs'
// rates are within 5%), and a least-squares fit over all runs of
//   main CPU per 10k = a + b * (wake-ups per 10k) + d * (enrich on)
// whose d is enrichment's main-thread CPU per 10k events at the same wake-ups. (A busier machine
// also runs the storm slower and makes each event dearer; fitting on 1/rate instead of wake-ups
// gave the same d within 3% on 12 runs under load 7-11.) What d is made of: the context stage
// meets a few records per wake-up with its code and data out of the CPU's caches, where it costs
// several times what it does back to back (bench/context.bench.ts measures both). Runs under
// --cpu-prof (prof=) showed no difference: measure without it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? dflt;
const PAIRS = Number(arg('pairs', '8'));
const EXECS = Number(arg('execs', '4000'));
const AUID = arg('auid', '62101');
const LOCK = arg('lock', '');
/** execs/s in all (0: as fast as the shells go); paced low enough that a loaded machine holds it */
const RATE = arg('rate', '150');
/** two runs' storm rates closer than this are like for like */
const LIKE = 0.05;
const storm = fileURLToPath(new URL('./kernel-storm.bench.ts', import.meta.url));
/** passed on to kernel-storm.bench.ts as they are (bin=FILE: the built daemon; warmup=N) */
const PASS = process.argv.filter((a) => a.startsWith('bin=') || a.startsWith('warmup=') || a.startsWith('batch_wait='));

interface Run {
  side: 'on' | 'off';
  rate: number;
  events: number;
  /** the daemon's CPU s per 10k events (all threads), and of it in the kernel */
  cpuPer10k: number;
  sysPer10k: number;
  /** the daemon's main thread: CPU s and voluntary context switches (wake-ups) per 10k events */
  main: { cpu: number; wakeups: number };
}

function once(side: 'on' | 'off'): Run {
  const cmd = [
    process.execPath,
    '--import',
    'tsx',
    storm,
    'only=auditflow',
    `auid=${AUID}`,
    'kind=exec',
    `execs=${EXECS}`,
    `rate=${RATE}`,
    `enrich=${side}`,
    ...PASS,
  ];
  const r = LOCK ? spawnSync('flock', [LOCK, ...cmd], { encoding: 'utf8' }) : spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  const out = `${r.stdout}`;
  const m = /^auditflow\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+\(system ([\d.]+) s\)/m.exec(out);
  const main = /^\s+node \(main\) x\d+\s+([\d.]+)\s+(\d+)/m.exec(out);
  if (r.status !== 0 || m === null || main === null) throw new Error(`storm run (enrich=${side}) failed, exit ${r.status}:\n${out}\n${r.stderr}`);
  if (Number(m[5]) !== 0) console.log(`  (enrich=${side}: the kernel lost ${m[5]} records)`);
  const events = Number(m[2]);
  return {
    side,
    rate: Number(m[1]),
    events,
    cpuPer10k: Number(m[4]),
    sysPer10k: (Number(m[6]) * 10_000) / Math.max(1, events),
    main: { cpu: Number(main[1]), wakeups: Number(main[2]) },
  };
}

const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');
const show = (r: Run) =>
  `${r.side.padEnd(4)} ${String(r.rate).padStart(5)}/s  all ${r.cpuPer10k.toFixed(2).padStart(5)} s (user ${(r.cpuPer10k - r.sysPer10k).toFixed(2)}, ` +
  `system ${r.sysPer10k.toFixed(2)})  main thread ${r.main.cpu.toFixed(2)} s, ${r.main.wakeups} wake-ups`;

/**
 * Least squares of y = a + b*w + d*on over the runs; undefined when the runs cannot tell the
 * terms apart (fewer than 4, or every run with the same wake-ups).
 */
export function fitEnrichCost(runs: readonly { y: number; w: number; on: boolean }[]): { a: number; b: number; d: number } | undefined {
  if (runs.length < 4) return undefined;
  // normal equations X'X beta = X'y with X = [1, w, on]
  const A = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const v = [0, 0, 0];
  for (const r of runs) {
    const x = [1, r.w, r.on ? 1 : 0];
    for (let i = 0; i < 3; i++) {
      v[i] += x[i] * r.y;
      for (let j = 0; j < 3; j++) A[i][j] += x[i] * x[j];
    }
  }
  // Gaussian elimination with partial pivoting
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let i = c + 1; i < 3; i++) if (Math.abs(A[i][c]) > Math.abs(A[p][c])) p = i;
    if (Math.abs(A[p][c]) < 1e-9) return undefined;
    [A[c], A[p]] = [A[p], A[c]];
    [v[c], v[p]] = [v[p], v[c]];
    for (let i = c + 1; i < 3; i++) {
      const f = A[i][c] / A[c][c];
      for (let j = c; j < 3; j++) A[i][j] -= f * A[c][j];
      v[i] -= f * v[c];
    }
  }
  const beta = [0, 0, 0];
  for (let i = 2; i >= 0; i--) {
    let s = v[i];
    for (let j = i + 1; j < 3; j++) s -= A[i][j] * beta[j];
    beta[i] = s / A[i][i];
  }
  return { a: beta[0], b: beta[1], d: beta[2] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const on: Run[] = [];
  const off: Run[] = [];
  console.log(`exec storm of ${EXECS} paced at ${RATE}/s, enrich on and off alternated, ${PAIRS} pairs; daemon CPU s per 10k events`);
  for (let i = 0; i < PAIRS; i++) {
    for (const side of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) (side === 'on' ? on : off).push(once(side));
    const [a, b] = [on[i], off[i]];
    const like = Math.abs(a.rate / b.rate - 1) <= LIKE;
    console.log(
      `pair ${i + 1}: on/off all ${(a.cpuPer10k / b.cpuPer10k).toFixed(3)}, main thread ${(a.main.cpu / b.main.cpu).toFixed(3)}${like ? '' : '  (rates differ: not like for like)'}\n  ${show(a)}\n  ${show(b)}`,
    );
    console.log(`  runs: ${JSON.stringify([a, b])}`);
  }
  const pairs = on.map((a, i) => ({ a, b: off[i], like: Math.abs(a.rate / off[i].rate - 1) <= LIKE }));
  const all = pairs.map((p) => p.a.cpuPer10k / p.b.cpuPer10k);
  const main = pairs.map((p) => p.a.main.cpu / p.b.main.cpu);
  const likeMain = pairs.filter((p) => p.like).map((p) => p.a.main.cpu / p.b.main.cpu);
  console.log(`per pair on/off, all threads: ${fmt(all)}; median ${median(all).toFixed(3)}`);
  console.log(`per pair on/off, main thread: ${fmt(main)}; median ${median(main).toFixed(3)}`);
  console.log(`like-for-like pairs (rates within ${LIKE * 100}%): ${likeMain.length} of ${pairs.length}, main thread median ${median(likeMain).toFixed(3)}`);
  for (const xs of [on, off]) {
    console.log(
      `${xs[0].side}: median all ${median(xs.map((r) => r.cpuPer10k)).toFixed(2)} s per 10k (system ${median(xs.map((r) => r.sysPer10k)).toFixed(2)}), ` +
        `main thread ${median(xs.map((r) => r.main.cpu)).toFixed(2)} s, ${median(xs.map((r) => r.main.wakeups))} wake-ups, storm ${median(xs.map((r) => r.rate))}/s`,
    );
  }
  const fit = fitEnrichCost([...on, ...off].map((r) => ({ y: r.main.cpu, w: r.main.wakeups, on: r.side === 'on' })));
  if (fit === undefined) console.log('fit: too few runs, or the same wake-ups in all');
  else {
    const base = median(off.map((r) => r.main.cpu));
    console.log(
      `fit over ${on.length + off.length} runs: main thread s per 10k = ${fit.a.toFixed(2)} + ${(fit.b * 1000).toFixed(3)} per 1,000 wake-ups + ${fit.d.toFixed(3)} with enrich: ` +
        `enrich on/off at the same wake-ups ${((base + fit.d) / base).toFixed(3)} (against off's median ${base.toFixed(2)} s)`,
    );
  }
}
