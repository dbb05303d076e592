import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { requireKernel, auditctlList, auditctlStatus } from './fixtures/netlink/kernel-guard.js';
import { prepareKernel, restoreKernel, type SavedAudit } from './fixtures/netlink/audit-state.js';
import { runAs, waitFor } from './fixtures/netlink/workload.js';
import { TestCgroups } from './fixtures/context/cgroups.js';
import { parseStat } from '../src/context/proc.js';
import { SNOOPY_LIB, underSnoopy } from './support/snoopy.js';
import { writtenJsonLines } from './support/io.js';

// Context on the real kernel: the daemon (audit uid DAEMON_AUID, matched by no rule) records what
// workloads under WORK_AUID do, and every record carries the process table's context. Real
// processes, real cgroups shaped like the runtimes' (made here, removed after), real snoopy.
const DAEMON_AUID = 62102;
const WORK_AUID = 62101;
const cli = fileURLToPath(new URL('./support/run-cli.ts', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = '/usr/bin/python3';
const V1 = '/sys/fs/cgroup';
const V2 = '/sys/fs/cgroup/unified';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const hex64 = () => randomBytes(32).toString('hex');

/** The 4-level tree: sh → bash → python → (a connect, an exec of sh, an exec of true). */
const treePython = `
import socket, subprocess, sys
s = socket.socket(); s.connect(("127.0.0.1", int(sys.argv[1]))); s.close()
subprocess.run(["/bin/sh", "-c", "sleep 0.3", "leaf-" + sys.argv[2]])
subprocess.run(["/bin/true", "dropped-" + sys.argv[2]])
`;

/**
 * Pid reuse: a child execs /bin/true and exits; then another process (a forked python that never
 * execs) gets the same pid for its child through ns_last_pid. Retries while another fork on the
 * machine takes the pid first. Prints "<reused pid> <intermediate pid>".
 */
const reusePython = `
import os, sys, time
tag = sys.argv[1]
def run(argv):
    pid = os.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    os.waitpid(pid, 0)
    return pid
for attempt in range(50):
    first = run(["/bin/true", "first-" + tag])
    r, w = os.pipe()
    mid = os.fork()
    if mid == 0:
        with open("/proc/sys/kernel/ns_last_pid", "w") as f: f.write(str(first - 1))
        got = run(["/bin/true", "second-" + tag])
        os.write(w, str(got).encode())
        time.sleep(1)  # still there when the daemon looks its child's parent up
        os._exit(0)
    os.waitpid(mid, 0)
    got = int(os.read(r, 32))
    if got == first:
        print(first, mid); sys.exit(0)
sys.exit("pid never reused")
`;

describe('context in every record, on the real kernel', function () {
  this.timeout(180000);
  let saved: SavedAudit | undefined;
  let dir = '';
  let server: Server | undefined;
  let daemon: ChildProcess | undefined;
  const cgroups = new TestCgroups(`af-ctx-test-${process.pid}`);
  const tag = `t${process.pid}x${Date.now()}`;
  const ids = { docker: hex64(), containerd: hex64(), crio: hex64(), podA: randomUUID(), podB: randomUUID() };
  let all: any[] = [];
  let reuse: { pid: number; mid: number } | undefined;
  let daemonErr = '';
  let snoopy = false;

  before(async function () {
    requireKernel(this);
    for (const need of [PYTHON, '/bin/bash', `${V1}/pids`, `${V1}/cpu`, V2]) {
      if (!existsSync(need)) {
        if (process.env.CI === 'true') throw new Error(`${need} missing`);
        this.skip();
      }
    }
    snoopy = existsSync(SNOOPY_LIB) && existsSync('/etc/snoopy.ini');
    saved = prepareKernel();
    dir = mkdtempSync(path.join(os.tmpdir(), 'af-ctx-'));
    const rules = path.join(dir, 'ctx.rules');
    writeFileSync(
      rules,
      [
        `-a always,exit -F arch=b64 -S execve,execveat -F auid=${WORK_AUID} -k ctx-exec`,
        `-a always,exit -F arch=b64 -S connect -F auid=${WORK_AUID} -k ctx-net`,
        `-a always,exit -F arch=b64 -S exit_group -F auid=${WORK_AUID} -k ctx-exit`,
      ].join('\n') + '\n',
    );
    const pods = path.join(dir, 'pods');
    mkdirSync(path.join(pods, `ctx-ns_web-0_${ids.podA}`), { recursive: true });
    mkdirSync(path.join(pods, `other_db-1_${ids.podB}`), { recursive: true });
    const snoopyLog = path.join(dir, 'snoopy.log');
    writeFileSync(snoopyLog, '');
    const events = path.join(dir, 'events.jsonl');
    const config = {
      state_dir: path.join(dir, 'state'),
      inputs: [
        { type: 'netlink', mode: 'unicast', rules: [rules] },
        { type: 'snoopy', path: snoopyLog, poll_interval_ms: 20 },
      ],
      enrich: { kubernetes: { pods_dir: pods }, labels: [{ label: 'under-bash', exe: '**/bash' }], read_at_exec: true },
      filters: [{ type: 'drop', where: { 'process.parent.name': 'python3', 'process.command_line': { regex: 'dropped-' } } }],
      outputs: [{ type: 'file', path: events }],
    };
    const cfg = path.join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify(config));
    daemon = spawn(
      '/bin/sh',
      ['-c', `echo ${DAEMON_AUID} > /proc/self/loginuid && exec "$@"`, 'sh', process.execPath, '--import', 'tsx', cli, 'run', '--config', cfg],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    daemon.stderr!.on('data', (d) => {
      daemonErr += d;
    });
    try {
      await waitFor(() => (auditctlStatus().pid === daemon!.pid && auditctlStatus().enabled === 1 ? true : undefined), 30000, 'the daemon registered');
      server = createServer((c) => c.destroy());
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;

      const tree = runAs(WORK_AUID, ['/bin/sh', '-c', `/bin/bash -c '${PYTHON} -c "$0" ${port} ${tag}; true' '${treePython}'; true`]);
      assert.equal(tree.status, 0, tree.stderr);
      const r = runAs(WORK_AUID, [PYTHON, '-c', reusePython, tag]);
      assert.equal(r.status, 0, r.stderr);
      const [pid, mid] = r.stdout.trim().split(' ').map(Number);
      reuse = { pid, mid };

      // each shape: the workload moves itself in, then starts the process the test looks at
      const shapes: [string, string][] = [
        ['docker', cgroups.make(`${V1}/pids`, `docker/${ids.docker}`)],
        [
          'containerd',
          cgroups.make(
            V2,
            `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${ids.podA.replaceAll('-', '_')}.slice/cri-containerd-${ids.containerd}.scope`,
          ),
        ],
        ['crio', cgroups.make(`${V1}/cpu`, `kubepods/besteffort/pod${ids.podB}/crio-${ids.crio}`)],
        ['unit', cgroups.make(V2, 'system.slice/af-ctx-test.service')],
      ];
      for (const [name, procs] of shapes) {
        const w = runAs(WORK_AUID, ['/bin/sh', '-c', `echo $$ > ${procs} && /bin/sh -c 'sleep 0.3' ${name}-${tag}; true`]);
        assert.equal(w.status, 0, w.stderr);
      }
      if (snoopy) {
        const ini = path.join(dir, 'snoopy.ini');
        writeFileSync(
          ini,
          `[snoopy]\noutput = file:${snoopyLog}\nmessage_format = "[pid:%{pid} ppid:%{ppid} uid:%{uid} username:%{username} sid:%{sid} tty:%{tty} cwd:%{cwd} filename:%{filename}]: %{cmdline}"\n`,
        );
        const s = runAs(WORK_AUID, underSnoopy(ini, `/bin/sleep 0.3 snoopy-${tag}; true`));
        assert.equal(s.status, 0, s.stderr);
      }
      // processes that exit 5 ms after their exec, reaped at once: gone when the JS thread gets
      // to their events a batch (batch_max_wait_ms, 100) later
      const brief = runAs(WORK_AUID, ['/bin/sh', '-c', `for i in 0 1 2 3 4 5 6 7 8 9; do /bin/sh -c 'sleep 0.005' brief-$i-${tag}; done`]);
      assert.equal(brief.status, 0, brief.stderr);
      // a late exec of an executable seen before: its hash is ready by now
      await new Promise((res) => setTimeout(res, 1500));
      assert.equal(runAs(WORK_AUID, ['/bin/true', `late-${tag}`]).status, 0);
      all = await waitFor(
        () => {
          const recs = writtenJsonLines(events);
          const has = (arg: string, module = 'auditd') => recs.some((x) => x.event.module === module && x.process?.args?.includes(arg));
          const ok = has(`late-${tag}`) && has(`unit-${tag}`) && has(`second-${tag}`) && (!snoopy || has(`snoopy-${tag}`, 'snoopy'));
          return ok ? recs : undefined;
        },
        30000,
        "the workloads' records",
      );
    } finally {
      server?.close();
      if (daemon.exitCode === null) {
        daemon.kill('SIGTERM');
        await new Promise((r) => daemon!.once('exit', r));
      }
      const left = cgroups.removeAll();
      assert.deepEqual(left, [], 'test cgroups removed');
    }
  });

  after(() => {
    if (daemon?.exitCode === null) daemon.kill('SIGKILL');
    const left = cgroups.removeAll();
    if (saved) restoreKernel(saved);
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`cgroups left behind: ${left.join('; ')}`);
  });

  const exec = (arg: string) => {
    const found = all.filter((r) => r.event.module === 'auditd' && r.event.action === 'executed' && r.process?.args?.includes(arg));
    assert.equal(found.length, 1, `one exec with ${arg} (stderr: ${daemonErr})`);
    return found[0];
  };

  it('gives every record of a 4-level tree its parent, by identity: sh → bash → python → a connect and a child', () => {
    const py = all.find((r) => r.event.action === 'executed' && r.process?.args?.[0] === PYTHON && r.process.args.includes(tag));
    assert.ok(py, 'python exec');
    const bash = all.find((r) => r.event.action === 'executed' && r.process?.pid === py.process.parent.pid);
    assert.ok(bash, 'bash exec');
    const sh = all.find((r) => r.event.action === 'executed' && r.process?.pid === bash.process.parent.pid);
    assert.ok(sh, 'sh exec');
    const conn = all.find((r) => r.event.action === 'connected-to' && r.process?.pid === py.process.pid);
    const leaf = exec(`leaf-${tag}`);
    assert.deepEqual(bash.process.args.slice(0, 2), ['/bin/bash', '-c']);

    for (const [child, parent] of [
      [bash, sh],
      [py, bash],
      [leaf, py],
    ]) {
      assert.equal(child.process.parent.entity_id, parent.process.entity_id);
      assert.equal(child.process.parent.executable, parent.process.executable);
      assert.deepEqual(child.process.parent.args, parent.process.args);
      assert.equal(child.process.parent.start, parent.process.start);
    }
    assert.equal(conn.process.entity_id, py.process.entity_id, 'the connect is the python process');
    assert.equal(conn.process.parent.entity_id, bash.process.entity_id);
    assert.equal(conn.process.parent.executable, '/usr/bin/bash');
    assert.deepEqual(leaf.process.Ext.ancestry.slice(0, 3), [py.process.entity_id, bash.process.entity_id, sh.process.entity_id]);
    // the workload's sh began the audit session (it wrote the login uid): the entry leader of all
    for (const r of [bash, py, conn, leaf])
      assert.deepEqual(r.process.entry_leader, {
        pid: sh.process.pid,
        entity_id: sh.process.entity_id,
        executable: sh.process.executable,
        name: sh.process.name,
      });
    const start = Date.parse(leaf.process.start);
    assert.ok(Math.abs(start - Date.parse(leaf['@timestamp'])) < 2000, `start ${leaf.process.start} near the exec`);
    // no setsid on the way: the session is this test's own. Its leader may be outside this pid
    // namespace (sid 0) or gone (a CI runner's shell that started us and exited): then unknown
    const sid = parseStat(readFileSync('/proc/self/stat', 'latin1'))!.sid;
    if (sid > 0 && existsSync(`/proc/${sid}`)) assert.equal(leaf.process.session_leader?.pid, sid);
    else assert.equal(leaf.process.session_leader, undefined, `session ${sid} has no live leader here`);
  });

  it('labels bash and everything under it, grandchildren too, and drops on an enriched field', () => {
    const leaf = exec(`leaf-${tag}`);
    assert.deepEqual(leaf.tags, ['under-bash']);
    const py = all.find((r) => r.process?.entity_id === leaf.process.parent.entity_id && r.event.action === 'executed');
    assert.deepEqual(py.tags, ['under-bash']);
    const sh = all.find((r) => r.process?.entity_id === leaf.process.Ext.ancestry[2]);
    assert.equal(sh.tags, undefined, 'the parent of bash is not labelled');
    // dropped by `process.parent.name: python3`, which the kernel never sends
    assert.equal(all.filter((r) => r.process?.args?.includes(`dropped-${tag}`)).length, 0);
  });

  it('gives a reused pid a new entity id and its own parent', () => {
    const first = exec(`first-${tag}`);
    const second = exec(`second-${tag}`);
    assert.equal(first.process.pid, reuse!.pid);
    assert.equal(second.process.pid, reuse!.pid, 'the same pid');
    assert.notEqual(second.process.entity_id, first.process.entity_id);
    assert.equal(second.process.parent.pid, reuse!.mid);
    assert.notEqual(second.process.parent.entity_id, first.process.parent.entity_id, 'the forked python, not the one that started the first');
    assert.equal(second.process.parent.executable, first.process.parent.executable, "python, forked, never exec'd: known from /proc");
  });

  it('finds containers and pods in docker, containerd-under-kubepods and CRI-O cgroups, and the systemd unit', () => {
    const docker = exec(`docker-${tag}`);
    assert.deepEqual(docker.container, { id: ids.docker, runtime: 'docker' });
    assert.equal(docker.kubernetes, undefined);
    const containerd = exec(`containerd-${tag}`);
    assert.deepEqual(containerd.container, { id: ids.containerd, runtime: 'containerd' });
    assert.deepEqual(containerd.kubernetes, { pod: { uid: ids.podA, name: 'web-0' }, namespace: 'ctx-ns' });
    const crio = exec(`crio-${tag}`);
    assert.deepEqual(crio.container, { id: ids.crio, runtime: 'cri-o' });
    assert.deepEqual(crio.kubernetes, { pod: { uid: ids.podB, name: 'db-1' }, namespace: 'other' });
    const unit = exec(`unit-${tag}`);
    assert.deepEqual(unit.systemd, { unit: 'af-ctx-test.service' });
    assert.equal(unit.container, undefined);
  });

  it('knows when a process that exited before its event was handled started: the reader read its /proc as the event came', () => {
    const brief = Array.from({ length: 10 }, (_, i) => exec(`brief-${i}-${tag}`));
    const started = brief.filter((r) => r.process.start !== undefined);
    // the reader thread reads within microseconds; 2 of 10 may miss on a starved machine
    assert.ok(started.length >= 8, `${started.length} of 10 have process.start: ${JSON.stringify(brief.map((r) => r.process.start))}`);
    for (const r of started) {
      const lag = Date.parse(r['@timestamp']) - Date.parse(r.process.start);
      assert.ok(lag >= -10 && lag < 1000, `started ${lag} ms before its exec event`);
    }
  });

  it('hashes executables off the hot path: a later exec carries the sha256', () => {
    const late = exec(`late-${tag}`);
    assert.equal(late.process.hash?.sha256, sha256(late.process.executable));
  });

  it('gives a snoopy record and the kernel exec record of the same process the same entity id', function () {
    if (!snoopy) {
      if (process.env.CI === 'true') throw new Error('snoopy missing');
      this.skip();
    }
    const s = all.filter((r) => r.event.module === 'snoopy' && r.process?.args?.includes(`snoopy-${tag}`));
    assert.equal(s.length, 1);
    const k = exec(`snoopy-${tag}`);
    assert.equal(s[0].process.pid, k.process.pid);
    assert.equal(s[0].process.entity_id, k.process.entity_id);
    assert.equal(s[0].process.parent.entity_id, k.process.parent.entity_id);
  });

  it('leaves the kernel as it found it', () => {
    const st = auditctlStatus();
    assert.equal(st.pid, 0);
    assert.match(auditctlList(), /No rules/);
  });
});
