// Tailing benchmark: how fast lines appended to a growing file come out the other end, and how
// long one line takes from append to output, for auditflow's file inputs side by side with
// `tail -F` (the floor: no parsing, no JSON) and rsyslog's imfile (reading the same file into a
// file with omfile). All three write to a file; one observer (inotify + read) reads each output,
// so the measuring cost is the same for all of them.
//
//   node --import tsx bench/tail.bench.ts [--lines N] [--latency-lines N] [--only snoopy|auditlog] [--inputs-only] [--threads N] [--no-context] [--bin FILE] [--node-flags FLAGS]
//
// --bin FILE: start auditflow as `node FLAGS FILE run ...` (FLAGS: those of its shebang) (bin/auditflow.js after `npm run build`: what a
// host runs) instead of from the sources through tsx (~0.5 CPU s and ~20 MiB more per run).
// --node-flags 'FLAGS': node flags for auditflow with --bin (e.g. --max-semi-space-size=8).
// --threads N: config `threads: N` for auditflow (lanes for the audit.log input). auditflow's
// CPU seconds (all threads, /proc/PID/stat) are read when the last line is seen; the CPU-second
// view of the same path on a file written beforehand, variants side by side: bench/tail-cpu.bench.ts.
// --no-context: auditflow without the process table (enrich process, container and hash off), the
// only way its lanes can be more than one (the table must see every event in order).
//
// Throughput: the file is appended to as fast as the disk takes it (64 KiB writes); the time is
// from the first byte written to the last line seen in the output. Latency: one line per ms, each
// carrying its append time (performance.timeOrigin + now(): one clock for every process here).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, watch, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Tailer } from '../src/inputs/tail/tail.js';
import { silentLogger } from '../src/log.js';
import { createSnoopyInput } from '../src/inputs/snoopy/input.js';
import { createAuditlogInput } from '../src/inputs/auditlog.js';
import { shebangFlags } from './bin-flags.js';
import { cpuSeconds, peakRssMiB } from './proc.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const only = ((): string | undefined => {
  const i = args.indexOf('--only');
  return i >= 0 ? args[i + 1] : undefined;
})();
const LINES = opt('lines', 200_000);
const LAT_LINES = opt('latency-lines', 2000);
const THREADS = opt('threads', 0);
const NO_CONTEXT = args.includes('--no-context');
const BIN = ((): string | undefined => {
  const i = args.indexOf('--bin');
  return i >= 0 ? args[i + 1] : undefined;
})();
const NODE_FLAGS = ((): string[] => {
  const i = args.indexOf('--node-flags');
  return i >= 0 ? args[i + 1].split(/\s+/).filter(Boolean) : [];
})();
const root = mkdtempSync(join(tmpdir(), 'af-tailbench-'));
const repo = new URL('..', import.meta.url).pathname;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- inputs ----

