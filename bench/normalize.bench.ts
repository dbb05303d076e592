// `npm run bench`: auditflow normalize vs laurel on the same ~1,000,000-record audit.log.
// The real capture in test/fixtures is scaled up by rewriting serials and times, so every copy's
// events stay unique and in time order. Each tool runs several times; the median run is reported
// with events/s, peak RSS (GNU time's max resident set) and the ratio.
//   node --import tsx bench/normalize.bench.ts [--records N] [--runs N] [--args "--no-redact"]

import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'bench', 'out');
const sample = join(root, 'test', 'fixtures', 'samples', 'audit-raw.sample.log');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const targetRecords = Number(arg('--records', '1000000'));
const runs = Number(arg('--runs', '3'));
const extraArgs = arg('--args', '').split(' ').filter(Boolean);

async function makeInput(): Promise<{ path: string; events: number; records: number }> {
  const lines = readFileSync(sample, 'utf8').split('\n').filter(Boolean);
  const copies = Math.max(1, Math.round(targetRecords / lines.length));
  const path = join(out, `audit-${copies}x.log`);
  const events = new Set(lines.map((l) => /audit\(([\d.]+:\d+)\)/.exec(l)![1])).size * copies;
  if (existsSync(path)) return { path, events, records: lines.length * copies };
  const parsed = lines.map((l) => {
    const m = /audit\((\d+)\.(\d+):(\d+)\)/.exec(l)!;
    return { pre: l.slice(0, m.index), post: l.slice(m.index + m[0].length), sec: +m[1], ms: m[2], serial: +m[3] };
  });
  const minSerial = Math.min(...parsed.map((p) => p.serial));
  const serialSpan = Math.max(...parsed.map((p) => p.serial)) - minSerial + 1;
  const secSpan = Math.max(...parsed.map((p) => p.sec)) - Math.min(...parsed.map((p) => p.sec)) + 1;
  const w = createWriteStream(path);
  for (let k = 0; k < copies; k++) {
    let chunk = '';
    for (const p of parsed) chunk += `${p.pre}audit(${p.sec + k * secSpan}.${p.ms}:${p.serial + k * serialSpan})${p.post}\n`;
    if (!w.write(chunk)) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await new Promise<void>((r) => w.end(() => r()));
  return { path, events, records: lines.length * copies };
}

interface RunResult { seconds: number; maxRssKiB: number; cpu: number }

function timed(cmd: string, args: string[], stdinPath: string | undefined, stdoutPath: string): RunResult {
  const tfile = join(out, 'time.txt');
  const shell = `/usr/bin/time -o ${tfile} -f '%e %M %U %S' ${[cmd, ...args].map((a) => `'${a}'`).join(' ')}${stdinPath ? ` < '${stdinPath}'` : ''} > '${stdoutPath}'`;
  const r = spawnSync('bash', ['-c', shell], { stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.toString().slice(-2000)}`);
  const [e, m, u, s] = readFileSync(tfile, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  return { seconds: e, maxRssKiB: m, cpu: u + s };
}

function median(xs: RunResult[]): RunResult {
  return [...xs].sort((a, b) => a.seconds - b.seconds)[Math.floor(xs.length / 2)];
}

function ensureLaurel(): string | undefined {
  const p = '/usr/sbin/laurel';
  if (existsSync(p)) return p;
  const r = spawnSync('bash', ['-c', 'apt-get install -y -qq laurel >/dev/null 2>&1'], { stdio: 'inherit' });
  return r.status === 0 && existsSync(p) ? p : undefined;
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  if (!existsSync(join(root, 'dist', 'src', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const input = await makeInput();
  console.log(`input: ${input.path} (${input.records} records, ${input.events} events, ${(statSync(input.path).size / 1e6).toFixed(0)} MB)`);

  const results: Record<string, RunResult> = {};
  const laurel = ensureLaurel();
  if (laurel) {
    const dir = join(out, 'laurel');
    mkdirSync(dir, { recursive: true });
    // JSON output with enrichment and translation off: the same work auditflow does from a file
    writeFileSync(join(out, 'laurel.toml'), [
      `directory = "${dir}"`, 'user = "root"', 'statusreport-period = 0',
      '[auditlog]', 'file = "audit.log"', 'size = 100000000000', 'generations = 1',
      '[transform]', 'execve-argv = [ "array" ]',
      '[translate]', 'universal = false', 'user-db = false',
      '[enrich]', 'pid = false', 'execve-env = []', 'container = false', 'script = false', '',
    ].join('\n'));
    const rs: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      spawnSync('rm', ['-f', join(dir, 'audit.log')]);
      rs.push(timed(laurel, ['--config', join(out, 'laurel.toml')], input.path, '/dev/null'));
    }
    results.laurel = median(rs);
  } else {
    console.log('laurel not available (apt-get install laurel failed): auditflow numbers only');
  }

  const rs: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    rs.push(timed(process.execPath, [join(root, 'bin', 'auditflow.js'), 'normalize', ...extraArgs, input.path], undefined, join(out, 'auditflow.jsonl')));
  }
  results.auditflow = median(rs);
  const produced = readFileSync(join(out, 'auditflow.jsonl'), 'utf8').split('\n').length - 1;

  console.log(`\n${'tool'.padEnd(10)} ${'events/s'.padStart(10)} ${'records/s'.padStart(10)} ${'seconds'.padStart(8)} ${'cpu s'.padStart(7)} ${'peak RSS'.padStart(10)}`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(10)} ${Math.round(input.events / r.seconds).toString().padStart(10)} ${Math.round(input.records / r.seconds).toString().padStart(10)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpu.toFixed(2).padStart(7)} ${((r.maxRssKiB / 1024).toFixed(0) + ' MiB').padStart(10)}`);
  }
  console.log(`auditflow wrote ${produced} records for ${input.events} events${extraArgs.length ? ` (args: ${extraArgs.join(' ')})` : ''}`);
  if (results.laurel) {
    console.log(`ratio auditflow/laurel events/s: ${(results.laurel.seconds / results.auditflow.seconds).toFixed(2)}x (target >= 2x), peak RSS ${(results.auditflow.maxRssKiB / 1024).toFixed(0)} MiB (target < 150 MiB)`);
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
