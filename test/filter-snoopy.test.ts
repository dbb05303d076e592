// Our filter_chain against real snoopy 2.5 (Debian's package, loaded with LD_PRELOAD): the same
// workload runs once per chain under snoopy, and the commands snoopy logged must be exactly the
// ones our filters keep from the records of an unfiltered run. snoopy 2.5.1 ignores SNOOPY_INI
// (it opens /etc/snoopy.ini only, checked with strace), so each run gets its own snoopy.ini
// bind-mounted over /etc/snoopy.ini inside a private mount namespace (unshare -m): the host's
// file is never touched, and other tests using snoopy at the same time are not disturbed.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFilterChain } from '../src/filters/index.js';
import type { NormalizedRecord } from '../src/record.js';
import { silentLogger } from '../src/log.js';
import { createSnoopyParser } from '../src/inputs/snoopy/parse.js';
import { ttyDevice } from '../src/tty.js';
import { SNOOPY_LIB } from './support/snoopy.js';

// The process table reads /proc for what the records do not say: here the test runner and its
// ancestors (alive, so what /proc says is true), exactly what snoopy's walk reaches past the
// workload. Every workload process is itself in the records.
const ctx = { stateDir: '/tmp', hostName: 'test', log: silentLogger };

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (setpriv, mount namespaces)';
  if (!existsSync(SNOOPY_LIB)) return `snoopy not installed (${SNOOPY_LIB})`;
  for (const tool of ['unshare', 'mount', 'setpriv', 'script']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not found`;
  }
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']);
  if (probe.status !== 0) return `cannot create a mount namespace: ${probe.stderr.toString().trim()}`;
  return undefined;
}

/** One exec as snoopy saw it: AF|pid|ppid|uid|euid|tty|filename|cmdline */
interface Exec {
  pid: number;
  ppid: number;
  uid: string;
  euid: string;
  tty: string;
  filename: string;
  cmdline: string;
}

function parseLog(text: string): Exec[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('AF|'))
    .map((l) => {
      const f = l.split('|');
      return { pid: Number(f[1]), ppid: Number(f[2]), uid: f[3], euid: f[4], tty: f[5], filename: f[6], cmdline: f.slice(7).join('|') };
    });
}

/** The record an input would make of that exec (the fields the filters read). */
function toRecord(e: Exec): NormalizedRecord {
  const slash = e.filename.lastIndexOf('/');
  return {
    '@timestamp': new Date().toISOString(),
    event: { module: 'snoopy', kind: 'event', action: 'executed', category: ['process'], type: ['start'] },
    process: {
      pid: e.pid,
      parent: { pid: e.ppid },
      name: e.filename.slice(slash + 1, slash + 1 + 15),
      executable: e.filename,
      command_line: e.cmdline,
      tty: ttyDevice(e.tty),
    },
    user: { id: e.uid, effective: { id: e.euid } },
  };
}

describe('filter_chain decisions against real snoopy 2.5', function () {
  this.timeout(60_000);
  let dir = '';
  let baseline: Exec[] = [];

  const AF_FORMAT = 'message_format = "AF|%{pid}|%{ppid}|%{uid}|%{euid}|%{tty}|%{filename}|%{cmdline}"\n';
  function runSnoopy(chain: string, shell = '/bin/bash'): Exec[] {
    return parseLog(runSnoopyRaw(chain, AF_FORMAT, shell));
  }

  /**
   * The log text of one run; `format` is extra ini lines (none: Debian's default message format).
   * `shell` is $SHELL, which `script -c` runs the command with: through execl, which snoopy's
   * preload does not see. bash execs the command in place, so the unlogged shell leaves no process
   * behind; dash (/bin/sh, also what script runs when SHELL is unset) forks it, and that parent
   * is in no record.
   */
  function runSnoopyRaw(chain: string, format: string, shell = '/bin/bash'): string {
    const log = join(dir, 'snoopy.log');
    writeFileSync(log, '');
    chmodSync(log, 0o666); // commands run as nobody log too
    const ini = join(dir, 'snoopy.ini');
    writeFileSync(ini, `[snoopy]\noutput = file:${log}\nfilter_chain = "${chain}"\n${format}`);
    // one process all the way (unshare → sh → env → sh -c → sh work.sh, each exec'ing the next),
    // so the workload shell's parent is this test process and its own exec is logged by the
    // preloaded `sh -c`: the records know every ancestor snoopy's /proc walk will see
    execFileSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '/bin/sh',
        '-c',
        `mount --bind "${ini}" /etc/snoopy.ini && exec env SHELL=${shell} LD_PRELOAD=${SNOOPY_LIB} /bin/sh -c 'exec /bin/sh "${join(dir, 'work.sh')}"'`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
    return readFileSync(log, 'utf8');
  }

  before(function () {
    const why = unavailable();
    if (why !== undefined) {
      if (process.env.CI === 'true') throw new Error(`real snoopy test cannot run in CI: ${why}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'af-snoopy-'));
    chmodSync(dir, 0o755);
    // a "cron daemon": any program will do, snoopy and we only look at its name
    copyFileSync('/bin/sh', join(dir, 'crond'));
    chmodSync(join(dir, 'crond'), 0o755);
    const crond = join(dir, 'crond');
    const nobody = 'setpriv --reuid=65534 --regid=65534 --clear-groups';
    writeFileSync(
      join(dir, 'work.sh'),
      [
        '/bin/true M1',
        `${nobody} /bin/true M2`,
        `${nobody} sh -c "/bin/true M2b; /bin/true M2c"`,
        'setpriv --euid=65534 /bin/true M3',
        'script -qec "/bin/true M4" /dev/null </dev/null >/dev/null',
        `${crond} -c "/bin/true M5; /bin/true M6"`,
        `${crond} -c "sh -c '/bin/true M7; /bin/true M7b'; /bin/true M7c"`,
        `${crond} -c "${nobody} /bin/true M7d"`,
        'sh -c "/bin/true M8; /bin/true M8b"',
        '',
      ].join('\n'),
    );
    baseline = runSnoopy('');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the workload covers the cases (uids, a tty, spawns of crond)', () => {
    const cmds = baseline.map((e) => e.cmdline);
    assert.ok(cmds.includes('/bin/true M5') && cmds.includes('/bin/true M8'), cmds.join('\n'));
    assert.ok(
      baseline.some((e) => e.ppid === process.pid && e.filename === '/bin/sh'),
      'the workload shell is in the log, child of this process',
    );
    assert.ok(
      baseline.some((e) => e.uid === '65534'),
      'something ran as nobody',
    );
    assert.ok(
      baseline.some((e) => e.tty.startsWith('/dev/pts/')),
      'something ran on a tty',
    );
  });

  it('exclude_spawns_of:crond drops everything crond started, however deep, and keeps its siblings', () => {
    const filters = buildFilterChain([{ filter_chain: 'exclude_spawns_of:crond' }, { type: 'redact', enabled: false }], ctx);
    const kept = new Set<string>();
    for (const e of baseline) {
      let r: NormalizedRecord | null = toRecord(e);
      for (const f of filters) if (r) r = f.apply(r);
      if (r) kept.add(e.cmdline);
    }
    for (const spawned of [
      '/bin/true M5',
      '/bin/true M6',
      'sh -c /bin/true M7; /bin/true M7b',
      '/bin/true M7',
      '/bin/true M7b',
      '/bin/true M7c',
      '/bin/true M7d',
    ]) {
      assert.ok(!kept.has(spawned), `${spawned} (started by crond) kept`);
    }
    for (const sibling of ['/bin/true M1', '/bin/true M2b', '/bin/true M4', 'sh -c /bin/true M8; /bin/true M8b', '/bin/true M8', '/bin/true M8b']) {
      assert.ok(kept.has(sibling), `${sibling} (not under crond) dropped`);
    }
    assert.ok(
      [...kept].some((c) => c.includes('crond -c /bin/true M5')),
      'crond itself was started by the workload shell, not by crond',
    );
  });

  it("gives the same decisions on records made by our snoopy parser from snoopy's default format", () => {
    const parse = (text: string): NormalizedRecord[] => {
      const p = createSnoopyParser();
      // whole lines only, as the tailer hands them over (no empty remainder after the last \n)
      const out = text
        .replace(/\n$/, '')
        .split('\n')
        .flatMap((l, i) => p.line(l, `snoopy.log:${i + 1}`));
      return [...out, ...p.end()];
    };
    const all = parse(runSnoopyRaw('', ''));
    assert.ok(all.length >= 10, `${all.length} records`);
    for (const chain of ['exclude_uid:0', 'only_uid:65534', 'only_tty', 'only_root;only_tty']) {
      const logged = parse(runSnoopyRaw(chain, ''))
        .map((r) => r.process!.command_line)
        .sort();
      const filters = buildFilterChain([{ filter_chain: chain }, { type: 'redact', enabled: false }], ctx);
      const kept = all
        .filter((r) => filters.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), r) !== null)
        .map((r) => r.process!.command_line)
        .sort();
      assert.deepEqual(kept, logged, chain);
      assert.notEqual(kept.length, all.length, `${chain} drops something`);
    }
  });

  it('keeps a spawn whose parent is in no record and gone (snoopy, reading /proc live, drops it)', () => {
    const run = runSnoopy('', '/bin/sh');
    const m4 = run.find((e) => e.cmdline === '/bin/true M4')!;
    assert.ok(!run.some((e) => e.pid === m4.ppid), 'the shell script ran M4 with is in no record');
    assert.ok(
      runSnoopy('exclude_spawns_of:script', '/bin/sh').every((e) => e.cmdline !== '/bin/true M4'),
      'snoopy drops M4',
    );
    const filters = buildFilterChain([{ filter_chain: 'exclude_spawns_of:script' }, { type: 'redact', enabled: false }], ctx);
    // unknown ancestry fails open: an exclude filter never drops what it cannot show is excluded
    const kept = run.filter((e) => filters.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), toRecord(e)) !== null);
    assert.ok(kept.includes(m4), 'we keep M4');
  });

  const chains = [
    'exclude_uid:0',
    'exclude_uid:65534,1',
    'only_uid:65534',
    'only_uid:0,,65534',
    'only_uid:',
    'exclude_uid:',
    'only_root',
    'only_tty',
    'exclude_spawns_of:crond',
    'exclude_spawns_of:script,crond',
    'exclude_spawns_of:sh',
    'only_root;exclude_spawns_of:crond',
    'exclude_uid:65534;only_tty',
    ';;exclude_uid:65534;;',
  ];
  for (const chain of chains) {
    it(`keeps what snoopy logs with filter_chain = ${chain}`, () => {
      const logged = runSnoopy(chain)
        .map((e) => e.cmdline)
        .sort();
      const filters = buildFilterChain(
        [
          { type: 'filter_chain', filter_chain: chain },
          { type: 'redact', enabled: false },
        ],
        ctx,
      );
      const kept: string[] = [];
      for (const e of baseline) {
        let r: NormalizedRecord | null = toRecord(e);
        for (const f of filters) if (r) r = f.apply(r);
        if (r) kept.push(e.cmdline);
      }
      assert.deepEqual(kept.sort(), logged);
      // a chain that changes nothing would make this comparison empty of meaning
      if (!['exclude_uid:', 'only_uid:0,,65534'].includes(chain))
        assert.notEqual(kept.length, baseline.length, `${chain} should drop something from this workload`);
    });
  }
});
