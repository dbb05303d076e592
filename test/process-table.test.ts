import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessTable } from '../src/context/process-table.js';
import { ProcSnapshots } from '../src/context/proc-snapshots.js';
import { defaultEnrichConfig, liveSnapshots } from '../src/context/index.js';
import { parseStat, readStat, readText } from '../src/context/proc.js';
import { buildFilterChain } from '../src/filters/index.js';
import { baseName } from '../src/filters/fields.js';
import type { NormalizedRecord } from '../src/record.js';
import { silentLogger } from '../src/log.js';
import { auditRecords } from './fixtures/filters/records.js';

function exec(pid: number, ppid: number | undefined, name: string): NormalizedRecord {
  return {
    '@timestamp': '2026-11-23T00:53:05.000Z',
    event: { module: 'auditd', kind: 'event', action: 'executed' },
    process: { pid, parent: ppid === undefined ? undefined : { pid: ppid }, name, executable: `/usr/bin/${name}` },
  };
}

describe('process table', () => {
  it('reads /proc/PID/stat, where comm may hold spaces and parentheses', () => {
    const line = '1234 (my (odd) prog) S 99 1230 1200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200';
    assert.deepEqual(parseStat(line), { pid: 1234, comm: 'my (odd) prog', ppid: 99, pgid: 1230, sid: 1200, startTicks: 987654, zombie: false });
    assert.equal(parseStat('1234 (sh) Z 99 1230 1200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0')?.zombie, true);
    assert.equal(parseStat('garbage'), undefined);
  });

  it('walks ancestors learnt from exec events, not counting pid 1 (as snoopy)', () => {
    const t = new ProcessTable({ proc: false });
    t.observe(exec(100, 1, 'cron'));
    t.observe(exec(200, 100, 'sh'));
    t.observe(exec(300, 200, 'backup'));
    const names = (...n: string[]) => new Set(n);
    assert.equal(t.hasAncestorNamed(exec(400, 300, 'tar'), names('cron')), true);
    assert.equal(t.hasAncestorNamed(exec(400, 300, 'tar'), names('sh')), true);
    assert.equal(t.hasAncestorNamed(exec(400, 300, 'tar'), names('tar')), false, 'the process itself is not its ancestor');
    assert.equal(t.hasAncestorNamed(exec(200, 100, 'sh'), names('backup')), false, 'descendants do not count');
    t.observe(exec(1, 0, 'systemd'));
    assert.equal(t.hasAncestorNamed(exec(400, 300, 'tar'), names('systemd')), false, 'init is never checked');
    // an exec replaces the image: pid 200 is no longer sh
    t.observe(exec(200, 100, 'python3'));
    assert.equal(t.hasAncestorNamed(exec(400, 300, 'tar'), names('sh')), false);
  });

  it('stays bounded, forgetting the least recently used first', () => {
    // parentless: a named parent would take a slot of its own
    const t = new ProcessTable({ proc: false, maxEntries: 3 });
    t.observe(exec(10, undefined, 'a'));
    t.observe(exec(11, undefined, 'b'));
    t.observe(exec(12, undefined, 'c'));
    assert.ok(t.lookup(10)); // 10 is now the most recently used
    t.observe(exec(13, undefined, 'd'));
    assert.equal(t.size, 3);
    assert.equal(t.lookup(11), undefined, '11 was the least recently used');
    assert.ok(t.lookup(10) && t.lookup(12) && t.lookup(13));
    assert.equal(t.stats().evicted, 1);
  });

  it('keeps evicting the least recently used through many turns of a full table', () => {
    const t = new ProcessTable({ proc: false, maxEntries: 64 });
    for (let pid = 1000; pid < 1064; pid++) t.observe(exec(pid, undefined, 'a'));
    // the table is full: each new process pushes out the oldest; 1000 is used again first, so
    // it moves to the young end and outlives everything inserted before it
    for (let pid = 1064; pid < 1100; pid++) t.observe(exec(pid, undefined, 'b'));
    assert.ok(t.lookup(1040), '1040 was among the youngest 64');
    for (let pid = 1100; pid < 1163; pid++) t.observe(exec(pid, undefined, 'c'));
    assert.equal(t.size, 64);
    assert.equal(t.stats().evicted, 1163 - 1000 - 64);
    assert.ok(t.lookup(1040), 'used again before the last 63 came: still here');
    for (let pid = 1000; pid < 1100; pid++) if (pid !== 1040) assert.equal(t.lookup(pid), undefined, `${pid} was older`);
    for (let pid = 1100; pid < 1163; pid++) assert.ok(t.lookup(pid), `${pid} is among the youngest`);
    // and a full turn more: the order holds after the map has compacted itself
    for (let pid = 2000; pid < 2640; pid++) t.observe(exec(pid, undefined, 'd'));
    assert.deepEqual(
      Array.from({ length: 64 }, (_, i) => t.peek(2576 + i)?.pid),
      Array.from({ length: 64 }, (_, i) => 2576 + i),
    );
    assert.equal(t.size, 64);
  });

  it('prunes entries idle for long whose process is gone', () => {
    let now = 0;
    const t = new ProcessTable({ proc: false, idleMs: 1000, now: () => now });
    t.observe(exec(10, 1, 'a'));
    now = 500;
    t.observe(exec(11, 1, 'b'));
    now = 1200;
    assert.equal(t.prune(), 1);
    assert.equal(t.lookup(10), undefined);
    assert.ok(t.lookup(11));
  });

  it('prunes by idle time across the clock moving its epoch (past 2^30 ms), in LRU order', () => {
    let now = 0;
    const t = new ProcessTable({ proc: false, idleMs: 1000, now: () => now });
    t.observe(exec(9, undefined, 'a'));
    now = 2 ** 30 - 100;
    t.observe(exec(10, undefined, 'b'));
    now = 2 ** 30 + 50; // the epoch moves here: 9 and 10 move with it
    t.observe(exec(11, undefined, 'c'));
    now = 2 ** 30 + 1000;
    // idle: 9 for 12 days, 10 for 1,100 ms, 11 for 950 ms
    assert.equal(t.prune(), 2);
    assert.deepEqual(
      [9, 10, 11].map((pid) => t.lookup(pid) !== undefined),
      [false, false, true],
    );
  });

  it('keeps one frozen argv for every process that runs the same command line', () => {
    const t = new ProcessTable({ proc: false });
    const run = (pid: number, args: string[]) => t.observe({ ...exec(pid, 1, 'true'), process: { ...exec(pid, 1, 'true').process, args } })!;
    const a = run(10, ['/usr/bin/true', '--version']);
    const b = run(11, ['/usr/bin/true', '--version']);
    const c = run(12, ['/usr/bin/true', '--help']);
    assert.equal(a.args, b.args, 'one shared text until a record asks for it');
    assert.equal(t.argsOf(a), t.argsOf(b), 'shared, not copied');
    assert.deepEqual(t.argsOf(c), ['/usr/bin/true', '--help']);
    assert.ok(Object.isFrozen(t.argsOf(a)), 'records that carry it as process.parent.args cannot change it for the others');
    // argv is NUL-free, so ['a b'] and ['a', 'b'] are told apart; no argument at all and one empty one too
    assert.notEqual(t.argsOf(run(13, ['/usr/bin/true a'])), t.argsOf(run(14, ['/usr/bin/true', 'a'])));
    assert.deepEqual([t.argsOf(run(15, [])), t.argsOf(run(16, ['']))], [[], ['']]);
  });

  it('redacts argv before keeping it, and keeps the redacted one shared', () => {
    const t = new ProcessTable({ proc: false, redactArgs: (a) => a.map((x) => (x.startsWith('--password=') ? '--password=<redacted>' : x)) });
    const run = (pid: number, pw: string) =>
      t.observe({ ...exec(pid, 1, 'mysql'), process: { ...exec(pid, 1, 'mysql').process, args: ['mysql', `--password=${pw}`] } })!;
    assert.deepEqual(t.argsOf(run(10, 'hunter2')), ['mysql', '--password=<redacted>']);
    assert.equal(t.argsOf(run(11, 'swordfish')), t.argsOf(t.peek(10)!));
  });

  it('reads a pid that is gone as gone, live pids as they are', () => {
    assert.equal(readStat('/proc', 4_194_305), undefined, 'above any pid_max');
    assert.equal(readStat('/proc', process.pid)!.ppid, process.ppid);
    assert.equal(readText('/proc', 4_194_305, 'cgroup'), undefined);
    assert.equal(readText('/proc', process.pid, 'cgroup'), readFileSync(`/proc/${process.pid}/cgroup`, 'utf8'));
  });

  it('reads a /proc file larger than its read buffer whole, and the next small one as it is', () => {
    const root = mkdtempSync(join(tmpdir(), 'af-proc-'));
    try {
      // a cgroup file of many hierarchies with long paths (v1, deep slices): 20,000 bytes, é included
      const big = Array.from({ length: 200 }, (_, i) => `${i}:name=h${i}:/${'é'.padEnd(90, 'x')}\n`).join('');
      mkdirSync(join(root, '7'));
      writeFileSync(join(root, '7', 'cgroup'), big);
      mkdirSync(join(root, '8'));
      writeFileSync(join(root, '8', 'sessionid'), '42');
      assert.equal(readText(root, 7, 'cgroup'), big);
      assert.equal(readText(root, 8, 'sessionid'), '42');
      assert.equal(readText(root, 7, 'cgroup'), big);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads /proc once for a pid seen free: its older records are of a process gone by then, even once the pid is taken again', () => {
    const root = mkdtempSync(join(tmpdir(), 'af-proc-'));
    try {
      const t = new ProcessTable({ procRoot: root, cgroups: false });
      const login = (ms: number): NormalizedRecord => ({
        '@timestamp': new Date(ms).toISOString(),
        event: { module: 'auditd', kind: 'event', action: 'logged-in' },
        process: { pid: 4242 },
      });
      const past = Date.now() - 60_000;
      assert.equal(t.observe(login(past)), undefined);
      assert.deepEqual([t.stats().procReads, t.stats().procGone, t.stats().procGoneKnown], [1, 1, 0]);
      // a new process takes pid 4242: it is not the one the log's records are of
      mkdirSync(join(root, '4242'));
      writeFileSync(join(root, '4242', 'stat'), '4242 (login) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200');
      assert.equal(t.observe(login(past + 1000)), undefined);
      assert.deepEqual([t.stats().procReads, t.stats().procGone, t.stats().procGoneKnown], [1, 2, 1]);
      // a record from after the pid was seen free is read as ever, and finds the new process
      const e = t.observe(login(Date.now() + 1000));
      assert.equal(e?.startTicks, 987654);
      assert.equal(e?.comm, 'login');
      assert.equal(t.stats().procReads, 3, '4242, then its parent (pid 1, absent from this /proc)');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('gives a process that took the pid of one gone when first met, under the same parent, an entity id of its own', () => {
    const root = mkdtempSync(join(tmpdir(), 'af-proc-'));
    try {
      mkdirSync(join(root, '500'));
      writeFileSync(join(root, '500', 'stat'), '500 (sh) S 1 500 500 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4000 1000 200');
      const t = new ProcessTable({ procRoot: root, cgroups: false });
      const run = (ms: number, module: NormalizedRecord['event']['module'] = 'auditd'): NormalizedRecord => ({
        '@timestamp': new Date(ms).toISOString(),
        event: { module, kind: 'event', action: 'executed', outcome: 'success' },
        process: { pid: 4243, parent: { pid: 500 }, name: 'true', executable: '/usr/bin/true', args: ['true'] },
      });
      const now = Date.now();
      const first = t.observe(run(now - 10_000))!;
      assert.equal(first.parent?.pid, 500);
      assert.equal(first.startTicks, undefined, 'gone before /proc was read');
      // the same process again (it exec'd once more before it ended): the same entry
      assert.equal(t.observe(run(now - 9_000)), first);
      // the pid came round again to another child of the same shell
      const second = t.observe(run(now + 5_000))!;
      assert.notEqual(second.entityId, first.entityId);
      assert.equal(second.parent, first.parent);
      assert.equal(t.stats().reused, 1);
      // a snoopy line's time may be when it was read, not when it ran: it never tells a new process
      assert.equal(t.observe(run(now + 9_000, 'snoopy')), second);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a snoopy line read after the kernel's records of its process's whole life is of that process, not a new one", () => {
    const t = new ProcessTable({ proc: false });
    const kernel = (syscall: string, ms: number): NormalizedRecord => ({
      '@timestamp': new Date(ms).toISOString(),
      event: { module: 'auditd', kind: 'event', action: syscall === 'execve' ? 'executed' : 'ended', outcome: 'success' },
      process: { pid: 4300, parent: { pid: 4299 }, name: 'sleep', executable: '/usr/bin/sleep', args: ['/bin/sleep', '0.3'] },
      audit: { syscall },
    });
    const snoopy = (filename: string): NormalizedRecord => ({
      '@timestamp': new Date().toISOString(),
      event: { module: 'snoopy', kind: 'event', action: 'executed', outcome: 'unknown' },
      process: { pid: 4300, parent: { pid: 4299 }, name: baseName(filename), executable: filename, args: [filename, '0.3'] },
    });
    const now = Date.now();
    const ran = t.observe(kernel('execve', now - 400))!;
    assert.equal(t.observe(kernel('exit_group', now - 100)), ran);
    assert.equal(t.stats().exited, 1);
    // snoopy names the path as given (/bin), the kernel the one resolved (/usr/bin)
    assert.equal(t.observe(snoopy('/bin/sleep')), ran);
    assert.equal(t.stats().entries, 1, 'its parent only: the gone process is not put back');
    // another program on that pid under that parent is another process
    assert.notEqual(t.observe(snoopy('/bin/true'))?.entityId, ran.entityId);
  });

  it('an exited process /proc still shows (a zombie, not reaped yet) keeps its entity id', () => {
    const root = mkdtempSync(join(tmpdir(), 'af-proc-'));
    const stat = (state: string) => `4400 (sleep) ${state} 1 4400 4400 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5000 1000 200`;
    try {
      mkdirSync(join(root, '4400'));
      writeFileSync(join(root, '4400', 'stat'), stat('S'));
      const t = new ProcessTable({ procRoot: root, cgroups: false });
      const rec = (module: 'auditd' | 'snoopy', syscall?: string): NormalizedRecord => ({
        '@timestamp': new Date().toISOString(),
        event: { module, kind: 'event', action: syscall === 'exit_group' ? 'ended' : 'executed', outcome: 'success' },
        process: { pid: 4400, parent: { pid: 1 }, name: 'sleep', executable: '/usr/bin/sleep', args: ['sleep', '1'] },
        audit: syscall === undefined ? undefined : { syscall },
      });
      const live = t.observe(rec('auditd', 'execve'))!;
      assert.equal(live.startTicks, 5000);
      t.observe(rec('auditd', 'exit_group'));
      writeFileSync(join(root, '4400', 'stat'), stat('Z'));
      // same pid, same start tick: a successor born within the tick would get another id; a zombie is the same process
      assert.equal(t.observe(rec('snoopy'))?.entityId, live.entityId);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("reads an exec's process from the netlink reader's snapshot of /proc, only for the event it was taken for", () => {
    const root = mkdtempSync(join(tmpdir(), 'af-proc-'));
    const stat = '4500 (sleep) S 4499 4499 4000 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 7000 1000 200';
    const cgroup = `0::/system.slice/docker-${'a'.repeat(64)}.scope\n`;
    // as the addon hands them over: [pid, serial, stat at, stat length, cgroup at, cgroup length]
    const raw = (pid: number, serial: number) => ({
      data: Buffer.from(stat + cgroup),
      meta: new Uint32Array([pid, serial, 0, Buffer.byteLength(stat), Buffer.byteLength(stat), Buffer.byteLength(cgroup)]),
    });
    const run = (pid: number, sequence: number): NormalizedRecord => ({
      '@timestamp': new Date().toISOString(),
      event: { module: 'auditd', kind: 'event', action: 'executed', outcome: 'success', sequence },
      process: { pid, parent: { pid: 4499 }, name: 'sleep', executable: '/usr/bin/sleep', args: ['sleep', '0.005'] },
    });
    try {
      const snapshots = new ProcSnapshots(true);
      // the process is gone from this /proc (an empty directory)
      const t = new ProcessTable({ procRoot: root, snapshots });
      snapshots.add(raw(4500, 77));
      const e = t.observe(run(4500, 77))!;
      assert.equal(e.startTicks, 7000);
      assert.equal(e.ses, undefined);
      assert.deepEqual(e.cgroup?.container, { id: 'a'.repeat(64), runtime: 'docker' });
      assert.equal(t.stats().procSnapshots, 1);
      assert.equal(snapshots.size, 0, 'taken once');
      // another event of that pid is not answered by an earlier event's snapshot
      snapshots.add(raw(4501, 80));
      assert.equal(t.observe(run(4501, 81))?.startTicks, undefined);
      assert.equal(t.stats().procSnapshots, 1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads at exec only when enrich.read_at_exec asks, and cgroups only with enrich.container', () => {
    assert.equal(liveSnapshots(defaultEnrichConfig()), undefined);
    assert.equal(liveSnapshots({ ...defaultEnrichConfig(), read_at_exec: true })?.cgroups, true);
    assert.equal(liveSnapshots({ ...defaultEnrichConfig(), read_at_exec: true, container: false })?.cgroups, false);
    assert.equal(liveSnapshots({ ...defaultEnrichConfig(), read_at_exec: true, container: false, process: false }), undefined);
  });

  it('keeps at most max snapshots nobody asked for, dropping the oldest', () => {
    const s = new ProcSnapshots(false, 2);
    const one = (pid: number) => ({ data: Buffer.from('x'), meta: new Uint32Array([pid, pid, 0, 1, 1, 0]) });
    for (const pid of [1, 2, 3]) s.add(one(pid));
    assert.equal(s.size, 2);
    assert.equal(s.take(1, 1), undefined);
    assert.deepEqual(s.take(3, 3), { serial: 3, stat: 'x', cgroup: undefined });
  });

  it('learns every exec of the real sample with its parent', () => {
    const t = new ProcessTable({ proc: false });
    const recs = auditRecords();
    for (const r of recs) t.observe(r);
    const execs = recs.filter((r) => r.event.action === 'executed' && r.event.outcome !== 'failure' && r.process?.pid !== undefined);
    assert.ok(execs.length > 20);
    const last = execs.at(-1)!;
    assert.equal(t.lookup(last.process!.pid!)!.ppid, last.process!.parent!.pid);
  });

  describe('with processes that started before auditflow', () => {
    let dir = '';
    let crond: ChildProcess | undefined;
    before(function () {
      if (process.platform !== 'linux') this.skip();
      dir = mkdtempSync(join(tmpdir(), 'af-ptable-'));
      copyFileSync('/bin/sh', join(dir, 'crond'));
      chmodSync(join(dir, 'crond'), 0o755);
    });
    after(() => {
      crond?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('fills the table from /proc, so their children are recognised without ever seeing their exec', async () => {
      // a "cron daemon" running a job: crond → sleep (the `; true` keeps sh from exec'ing sleep)
      crond = spawn(join(dir, 'crond'), ['-c', 'sleep 30; true'], { stdio: 'ignore' });
      const crondPid = crond.pid!;
      let jobPid: number | undefined;
      for (let i = 0; i < 100 && jobPid === undefined; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const kids = readFileSync(`/proc/${crondPid}/task/${crondPid}/children`, 'utf8').trim();
        if (kids !== '') jobPid = Number(kids.split(' ')[0]);
      }
      assert.ok(jobPid, 'the job started');
      const filters = buildFilterChain([{ filter_chain: 'exclude_spawns_of:crond' }], { stateDir: '/tmp', hostName: 't', log: silentLogger });
      const apply = (r: NormalizedRecord) => filters.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), r);
      // the job's child execs: its ancestry (job → crond) comes from /proc
      assert.equal(apply(exec(jobPid! + 100_000, jobPid, 'date')), null, 'grandchild of crond dropped');
      // a sibling: started by this test process, not by crond
      assert.notEqual(apply(exec(process.pid + 100_000, process.pid, 'date')), null, 'sibling kept');
    });
  });
});

describe('exclude_spawns_of on audit.log records', () => {
  it('drops what `timeout` started in the sample (python3), keeping timeout itself and its siblings', () => {
    const filters = buildFilterChain([{ filter_chain: 'exclude_spawns_of:timeout' }, { type: 'redact', enabled: false }], {
      stateDir: '/tmp',
      hostName: 't',
      log: silentLogger,
      procTable: false,
    });
    const recs = auditRecords();
    const kept = recs.filter((r) => filters.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), r) !== null);
    const keptPids = new Set(kept.map((r) => r.process?.pid));
    const python = recs.filter((r) => r.process?.name === 'python3' && r.process.parent?.pid === 13574);
    assert.ok(python.length > 0, 'the sample has timeout → python3');
    assert.ok(!keptPids.has(13576), 'python3 under timeout dropped');
    assert.ok(keptPids.has(13574), 'timeout itself kept');
    assert.ok(keptPids.has(13575), 'its sibling sleep kept');
    assert.equal(kept.length, recs.length - recs.filter((r) => r.process?.pid === 13576).length);
  });
});

describe("exclude_spawns_of on laurel's process-tree trace (peer corpus)", () => {
  // read in place from ../shared/peer-corpus (GPL data, never copied here); absent on other machines
  const trace = new URL('../../shared/peer-corpus/laurel/testdata/proc-trace-dpkg-l.txt', import.meta.url);
  if (!existsSync(trace)) {
    it('is skipped: ../shared/peer-corpus is not here', function () {
      this.skip();
    });
    return;
  }
  let recs: NormalizedRecord[] = [];
  before(() => {
    // `dpkg -l` typed into an ssh session: sshd → bash → (locale-check, lesspipe → basename,
    // lesspipe → dirname, dircolors) and bash → dpkg (exec'd into dpkg-query) → sh → pager
    recs = auditRecords(
      readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .join('\n'),
    );
  });

  function keptPids(chain: string): Set<number | undefined> {
    const filters = buildFilterChain([{ filter_chain: chain }, { type: 'redact', enabled: false }], {
      stateDir: '/tmp',
      hostName: 't',
      log: silentLogger,
      procTable: false,
    });
    return new Set(recs.filter((r) => filters.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), r) !== null).map((r) => r.process?.pid));
  }

  it('sshd: the whole session goes, sshd itself stays', () => {
    assert.deepEqual([...keptPids('exclude_spawns_of:sshd')], [1140452]);
  });

  it('dpkg-query: its shell and pager go, bash and the rest stay', () => {
    const kept = keptPids('exclude_spawns_of:dpkg-query');
    for (const gone of [1140463, 1140464]) assert.ok(!kept.has(gone), `${gone} kept`);
    for (const stays of [1140452, 1140453, 1140454, 1140457, 1140458, 1140462]) assert.ok(kept.has(stays), `${stays} dropped`);
  });

  it("dpkg: nothing goes, the process exec'd itself into dpkg-query before starting anything", () => {
    assert.equal(keptPids('exclude_spawns_of:dpkg').size, new Set(recs.map((r) => r.process?.pid)).size);
  });

  it('lesspipe: basename and dirname go, through a forked lesspipe subshell learnt from its clone record', () => {
    const kept = keptPids('exclude_spawns_of:lesspipe');
    for (const gone of [1140458, 1140459, 1140460]) assert.ok(!kept.has(gone), `${gone} kept`);
    assert.ok(kept.has(1140457) && kept.has(1140461));
  });
});
