// `npm run bench`: auditflow normalize vs laurel 0.5.1, alternating on the same inputs in one run.
// Two inputs, each a real log replicated to ~1,000,000 records (bench/inputs.ts):
//   multi:  this project's Debian capture (test/fixtures/samples), ~4 records per event
//   server: go-libaudit's RHEL 7 server log (../shared/peer-corpus), 49 records / 46 events
//   server-pids: the same with each copy's pids moved (bench/inputs.ts), so bodies do not repeat
//           across copies: what normalize's caches of exact record text gain on a real log
// On a shared machine absolute times drift, so runs alternate laurel, auditflow, laurel, ... and
// the table gives medians and the ratio of medians. Peak RSS is GNU time's max resident set.
//   node --import tsx bench/normalize.bench.ts [--records N] [--runs N] [--variants "--threads 0|--threads 2"] [--only multi|server|server-pids] [--cli PATH|PATH...]

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replicate, type BenchInput } from './inputs.js';
import { shebangFlags } from './bin-flags.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'bench', 'out');
const sources = {
  multi: join(root, 'test', 'fixtures', 'samples', 'audit-raw.sample.log'),
  server: join(root, '..', 'shared', 'peer-corpus', 'go-libaudit', 'auparse', 'testdata', 'audit-rhel7.log'),
  'server-pids': join(root, '..', 'shared', 'peer-corpus', 'go-libaudit', 'auparse', 'testdata', 'audit-rhel7.log'),
};

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const targetRecords = Number(arg('--records', '1000000'));
const runs = Number(arg('--runs', '3'));
/** auditflow variants, `|` between them, each its normalize options: "--threads 0|--threads 2" */
const variants = arg('--variants', arg('--args', ''))
  .split('|')
  .map((v) => v.split(' ').filter(Boolean));
const only = arg('--only', '');
/**
 * the auditflow entry point: bin/auditflow.js runs dist/, so build first (or name another build);
 * several, `|` between them, run in turn in each round: two builds against laurel in one run
 */
const clis = arg('--cli', join(root, 'bin', 'auditflow.js')).split('|');
const label = (v: string[], cli: string) =>
  `auditflow${clis.length > 1 ? ` (${cli.replace(/\/bin\/auditflow\.js$/, '')})` : ''}${v.length ? ` ${v.join(' ')}` : ''}`;
/** every auditflow build with every variant */
const tools = clis.flatMap((cli) => variants.map((v) => ({ cli, v, name: label(v, cli) })));

// laurel in its fastest documented configuration (laurel(8), 0.5.1): JSON to its own log file,
// no translation, no enrichment of any kind, no labels, no filters. What the docs do not let one
// turn off: its process tracking (coalesce.rs looks every SYSCALL's pid and ppid up in its
// shadow process table and reads /proc/PID/stat for one it does not know, and rescans /proc
// when it prunes the table), which on a replayed log finds no such processes.
export const laurelConfig = (dir: string) =>
  [
    `directory = "${dir}"`,
    'user = "root"',
    'statusreport-period = 0',
    '[auditlog]',
    'file = "audit.log"',
    'size = 100000000000',
    'generations = 1',
    '[transform]',
    'execve-argv = [ "array" ]',
    '[translate]',
    'universal = false',
    'userdb = false',
    '[enrich]',
    'execve-env = []',
    'container = false',
    'pid = false',
    'script = false',
    'parent-info = false',
    '',
  ].join('\n');

interface RunResult {
  seconds: number;
  maxRssKiB: number;
  cpu: number;
}

function timed(cmd: string, args: string[], stdinPath: string | undefined, stdoutPath: string): RunResult {
  const tfile = join(out, 'time.txt');
  const shell = `/usr/bin/time -o ${tfile} -f '%e %M %U %S' ${[cmd, ...args].map((a) => `'${a}'`).join(' ')}${stdinPath ? ` < '${stdinPath}'` : ''} > '${stdoutPath}' 2>/dev/null`;
  const r = spawnSync('bash', ['-c', shell], { stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.toString().slice(-2000)}`);
  const [e, m, u, s] = readFileSync(tfile, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  return { seconds: e, maxRssKiB: m, cpu: u + s };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = (path: string) => Number(execFileSync('wc', ['-l', path]).toString().trim().split(/\s+/)[0]);

function bench(name: string, input: BenchInput, laurel: string | undefined): void {
  const dir = join(out, 'laurel');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(out, 'laurel.toml'), laurelConfig(dir));
  const res: Record<string, RunResult[]> = { laurel: [] };
  const written: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    if (laurel) {
      rmSync(join(dir, 'audit.log'), { force: true });
      res.laurel.push(timed(laurel, ['--config', join(out, 'laurel.toml')], input.path, '/dev/null'));
      written.laurel = lines(join(dir, 'audit.log'));
    }
    for (const { cli, v, name: tool } of tools) {
      (res[tool] ??= []).push(timed(process.execPath, [...shebangFlags(cli), cli, 'normalize', ...v, input.path], undefined, join(out, 'auditflow.jsonl')));
      written[tool] = lines(join(out, 'auditflow.jsonl'));
    }
  }
  console.log(
    `\n${name}: ${input.path} (${input.records} records, ${input.events} events, ${(statSync(input.path).size / 1e6).toFixed(0)} MB), ${runs} alternating runs, medians`,
  );
  console.log(
    `${'tool'.padEnd(28)} ${'events/s'.padStart(10)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(7)} ${'peak RSS'.padStart(9)} ${'written'.padStart(9)}  wall s of each run`,
  );
  for (const tool of Object.keys(res)) {
    const rs = res[tool];
    if (rs.length === 0) continue;
    const wall = median(rs.map((r) => r.seconds));
    console.log(
      `${tool.padEnd(28)} ${Math.round(input.events / wall)
        .toString()
        .padStart(10)} ${wall.toFixed(2).padStart(8)} ${median(rs.map((r) => r.cpu))
        .toFixed(2)
        .padStart(
          7,
        )} ${`${(median(rs.map((r) => r.maxRssKiB)) / 1024).toFixed(0)} MiB`.padStart(9)} ${written[tool].toString().padStart(9)}  ${rs.map((r) => r.seconds.toFixed(2)).join(' ')}`,
    );
  }
  if (laurel) {
    for (const { name: tool } of tools) {
      const af = res[tool];
      const ratios = res.laurel.map((l, i) => l.seconds / af[i].seconds);
      console.log(
        `${tool} / laurel events/s: ${(median(res.laurel.map((r) => r.seconds)) / median(af.map((r) => r.seconds))).toFixed(2)}x (per run: ${ratios.map((r) => r.toFixed(2)).join(' ')}); laurel CPU s / auditflow CPU s: ${(median(res.laurel.map((r) => r.cpu)) / median(af.map((r) => r.cpu))).toFixed(2)}x`,
      );
    }
  }
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  if (!existsSync(join(root, 'dist', 'src', 'cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const laurel = existsSync('/usr/sbin/laurel') ? '/usr/sbin/laurel' : undefined;
  if (!laurel) console.log('laurel not installed (apt-get install laurel): auditflow numbers only');
  console.log(`laurel config:\n${laurelConfig(join(out, 'laurel'))}auditflow: normalize [variant] FILE > out.jsonl (redaction on, the default)`);
  for (const [name, source] of Object.entries(sources)) {
    if (only && only !== name) continue;
    if (!existsSync(source)) {
      console.log(`\n${name}: ${source} absent, skipped`);
      continue;
    }
    bench(name, await replicate(source, targetRecords, out, name === 'server-pids'), laurel);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