const snoopySample = readFileSync(new URL('../test/fixtures/samples/snoopy-file.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('['));
const snoopyLine = (i: number, token = '') => {
  const l = snoopySample[i % snoopySample.length];
  return (token ? l.slice(0, l.indexOf(']: ') + 3) + `/bin/echo ${token}` : l) + '\n';
};

const auditSample = readFileSync(new URL('../test/fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('type='));
/** The sample's events again and again, serials and times renumbered so every event is new. */
function* auditLines(): Generator<string> {
  let serial = 1_000_000;
  let t = 1795400000000;
  for (let _cycle = 0; ; _cycle++) {
    const map = new Map<string, number>();
    for (const l of auditSample) {
      const a = l.indexOf('msg=audit(') + 10;
      const colon = l.indexOf(':', a);
      const close = l.indexOf(')', colon);
      const old = l.slice(colon + 1, close);
      let s = map.get(old);
      if (s === undefined) {
        map.set(old, (s = serial++));
        t += 1;
      }
      yield l.slice(0, a) + `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}:${s}` + l.slice(close) + '\n';
    }
  }
}
const auditEvent = (serial: number, token: string) => {
  const ts = `1795500000.000:${serial}`;
  return (
    `type=SYSCALL msg=audit(${ts}): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="${token}" exe="/usr/bin/true" key=(null)\n` +
    `type=PROCTITLE msg=audit(${ts}): proctitle=74727565\n`
  );
};

// ---- tools under test: each reads `src` and writes what it read to `out` ----

interface Tool {
  name: string;
  start(src: string, out: string, kind: 'snoopy' | 'auditlog'): Promise<ChildProcess>;
}

const tailF: Tool = {
  name: 'tail -F',
  async start(src, out) {
    const fd = openSync(out, 'a');
    const p = spawn('tail', ['-n', '+1', '-F', src], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    return p;
  },
};

const rsyslog: Tool = {
  name: 'rsyslog imfile',
  async start(src, out) {
    const dir = join(root, `rsyslog-${Date.now()}`);
    mkdirSync(dir);
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      [
        `global(workDirectory="${dir}" maxMessageSize="64k")`,
        'module(load="imfile" mode="inotify")',
        `template(name="raw" type="string" string="%msg%\\n")`,
        `ruleset(name="bench") { action(type="omfile" file="${out}" template="raw") }`,
        `input(type="imfile" file="${src}" tag="bench" ruleset="bench" freshStartTail="off")`,
      ].join('\n') + '\n',
    );
    return spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'inherit'] });
  },
};

const auditflow: Tool = {
  name: 'auditflow',
  async start(src, out, kind) {
    const dir = join(root, `auditflow-${Date.now()}`);
    mkdirSync(dir);
    const conf = join(dir, 'config.yaml');
    writeFileSync(
      conf,
      `state_dir: ${dir}/state\nlog_level: warn\n${THREADS ? `threads: ${THREADS}\n` : ''}${NO_CONTEXT ? 'enrich:\n  process: false\n  container: false\n  hash: false\n' : ''}inputs:\n  - type: ${kind}\n    path: ${src}\noutputs:\n  - type: file\n    path: ${out}\n`,
    );
    if (BIN)
      return spawn(process.execPath, [...shebangFlags(BIN), ...NODE_FLAGS, BIN, 'run', '--config', conf], {
        cwd: repo,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    return spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `import('./src/cli.ts').then(async (m) => { process.exitCode = await m.main(['run', '--config', ${JSON.stringify(conf)}]); })`],
      { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  },
};

// ---- observing an output file ----

/** Follows `out`, calling onData with each new chunk of text; inotify-driven, 2 ms poll fallback. */
function follow(out: string, onData: (text: string, at: number) => void): () => void {
  let pos = 0;
  let fd = -1;
  const buf = Buffer.allocUnsafe(1 << 20);
  let stopped = false;
  const read = () => {
    if (stopped) return;
    if (fd < 0) {
      if (!existsSync(out)) return;
      fd = openSync(out, 'r');
    }
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      onData(buf.toString('latin1', 0, n), now());
      if (stopped) return;
    }
  };
  let w: ReturnType<typeof watch> | undefined;
  const attach = () => {
    if (!w && existsSync(out)) {
      w = watch(out, read);
    }
  };
  const timer = setInterval(() => {
    attach();
    read();
  }, 2);
  return () => {
    stopped = true;
    clearInterval(timer);
    w?.close();
    if (fd >= 0) closeSync(fd);
  };
}

async function waitForToken(out: string, token: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let tail = '';
    const stop = follow(out, (text, at) => {
      tail = (tail + text).slice(-token.length - text.length);
      if (tail.includes(token)) {
        stop();
        clearTimeout(t);
        resolve(at);
      }
    });
    const t = setTimeout(() => {
      stop();
      reject(new Error(`${token} not seen in ${out} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

/** user + system seconds of every thread so far (startup and the warm-up line included) */

async function stopProc(p: ChildProcess) {
  if (p.exitCode !== null) return;
  await new Promise<void>((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 3000).unref();
  });
}

// ---- runs ----

interface Result {
  tool: string;
  input: string;
  linesPerSec?: number;
  p50?: number;
  p99?: number;
  max?: number;
  rssMiB?: number;
  cpuS?: number;
}

async function warm(src: string, out: string, kind: 'snoopy' | 'auditlog', tag: string): Promise<void> {
  writeFileSync(src, kind === 'snoopy' ? snoopyLine(0, `warm${tag}`) : auditEvent(1, `warm${tag}`), { flag: 'a' });
  await waitForToken(out, `warm${tag}`, 30000);
}

/** An empty source file in a new directory, with the tool started on it. */
async function startOnEmptyFile(tool: Tool, kind: 'snoopy' | 'auditlog', prefix: string) {
  const dir = mkdtempSync(join(root, prefix));
  const src = join(dir, kind === 'snoopy' ? 'snoopy.log' : 'audit.log');
  const out = join(dir, 'out');
  writeFileSync(src, '');
  return { dir, src, out, p: await tool.start(src, out, kind) };
}

async function throughput(tool: Tool, kind: 'snoopy' | 'auditlog'): Promise<Result> {
  const { src, out, p } = await startOnEmptyFile(tool, kind, 'tp-');
  try {
    await warm(src, out, kind, 'tp');
    // prepare all bytes first so the writer is not what is measured
    const parts: string[] = [];
    let n = 0;
    if (kind === 'snoopy') {
      for (let i = 1; i < LINES; i++) parts.push(snoopyLine(i));
      parts.push(snoopyLine(0, 'afbenchend'));
      n = LINES;
    } else {
      const gen = auditLines();
      for (let i = 0; i < LINES - 2; i++) parts.push(gen.next().value as string);
      parts.push(auditEvent(9_000_000, 'afbenchend'));
      n = LINES;
    }
    const data = Buffer.from(parts.join(''));
    const done = waitForToken(out, 'afbenchend', 300000);
    const fd = openSync(src, 'a');
    const t0 = now();
    for (let off = 0; off < data.length; off += 1 << 16) writeSync(fd, data, off, Math.min(1 << 16, data.length - off));
    closeSync(fd);
    const t1 = await done;
    const mine = tool === auditflow;
    return {
      tool: tool.name,
      input: kind,
      linesPerSec: Math.round(n / ((t1 - t0) / 1000)),
      rssMiB: mine && p.pid ? Math.round(peakRssMiB(p.pid) ?? Number.NaN) : undefined,
      cpuS: mine && p.pid ? cpuSeconds(p.pid) : undefined,
    };
  } finally {
    await stopProc(p);
  }
}

async function latency(tool: Tool, kind: 'snoopy' | 'auditlog'): Promise<Result> {
  const { src, out, p } = await startOnEmptyFile(tool, kind, 'lat-');
  const lat: number[] = [];
  try {
    await warm(src, out, kind, 'lat');
    const sent = new Map<string, number>();
    let carry = '';
    const stop = follow(out, (text, at) => {
      const s = carry + text;
      const re = /lt(\d+)x/g;
      let m;
      while ((m = re.exec(s))) {
        const t = sent.get(m[1]);
        if (t !== undefined) {
          lat.push(at - t);
          sent.delete(m[1]);
        }
      }
      carry = s.slice(-16);
    });
    const fd = openSync(src, 'a');
    for (let i = 0; i < LAT_LINES; i++) {
      const token = `lt${i}x`;
      const text = kind === 'snoopy' ? snoopyLine(i, token) : auditEvent(2_000_000 + i, token);
      sent.set(String(i), now());
      writeSync(fd, text);
      await sleep(1);
    }
    closeSync(fd);
    const end = Date.now() + 10000;
    while (lat.length < LAT_LINES && Date.now() < end) await sleep(10);
    stop();
  } finally {
    await stopProc(p);
  }
  lat.sort((a, b) => a - b);
  const q = (f: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] * 100) / 100;
  if (lat.length < LAT_LINES) console.error(`${tool.name}/${kind}: only ${lat.length} of ${LAT_LINES} latency lines arrived`);
  return { tool: tool.name, input: kind, p50: q(0.5), p99: q(0.99), max: q(1) };
}

/** The tailing layer alone, in process: lines cut and handed over, no parsing, no output. */
async function tailerOnly(): Promise<number> {
  const dir = mkdtempSync(join(root, 'raw-'));
  const src = join(dir, 'snoopy.log');
  const parts: string[] = [];
  for (let i = 0; i < LINES; i++) parts.push(snoopyLine(i));
  writeFileSync(src, parts.join(''));
  let got = 0;
  const t0 = now();
  let t1 = 0;
  const t = new Tailer({
    include: [src],
    checkpointPath: join(dir, 'cp.json'),
    log: silentLogger,
    watch: false,
    pollMs: 5,
    onChunk: async (c) => {
      got += c.lines.length;
      if (c.lines.length) t.commit(c.file, c.gen, c.lines[c.lines.length - 1].end);
      if (got >= LINES && !t1) t1 = now();
    },
  });
  await t.start();
  while (!t1) await sleep(5);
  await t.stop();
  t.close();
  return Math.round(LINES / ((t1 - t0) / 1000));
}

/** One input alone, in process: tail + parse (+ reassemble + normalize for audit.log), no filters, no output. */
async function inputOnly(kind: 'snoopy' | 'auditlog'): Promise<{ linesPerSec: number; recordsPerSec: number }> {
  const dir = mkdtempSync(join(root, 'in-'));
  const src = join(dir, kind === 'snoopy' ? 'snoopy.log' : 'audit.log');
  const parts: string[] = [];
  if (kind === 'snoopy') for (let i = 0; i < LINES; i++) parts.push(snoopyLine(i));
  else {
    const gen = auditLines();
    for (let i = 0; i < LINES; i++) parts.push(gen.next().value as string);
  }
  writeFileSync(src, parts.join(''));
  const ctx = { stateDir: join(dir, 'state'), hostName: 'h', log: silentLogger };
  const input = kind === 'snoopy' ? createSnoopyInput({ type: 'snoopy', path: src }, ctx) : createAuditlogInput({ type: 'auditlog', path: src }, ctx);
  let records = 0;
  const progress: [number, number][] = [];
  const t0 = now();
  await input.start({
    push: async (b) => {
      records += b.records.length;
      progress.push([records, now()]);
      b.ack?.();
    },
    error: () => {},
  });
  // done when the checkpoint covers the whole file (every line consumed and acked); the time is
  // when 99% of the records were out, leaving out the idle wait that lets the last audit events
  // of a file that stopped growing time out
  const size = statSync(src).size;
  const tailer = (input as unknown as { tailer(): Tailer }).tailer();
  while (tailer.openFiles()[0]?.committed !== size) await sleep(2);
  const t1 = progress.find(([n]) => n >= records * 0.99)![1];
  records = Math.round(records * 0.99);
  await input.stop();
  const secs = (t1 - t0) / 1000;
  return { linesPerSec: Math.round((LINES * 0.99) / secs), recordsPerSec: Math.round(records / secs) };
}

async function main() {
  const tools = [tailF, rsyslog, auditflow].filter((t) => t !== rsyslog || spawnSync('rsyslogd', ['-v']).status === 0);
  const kinds = (only ? [only] : ['snoopy', 'auditlog']) as ('snoopy' | 'auditlog')[];
  const results: Result[] = [];
  console.log(`tail bench: ${LINES} lines per throughput run, ${LAT_LINES} lines at 1/ms for latency; ${availableParallelism()} CPUs`);
  for (const kind of args.includes('--inputs-only') ? [] : kinds) {
    for (const tool of tools) {
      const tp = await throughput(tool, kind);
      const la = await latency(tool, kind);
      const r = { ...tp, p50: la.p50, p99: la.p99, max: la.max };
      results.push(r);
      console.log(JSON.stringify(r));
    }
  }
  if (!only || only === 'snoopy')
    console.log(JSON.stringify({ tool: 'auditflow tailer only (in process, no parse)', input: 'snoopy', linesPerSec: await tailerOnly() }));
  for (const kind of kinds)
    console.log(JSON.stringify({ tool: 'auditflow input only (in process: tail + parse, no filters/outputs)', input: kind, ...(await inputOnly(kind)) }));
  console.log('\n| input | tool | lines/s | append→output p50 ms | p99 ms | max ms | peak RSS MiB | CPU s |\n|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results)
    console.log(
      `| ${r.input} | ${r.tool} | ${r.linesPerSec?.toLocaleString('en-US')} | ${r.p50} | ${r.p99} | ${r.max} | ${r.rssMiB ?? ''} | ${r.cpuS ?? ''} |`,
    );
}

main().then(
  () => rmSync(root, { recursive: true, force: true }),
  (err) => {
    console.error(err);
    rmSync(root, { recursive: true, force: true });
    process.exit(1);
  },
);
