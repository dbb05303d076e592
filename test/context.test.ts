import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parseCgroup } from '../src/context/cgroup.js';
import { entityId } from '../src/context/entity.js';
import { PodsDirectory, parsePodDir } from '../src/context/pods.js';
import { ProcessTable } from '../src/context/process-table.js';
import { createContext, defaultEnrichConfig } from '../src/context/index.js';
import { normalizeCommand } from '../src/commands/normalize.js';
import { buildFilterChain } from '../src/filters/index.js';
import { silentLogger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import { auditRecords } from './fixtures/filters/records.js';

const ID = '3f1c9e0b5a7d4e2f8a6b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f';
const UID = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

describe('cgroup layouts', () => {
  const cases: [string, string, ReturnType<typeof parseCgroup>][] = [
    ['docker, cgroup v1', `12:pids:/docker/${ID}\n1:name=systemd:/docker/${ID}\n0::/\n`, { containerId: ID, containerRuntime: 'docker' }],
    ['docker, systemd driver, v2', `0::/system.slice/docker-${ID}.scope\n`, { containerId: ID, containerRuntime: 'docker' }],
    [
      'containerd in kubepods, systemd driver',
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope\n`,
      { containerId: ID, containerRuntime: 'containerd', podUid: UID },
    ],
    ['a bare id in kubepods (cgroupfs): the runtime is not in the name', `4:cpu:/kubepods/besteffort/pod${UID}/${ID}\n`, { containerId: ID, podUid: UID }],
    ['CRI-O, cgroupfs', `0::/kubepods/burstable/pod${UID}/crio-${ID}\n`, { containerId: ID, containerRuntime: 'cri-o', podUid: UID }],
    [
      "CRI-O's conmon is beside the container, not in it: its own scope unit",
      `0::/kubepods.slice/kubepods-pod${UID.replaceAll('-', '_')}.slice/crio-conmon-${ID}.scope\n`,
      { podUid: UID, systemdUnit: `crio-conmon-${ID}.scope` },
    ],
    ['podman, rootful', `0::/machine.slice/libpod-${ID}.scope/container\n`, { containerId: ID, containerRuntime: 'podman' }],
    ['podman, rootless', `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope\n`, { containerId: ID, containerRuntime: 'podman' }],
    ['a systemd service', '1:name=systemd:/system.slice/cron.service\n0::/system.slice/cron.service\n', { systemdUnit: 'cron.service' }],
    ['a login session', '0::/user.slice/user-0.slice/session-3.scope\n', { systemdUnit: 'session-3.scope' }],
    ['a short hex id is not a container', '4:memory:/process_api/ec9e18f422858ed036ee69f4c565bc0f\n0::/\n', {}],
  ];
  for (const [name, text, want] of cases) it(name, () => assert.deepEqual(parseCgroup(text), want));
});

describe('entity ids', () => {
  // the definition: the first 12 bytes of sha256("host:pid:start"), base64url
  const sha = (text: string) => createHash('sha256').update(text).digest().toString('base64url', 0, 12);
  const machineId = 'b6f2a3c94d1e4f0a8c7d6e5f4a3b2c1d';
  it('is sha256 of host, pid and start tick (live), or @ and the ms first seen (events), with .gen after a reuse in one tick', () => {
    assert.equal(entityId(machineId, 14049, 1234567), sha(`${machineId}:14049:1234567`));
    assert.equal(entityId(machineId, 1, 0), sha(`${machineId}:1:0`));
    assert.equal(entityId('', 4194304, 1795395191672, true), sha(':4194304:@1795395191672'));
    assert.equal(entityId(machineId, 300, 99, false, 2), sha(`${machineId}:300:99.2`));
    assert.equal(entityId('', 300, 1795395191672, true, 1), sha(':300:@1795395191672.1'));
  });
  it('is the same digest for hosts of every length across the block boundaries, non-ASCII hosts and odd numbers', () => {
    for (let n = 0; n < 260; n++) {
      const host = 'h'.repeat(n);
      assert.equal(entityId(host, 77, 123456789), sha(`${host}:77:123456789`), `host of ${n} characters`);
    }
    assert.equal(entityId('hôte-é', 5, 10), sha('hôte-é:5:10'));
    assert.equal(entityId('h', 5, Number.NaN, true), sha('h:5:@NaN'));
    assert.equal(entityId('h', 5, 2 ** 60), sha(`h:5:${2 ** 60}`));
  });
});

describe('kubelet pod log directories', () => {
  it('splits <namespace>_<pod>_<uid> and refuses anything else', () => {
    assert.deepEqual(parsePodDir(`kube-system_coredns-5d78c9869d-abcde_${UID}`), [UID, { namespace: 'kube-system', name: 'coredns-5d78c9869d-abcde' }]);
    assert.equal(parsePodDir('README'), undefined);
    assert.equal(parsePodDir('a_b_c_d'), undefined);
  });

  it('finds a pod that started after the last scan, rescanning at most every rescanMs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-pods-'));
    try {
      let now = 0;
      const pods = new PodsDirectory(dir, 5000, () => now);
      assert.equal(pods.lookup(UID), undefined);
      mkdirSync(join(dir, `web_api-0_${UID}`));
      now = 1000;
      assert.equal(pods.lookup(UID), undefined, 'no rescan within 5 s');
      now = 6000;
      assert.deepEqual(pods.lookup(UID), { namespace: 'web', name: 'api-0' });
      assert.equal(pods.scans, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the process table from events alone', () => {
  const rec = (pid: number, ppid: number, exe: string, extra: Record<string, unknown> = {}, ms = 0): any => ({
    '@timestamp': new Date(Date.UTC(2026, 0, 1) + ms).toISOString(),
    event: { module: 'auditd', action: 'executed', outcome: 'success' },
    process: { pid, parent: { pid: ppid }, name: exe.split('/').pop(), executable: exe, args: [exe] },
    audit: { node: 'elsewhere', session: '7' },
    ...extra,
  });

  it("gives children their parent's argv as one shared frozen array, the exec's own after it execs again", () => {
    const ctx = createContext(defaultEnrichConfig(), { live: false });
    ctx.apply(rec(100, 1, '/bin/sh', { process: { pid: 100, parent: { pid: 1 }, name: 'sh', executable: '/bin/sh', args: ['sh', '-c', 'make all'] } }));
    const a = rec(200, 100, '/bin/ls', {}, 10);
    const b = rec(201, 100, '/bin/cat', {}, 20);
    ctx.apply(a);
    ctx.apply(b);
    assert.deepEqual(a.process.parent.args, ['sh', '-c', 'make all']);
    assert.equal(a.process.parent.args, b.process.parent.args, 'shared');
    assert.ok(Object.isFrozen(a.process.parent.args));
    ctx.apply(
      rec(100, 1, '/usr/bin/make', { process: { pid: 100, parent: { pid: 1 }, name: 'make', executable: '/usr/bin/make', args: ['make', 'all'] } }, 30),
    );
    const c = rec(202, 100, '/bin/cc', {}, 40);
    ctx.apply(c);
    assert.deepEqual([c.process.parent.executable, c.process.parent.args], ['/usr/bin/make', ['make', 'all']]);
    assert.deepEqual(a.process.parent.args, ['sh', '-c', 'make all'], 'earlier records keep what was true then');
  });

  it('links children to parents by identity; a clone makes a new process; exit_group frees the pid', () => {
    const ctx = createContext(defaultEnrichConfig(), { live: false });
    const sh = rec(100, 1, '/bin/sh');
    const child = rec(200, 100, '/bin/ls', {}, 10);
    ctx.apply(sh);
    ctx.apply(child);
    assert.equal(child.process.parent.entity_id, sh.process.entity_id);
    assert.equal(child.process.parent.executable, '/bin/sh');
    assert.deepEqual(child.process.Ext.ancestry[0], sh.process.entity_id);
    assert.equal(child.process.entry_leader.pid, 100, 'started by pid 1: the entry leader');
    assert.equal(child.process.start, undefined, 'its start is not known from an exec');
    const exit = {
      ...rec(200, 100, '/bin/ls', {}, 20),
      event: { module: 'auditd', action: 'exited' },
      audit: { node: 'elsewhere', session: '7', syscall: 'exit_group' },
    };
    ctx.apply(exit);
    const again = rec(200, 100, '/bin/cat', {}, 30);
    ctx.apply(again);
    assert.notEqual(again.process.entity_id, child.process.entity_id, 'pid 200 reused after exit_group');
    const clone = {
      ...rec(100, 1, '/bin/sh', {}, 40),
      event: { module: 'auditd', action: 'cloned' },
      audit: { node: 'elsewhere', session: '7', syscall: 'clone', exit: 300 },
    };
    ctx.apply(clone);
    const forked = { ...rec(300, 100, '/bin/sh', {}, 50), event: { module: 'auditd', action: 'connected-to' } };
    ctx.apply(forked);
    assert.equal(forked.process.start, clone['@timestamp'], 'born at the clone');
    assert.equal(forked.process.parent.entity_id, sh.process.entity_id);
    for (const r of [sh, child, again, forked]) {
      assert.equal(r.container, undefined);
      assert.equal(r.process.hash, undefined);
      assert.equal(r.process.session_leader, undefined, 'sid is only in /proc');
    }
  });

  it("siblings' records share their leader's object and their ancestry; an exec or a reparenting shows in later records only", () => {
    const ctx = createContext(defaultEnrichConfig(), { live: false });
    const init = rec(50, 1, '/sbin/init-ish');
    const reaper = rec(60, 1, '/sbin/reaper', {}, 1);
    const sh = rec(100, 50, '/bin/sh', { audit: { node: 'elsewhere', session: '8' } }, 2);
    const a = rec(201, 100, '/bin/ls', { audit: { node: 'elsewhere', session: '8' } }, 10);
    const b = rec(202, 100, '/bin/cat', { audit: { node: 'elsewhere', session: '8' } }, 20);
    for (const r of [init, reaper, sh, a, b]) ctx.apply(r);
    const [idInit, idSh] = [init.process.entity_id, sh.process.entity_id];
    assert.equal(a.process.entry_leader, b.process.entry_leader, 'one object for their leader');
    assert.deepEqual(b.process.entry_leader, { pid: 100, entity_id: idSh, executable: '/bin/sh', name: 'sh' }, 'sh began session 8');
    assert.equal(a.process.Ext.ancestry, b.process.Ext.ancestry, 'one array for siblings');
    assert.deepEqual(b.process.Ext.ancestry, [idSh, idInit, init.process.parent.entity_id]);
    // sh execs bash, then its parent dies and it is reparented to the reaper
    ctx.apply(rec(100, 50, '/bin/bash', { audit: { node: 'elsewhere', session: '8' } }, 30));
    ctx.apply({ ...rec(100, 60, '/bin/bash', { audit: { node: 'elsewhere', session: '8' } }, 40), event: { module: 'auditd', action: 'connected-to' } });
    const c = rec(203, 100, '/bin/id', { audit: { node: 'elsewhere', session: '8' } }, 50);
    ctx.apply(c);
    assert.deepEqual(c.process.entry_leader, { pid: 100, entity_id: idSh, executable: '/bin/bash', name: 'bash' });
    assert.deepEqual(c.process.Ext.ancestry, [idSh, reaper.process.entity_id, init.process.parent.entity_id]);
    assert.equal(a.process.entry_leader.executable, '/bin/sh', 'records made before keep what was true then');
    assert.deepEqual(a.process.Ext.ancestry, [idSh, idInit, init.process.parent.entity_id]);
  });

  it('an exec under another parent is another process; the same exec from another source is the same one', () => {
    const t = new ProcessTable({ proc: false });
    const a = t.observe(rec(500, 10, '/bin/a'))!;
    const snoopy = { ...rec(500, 10, '/bin/a'), event: { module: 'snoopy', action: 'executed' } };
    assert.equal(t.observe(snoopy), a);
    const b = t.observe(rec(500, 11, '/bin/b'))!;
    assert.notEqual(b.entityId, a.entityId);
    assert.equal(t.stats().reused, 1);
  });

  it("the real sample: siblings share their parent's entity id, which is the parent's own where it has records", () => {
    const ctx = createContext(defaultEnrichConfig(), { live: false });
    const recs = auditRecords();
    for (const r of recs) ctx.apply(r);
    const execs = recs.filter((r) => r.event.action === 'executed' && r.event.outcome === 'success');
    const byPpid = new Map<number, Set<string>>();
    for (const r of execs) {
      const ids = byPpid.get(r.process!.parent!.pid!) ?? new Set();
      ids.add(r.process!.parent!.entity_id!);
      byPpid.set(r.process!.parent!.pid!, ids);
    }
    assert.ok(execs.length > 20);
    for (const [ppid, ids] of byPpid) {
      assert.equal(ids.size, 1, `children of ${ppid}`);
      const own = recs.filter((r) => r.process?.pid === ppid && r.process.entity_id !== undefined);
      for (const r of own) assert.equal(r.process!.entity_id, [...ids][0], `records of ${ppid} itself`);
    }
  });
});

describe('the live context stage', () => {
  /** A process in a /proc of the test's own: stat (state S, or Z for a zombie), cgroup, no session. */
  const writeProc = (root: string, pid: number, comm: string, ppid: number, cgroup: string, state = 'S') => {
    mkdirSync(join(root, String(pid)));
    writeFileSync(
      join(root, String(pid), 'stat'),
      `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 1 0 0 0 1 1 0 0 20 0 1 0 ${1000 + pid} 1000 200`,
    );
    writeFileSync(join(root, String(pid), 'cgroup'), cgroup);
    writeFileSync(join(root, String(pid), 'sessionid'), '4294967295');
  };

  it('gives records of one cgroup the same container and systemd objects, and records of one executable the same hash', async () => {
    const root = mkdtempSync(join(tmpdir(), 'af-live-ctx-'));
    try {
      writeFileSync(join(root, 'stat'), 'cpu  1 2 3\nbtime 1700000000\n');
      writeProc(root, 700, 'dockerd-child', 1, `0::/system.slice/docker-${ID}.scope\n`);
      writeProc(root, 701, 'worker', 700, `0::/system.slice/docker-${ID}.scope\n`);
      writeProc(root, 702, 'worker', 700, `0::/system.slice/docker-${ID}.scope\n`);
      writeProc(root, 703, 'cron', 1, '0::/system.slice/cron.service\n');
      const exe = join(root, 'worker-bin');
      writeFileSync(exe, 'not really a program\n');
      const ctx = createContext(defaultEnrichConfig(), { live: true, hostId: 'host', procRoot: root });
      const rec = (pid: number, extra: Partial<NormalizedRecord> = {}): NormalizedRecord => ({
        '@timestamp': new Date().toISOString(),
        event: { module: 'auditd', action: 'connected-to' },
        process: { pid, executable: exe },
        ...extra,
      });
      ctx.apply(rec(701));
      for (let i = 0; i < 100 && (ctx.stats().hash_queued ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      const [a, b, cron] = [rec(701), rec(702), rec(703)];
      for (const r of [a, b, cron]) ctx.apply(r);
      assert.deepEqual(a.container, { id: ID, runtime: 'docker' });
      assert.equal(a.container, b.container, 'one object for the container');
      assert.ok(Object.isFrozen(a.container));
      assert.equal(a.systemd, undefined, "a container's scope is not a unit");
      assert.deepEqual(cron.systemd, { unit: 'cron.service' });
      assert.equal(rec(703).systemd, undefined);
      const again = rec(703);
      ctx.apply(again);
      assert.equal(again.systemd, cron.systemd, 'one object for the unit');
      const sha = createHash('sha256').update('not really a program\n').digest('hex');
      assert.deepEqual(a.process?.hash, { sha256: sha });
      assert.equal(a.process?.hash, b.process?.hash, 'one object for the hash');
      assert.equal(
        JSON.stringify(a).slice(JSON.stringify(a).indexOf('"container"')),
        `"container":{"id":"${ID}","runtime":"docker"}}`,
        'the same JSON as a record of its own',
      );
      // a record that already has a container object (a decoration) keeps it, with the names written in
      const own = { runtime: 'from-config' };
      const decorated = rec(702, { container: own });
      ctx.apply(decorated);
      assert.equal(decorated.container, own);
      assert.deepEqual(own, { runtime: 'docker', id: ID });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("an exec record of a process that already exited (a zombie: /proc shows it in the root cgroups) gets its parent's container", () => {
    const root = mkdtempSync(join(tmpdir(), 'af-live-ctx-'));
    try {
      writeFileSync(join(root, 'stat'), 'cpu  1 2 3\nbtime 1700000000\n');
      writeProc(root, 710, 'sh', 1, `0::/system.slice/docker-${ID}.scope\n`);
      writeProc(root, 711, 'true', 710, '0::/\n', 'Z');
      const ctx = createContext({ ...defaultEnrichConfig(), hash: false }, { live: true, hostId: 'host', procRoot: root });
      const rec: NormalizedRecord = {
        '@timestamp': new Date().toISOString(),
        event: { module: 'auditd', action: 'executed', outcome: 'success' },
        process: { pid: 711, parent: { pid: 710 }, name: 'true', executable: '/usr/bin/true', args: ['true'] },
      };
      ctx.apply(rec);
      assert.deepEqual(rec.container, { id: ID, runtime: 'docker' });
      assert.equal(rec.process?.entry_leader?.pid, 710, "the container's first process, not the exited one");
      assert.equal((ctx.stats() as Record<string, number>).table_cgroupFromParent, 1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the context stage with enrichment off', () => {
  const off = { ...defaultEnrichConfig(), process: false, container: false, hash: false };
  const recs = () => auditRecords();

  it('feeds no table and writes nothing', () => {
    const ctx = createContext(off, { live: false });
    const rs = recs();
    for (const r of rs) ctx.apply(r);
    const stats = ctx.stats();
    assert.equal(stats.records, rs.length);
    assert.equal(stats.events_table_entries, undefined, 'no table made');
    assert.ok(rs.every((r) => r.process?.entity_id === undefined && r.process?.Ext === undefined));
  });

  it('still feeds its table when exclude_spawns_of walks it', () => {
    const ctx = createContext(off, { live: false });
    const filters = buildFilterChain([{ filter_chain: 'exclude_spawns_of:timeout' }, { type: 'redact', enabled: false }], {
      stateDir: '/tmp',
      hostName: 't',
      log: silentLogger,
      procTable: false,
      processTable: ctx,
    });
    const rs = recs();
    const kept = rs.filter((r) => {
      ctx.apply(r);
      return filters.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), r) !== null;
    });
    assert.ok(ctx.stats().events_table_entries > 0);
    assert.equal(kept.length, rs.length - rs.filter((r) => r.process?.pid === 13576).length, 'python3 under timeout dropped, as with enrichment on');
    assert.ok(
      rs.every((r) => r.process?.entity_id === undefined),
      'and still writes nothing',
    );
  });
});

describe('normalize --enrich of a log from another host', () => {
  it('takes nothing from this host: a ppid alive here lends no name, executable, container or hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-norm-ctx-'));
    try {
      // pid 1 and this test's own pid are alive here; on the host that wrote the log they were others
      const log = join(dir, 'other.log');
      writeFileSync(
        log,
        [
          `node=far type=SYSCALL msg=audit(1795395184.684:95022): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=1 ppid=${process.pid} pid=4000000 auid=4242 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=5 comm="mkdir" exe="/usr/bin/mkdir" key="exec"`,
          'node=far type=EXECVE msg=audit(1795395184.684:95022): argc=2 a0="mkdir" a1="/tmp/x"',
          'node=far type=EOE msg=audit(1795395184.684:95022): ',
          '',
        ].join('\n'),
      );
      let out = '';
      const code = await normalizeCommand.run(['--enrich', '--no-redact', log], {
        stdout: {
          write: (s: string) => {
            out += s;
            return true;
          },
        } as any,
        stderr: { write: () => true } as any,
        stdin: process.stdin,
      } as any);
      assert.equal(code, 0);
      const [r] = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(typeof r.process.entity_id, 'string');
      assert.deepEqual(Object.keys(r.process.parent).sort(), ['entity_id', 'pid']);
      assert.equal(r.process.parent.pid, process.pid);
      for (const k of ['container', 'kubernetes', 'systemd']) assert.equal(r[k], undefined, k);
      assert.equal(r.process.hash, undefined);
      assert.equal(r.process.start, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
