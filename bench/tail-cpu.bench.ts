// The daemon's tail path in CPU seconds: `auditflow run` follows an audit.log of N lines (from
// its beginning) into a file output; a run is done when the output reaches its full size. CPU
// (user + system of every thread, from /proc/PID/stat) and peak RSS (VmHWM) are read at that
// moment, before shutdown. Variants (other builds, node flags, --threads) run in turn, A B A B,
// so a drifting machine moves them alike; each variant's output is hashed to show it is the same.
//
//   node --import tsx bench/tail-cpu.bench.ts [--lines 200000] [--runs 3] [--input FILE]
//        [--variant 'NAME=CMD ARG...|TOP-LEVEL YAML'] ... [--top 'TOP-LEVEL YAML']
//
// CMD is what starts auditflow (default: node bin/auditflow.js); ` run --config FILE` is appended.
// After a `|`, top-level YAML for that variant's config (`|threads: 2`). --top adds
// top-level YAML to every variant's config: `--top 'enrich: {process: false, container: false}'`
// makes the output independent of this host's /proc, so the hashes can be compared.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shebangFlags } from './bin-flags.js';
import { cpuSeconds, peakRssMiB } from './proc.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const LINES = Number(opt('lines', '200000'));
const RUNS = Number(opt('runs', '3'));
const repo = new URL('..', import.meta.url).pathname;
const top = opt('top', '');
const input = opt('input', join(repo, 'bench/out/audit-raw.sample-812x.log'));
const variants: { name: string; cmd: string[]; extra: string }[] = [];
for (let i = 0; i < args.length; i++)
  if (args[i] === '--variant') {
    const v = args[++i];
    const eq = v.indexOf('=');
    const [cmd, extra = ''] = v.slice(eq + 1).split('|');
    variants.push({ name: v.slice(0, eq), cmd: cmd.trim().split(/\s+/), extra: extra.trim() });
  }
if (variants.length === 0)
  variants.push({ name: 'auditflow', cmd: [process.execPath, ...shebangFlags(join(repo, 'bin/auditflow.js')), join(repo, 'bin/auditflow.js')], extra: '' });
if (!existsSync(input)) throw new Error(`${input}: missing (node --import tsx bench/normalize.bench.ts makes it)`);

const root = mkdtempSync(join(tmpdir(), 'af-tailcpu-'));
const src = join(root, 'audit.log');
{
  const text = readFileSync(input, 'latin1');
  let end = 0;
  for (let n = 0; n < LINES && end >= 0; n++) end = text.indexOf('\n', end) + 1 || -1;
  writeFileSync(src, end > 0 ? text.slice(0, end) : text, 'latin1');
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sizeOf = (p: string) => (existsSync(p) ? statSync(p).size : 0);

/** each variant's output size, from its first run (variants may differ: enrichment off, other filters) */
const expected = new Map<string, number>();
async function once(v: (typeof variants)[number], run: number) {
  const dir = join(root, `${v.name}-${run}`);
  mkdirSync(dir);
  const out = join(dir, 'out.jsonl');
  const conf = join(dir, 'config.yaml');
  const extra = v.extra ? `${v.extra}\n` : '';
  writeFileSync(
    conf,
    `state_dir: ${dir}/state\nlog_level: warn\n${top ? `${top}\n` : ''}${extra}inputs:\n  - type: auditlog\n    path: ${src}\noutputs:\n  - type: file\n    path: ${out}\n`,
  );
  const t0 = performance.now();
  const p = spawn(v.cmd[0], [...v.cmd.slice(1), 'run', '--config', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const pid = p.pid!;
  // done: the expected size (known after the variant's first run), or (its first run) no growth for 5 s
  let last = -1;
  let since = performance.now();
  let cpu = 0;
  let rss = 0;
  let tDone = 0;
  for (;;) {
    await sleep(20);
    if (p.exitCode !== null) throw new Error(`${v.name} exited with ${p.exitCode}`);
    const s = sizeOf(out);
    const want = expected.get(v.name);
    if (s !== last) {
      last = s;
      since = performance.now();
      cpu = cpuSeconds(pid) ?? Number.NaN;
      rss = Math.round(peakRssMiB(pid) ?? Number.NaN);
      tDone = since;
      if (want !== undefined && s === want) break;
      // with enrichment on, records carry what this host's /proc says at the time: sizes differ a little
    } else if (performance.now() - since > 5000 && s > 0 && (want === undefined || s > want * 0.95)) break;
    else if (performance.now() - since > 120_000) {
      p.kill('SIGTERM'); // not left running on a deleted directory after the bench gives up
      throw new Error(`${v.name}: output stuck at ${s} of ${want} bytes`);
    }
  }
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
  const hash = createHash('sha1').update(readFileSync(out)).digest('hex').slice(0, 12);
  if (!expected.has(v.name)) expected.set(v.name, last);
  const wall = (tDone - t0) / 1000;
  return { variant: v.name, run, cpuS: cpu, wallS: Math.round(wall * 100) / 100, linesPerCpuS: Math.round(LINES / cpu), peakMiB: rss, bytes: last, sha1: hash };
}

async function main() {
  console.log(`tail-cpu: ${LINES} lines of ${input}, ${RUNS} runs per variant, alternating`);
  const all: Awaited<ReturnType<typeof once>>[] = [];
  for (let r = 0; r < RUNS; r++)
    for (const v of variants) {
      const res = await once(v, r);
      all.push(res);
      console.log(JSON.stringify(res));
    }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const v of variants) {
    const mine = all.filter((x) => x.variant === v.name);
    console.log(
      `${v.name}: median CPU ${median(mine.map((x) => x.cpuS)).toFixed(2)} s, ${median(mine.map((x) => x.linesPerCpuS)).toLocaleString('en-US')} lines/CPU s, wall ${median(mine.map((x) => x.wallS))} s, peak ${median(mine.map((x) => x.peakMiB))} MiB`,
    );
  }
}

main().finally(() => rmSync(root, { recursive: true, force: true }));
