import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetlinkInput, netlinkInput, type NetlinkInputConfig } from '../src/inputs/netlink.js';
import { resolveComponent } from '../src/config/resolve.js';
import { lostEventsRecord } from '../src/audit/lost.js';
import { silentLogger, type Logger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import type { AuditflowError } from '../src/errors.js';
import { AuditClient } from '../src/netlink/client.js';
import { requireKernel, auditctlList, auditctlStatus } from './fixtures/netlink/kernel-guard.js';
import { prepareKernel, restoreKernel, type SavedAudit } from './fixtures/netlink/audit-state.js';
import { runAs, waitFor } from './fixtures/netlink/workload.js';
import { spawnSync } from 'node:child_process';

const AUID = 61001;
const PYTHON = '/usr/bin/python3';

/** The input as the daemon builds it: through the config resolver, schema defaults filled in. */
function netlink(item: Record<string, unknown>, ctx: { stateDir: string; hostName: string; log: Logger }): NetlinkInput {
  return new NetlinkInput(resolveComponent<NetlinkInputConfig>(netlinkInput, { type: 'netlink', ...item }, 'inputs[0]').config, ctx);
}

function collector() {
  const records: NormalizedRecord[] = [];
  const errors: AuditflowError[] = [];
  return {
    records,
    errors,
    sink: {
      push: async (b: { records: NormalizedRecord[] }) => {
        records.push(...b.records);
      },
      error: (e: AuditflowError) => {
        errors.push(e);
      },
    },
  };
}

describe('netlink input: lost-events records', () => {
  it('says where the loss was seen and how many', () => {
    const r = lostEventsRecord(3, 'kernel', Date.UTC(2026, 0, 1));
    assert.equal(r['@timestamp'], '2026-01-01T00:00:00.000Z');
    assert.equal(r.event.action, 'lost-events');
    assert.equal(r.audit?.lost, 3);
    assert.match(r.message!, /kernel audit lost 3 events/);
  });
});

describe('netlink input config', () => {
  it('a netlink input built from {type} alone has every documented default; kernel settings stay unset so rules files keep theirs', () => {
    const r = resolveComponent<NetlinkInputConfig>(netlinkInput, { type: 'netlink' }, 'inputs[0]');
    assert.deepEqual(r.config, {
      type: 'netlink',
      mode: 'unicast',
      rules: [],
      receive_buffer: 8388608,
      receive_ring: 67108864,
      max_batch: 1024,
      status_interval_ms: 1000,
      exclude_self: true,
      remove_rules_on_stop: true,
      reload_handoff_ms: 1000,
      batch_max_records: 512,
      batch_max_wait_ms: 100,
      max_in_flight: 1000,
      reassembly_timeout_ms: 2000,
      keep_original: false,
      resolve_names: true,
    });
    assert.deepEqual(r.warnings, []);
  });

  it('include_original is the old spelling of keep_original', () => {
    const r = resolveComponent<NetlinkInputConfig>(netlinkInput, { type: 'netlink', include_original: true }, 'inputs[1]');
    assert.equal(r.config.keep_original, true);
    assert.equal('include_original' in r.config, false);
    assert.deepEqual(r.warnings, ['inputs[1].include_original: renamed to keep_original; the old spelling is still accepted']);
  });
});

describe('netlink input against the kernel (unicast)', function () {
  this.timeout(60000);
  let saved: SavedAudit | undefined;
  let dir: string;

  before(function () {
    requireKernel(this);
    saved = prepareKernel();
    dir = mkdtempSync(path.join(os.tmpdir(), 'af-nl-'));
  });
  after(() => {
    if (saved) restoreKernel(saved);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('registers, loads scoped rules, delivers one exec record per exec, then gives everything back', async () => {
    const rules = path.join(dir, 'test.rules');
    writeFileSync(rules, `-a always,exit -F arch=b64 -S execve -F auid=${AUID} -k af-exec\n`);
    // exclude_self off: this test process has no audit uid, and every rule a test loads names one
    // (the daemon test runs auditflow under the test auid and checks the self-exclusion there)
    const input = netlink(
      { mode: 'unicast', rules: [rules], status_interval_ms: 200, exclude_self: false, reload_handoff_ms: 0 },
      { stateDir: dir, hostName: 'test', log: silentLogger },
    );
    const c = collector();
    await input.start(c.sink);
    try {
      const s = auditctlStatus();
      assert.equal(s.pid, process.pid);
      assert.equal(s.enabled, 1);
      assert.equal(s.backlog_wait_time, 0);
      assert.match(auditctlList(), new RegExp(`-a always,exit -F arch=b64 -S execve -F auid=${AUID} -F key=af-exec`));
      const marker = `marker-${process.pid}-${Date.now()}`;
      assert.equal(runAs(AUID, ['/bin/echo', marker, 'two words', '']).status, 0);
      const rec = await waitFor(() => c.records.find((r) => r.process?.args?.[1] === marker), 10000, 'the exec record');
      assert.equal(rec.event.action, 'executed');
      assert.equal(rec.process?.executable, '/usr/bin/echo');
      assert.deepEqual(rec.process?.args, ['/bin/echo', marker, 'two words', '']);
      assert.equal(rec.user?.audit?.id, String(AUID));
      assert.deepEqual(rec.audit?.keys, ['af-exec']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(c.records.filter((r) => r.process?.args?.[1] === marker).length, 1, 'exactly once');
      assert.deepEqual(c.errors, []);
    } finally {
      await input.stop();
    }
    const s = auditctlStatus();
    assert.equal(s.pid, 0, 'audit pid released');
    assert.equal(s.enabled, 0, 'enabled restored');
    assert.equal(auditctlList(), 'No rules\n', 'rules removed');
    assert.ok(input.stats().records > 0);
  });

  // A 4 KiB socket buffer, the reader waking JS per read (batch_max_wait_ms 0): it must take each
  // record as it comes. The default 8 MiB and the default linger: the reader naps for as long as
  // the buffer safely holds what the storm sends meanwhile, and loses nothing either.
  for (const [buffer, wait] of [
    [4096, 0],
    [8388608, 100],
  ])
    it(`keeps reading the socket while the pipeline holds a batch and the JS thread is busy: nothing lost, every open delivered once (receive_buffer ${buffer}, batch_max_wait_ms ${wait})`, async () => {
      const flood = path.join(dir, `ring-${buffer}-${wait}`);
      mkdirSync(flood);
      const rules = path.join(dir, 'ring.rules');
      writeFileSync(rules, `-a always,exit -F arch=b64 -S openat -F dir=${flood} -F auid=${AUID} -k af-ring\n`);
      // 20,001 opens are ~100,000 records: more than the backlog and the socket buffer hold (a
      // queued record costs the buffer a few KiB), so they arrive only if something reads the
      // socket while JS does not
      const input = netlink(
        { mode: 'unicast', rules: [rules], exclude_self: false, reload_handoff_ms: 0, receive_buffer: buffer, backlog_limit: 65536, batch_max_wait_ms: wait },
        { stateDir: dir, hostName: 'test', log: silentLogger },
      );
      const records: NormalizedRecord[] = [];
      const errors: AuditflowError[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let pushes = 0;
      await input.start({
        push: async (b) => {
          pushes++;
          await held;
          records.push(...b.records);
        },
        error: (e) => errors.push(e),
      });
      try {
        const open = (n: number) =>
          runAs(AUID, [
            PYTHON,
            '-c',
            `import os\np = os.path.join(${JSON.stringify(flood)}, "f")\nfor i in range(${n}):\n    os.close(os.open(p, os.O_RDONLY | os.O_CREAT, 0o600))\n`,
          ]);
        assert.equal(open(1).status, 0);
        await waitFor(() => (pushes > 0 && input.stats().paused > 0 ? true : undefined), 10000, 'the first batch to wait in the pipeline');
        const lostBefore = auditctlStatus().lost;
        // runAs waits synchronously: the JS thread does nothing until the storm is over
        assert.equal(open(20000).status, 0);
        assert.equal(auditctlStatus().lost - lostBefore, 0, 'the kernel lost nothing');
        assert.ok(input.stats().ring_peak > buffer, `the reader held what JS could not take (ring_peak ${input.stats().ring_peak})`);
        if (wait > 0) assert.ok(input.stats().naps > 0, 'the reader slept on the big buffer');
        else assert.equal(input.stats().naps, 0, 'no sleeping on 4 KiB');
        release();
        const count = () => records.filter((r) => r.audit?.keys?.includes('af-ring')).length;
        await waitFor(() => (count() >= 20001 ? true : undefined), 30000, `every open (${count()} so far)`);
        await input.stop();
        assert.equal(count(), 20001);
        assert.deepEqual(
          records.filter((r) => r.event.action === 'lost-events'),
          [],
        );
        assert.deepEqual(errors, []);
      } finally {
        release();
        await input.stop();
      }
    });

  it('takes over its own rules left loaded by a crashed run and removes them at stop', async () => {
    const rules = path.join(dir, 'left.rules');
    const line = `-a always,exit -F arch=b64 -S execve -F auid=${AUID} -k af-left`;
    writeFileSync(rules, line + '\n');
    spawnSync('auditctl', line.split(' '));
    assert.match(auditctlList(), /af-left/);
    const input = netlink(
      { mode: 'unicast', rules: [rules], exclude_self: false, reload_handoff_ms: 0 },
      { stateDir: dir, hostName: 'test', log: silentLogger },
    );
    const c = collector();
    await input.start(c.sink);
    await input.stop();
    assert.deepEqual(
      c.errors.map((e) => e.message),
      [],
      'no "Rule exists" error',
    );
    assert.equal(auditctlList(), 'No rules\n');
  });

  it('starts without rules when a configured rules.d does not exist (no auditd ever installed), saying so', async () => {
    const missing = path.join(dir, 'no-such-rules.d');
    const rules = path.join(dir, 'present.rules');
    writeFileSync(rules, `-a always,exit -F arch=b64 -S execve -F auid=${AUID} -k af-present\n`);
    const input = netlink(
      { mode: 'unicast', rules: [missing, rules], exclude_self: false, reload_handoff_ms: 0 },
      { stateDir: dir, hostName: 'test', log: silentLogger },
    );
    const c = collector();
    await input.start(c.sink);
    try {
      assert.match(auditctlList(), /af-present/);
      assert.deepEqual(
        c.errors.map((e) => e.message),
        [`netlink-unicast: ${missing} does not exist: no rules loaded from it`],
      );
    } finally {
      await input.stop();
    }
    assert.equal(auditctlList(), 'No rules\n');
  });

  it('hands the kernel over to the next input of the process (reload): no gap, old rules out, new rules in', async () => {
    const r1 = path.join(dir, 'r1.rules'),
      r2 = path.join(dir, 'r2.rules');
    writeFileSync(r1, `-a always,exit -F arch=b64 -S execve -F auid=${AUID} -k af-one\n-a always,exit -F arch=b64 -S uname -F auid=${AUID} -k af-both\n`);
    writeFileSync(r2, `-a always,exit -F arch=b64 -S uname -F auid=${AUID} -k af-both\n-a always,exit -F arch=b64 -S execve -F auid=${AUID} -k af-two\n`);
    const ctx = { stateDir: dir, hostName: 'test', log: silentLogger };
    const first = netlink({ mode: 'unicast', rules: [r1], exclude_self: false, reload_handoff_ms: 5000 }, ctx);
    const c1 = collector();
    await first.start(c1.sink);
    await first.stop();
    // parked: still the audit daemon, still enabled, rules still in place
    assert.equal(auditctlStatus().pid, process.pid);
    assert.equal(auditctlStatus().enabled, 1);
    assert.match(auditctlList(), /af-one/);
    // what happens while nobody reads is queued on the parked socket and read by the next input
    const gap = `gap${process.pid}x${Date.now()}`;
    assert.equal(runAs(AUID, ['/bin/echo', gap]).status, 0);
    const second = netlink({ mode: 'unicast', rules: [r2], exclude_self: false, reload_handoff_ms: 0, status_interval_ms: 200 }, ctx);
    const c2 = collector();
    await second.start(c2.sink);
    try {
      const listed = auditctlList();
      assert.doesNotMatch(listed, /af-one/, 'a rule the new config dropped is gone');
      assert.match(listed, /af-both/);
      assert.match(listed, /af-two/);
      assert.equal(listed.split('\n').filter((l) => /af-both/.test(l)).length, 1, 'a rule both configs have is there once');
      // auditing never stopped: an exec between the two inputs was audited and reaches the second
      const rec = await waitFor(() => c2.records.find((r) => r.process?.args?.[1] === gap), 10000, 'the exec made between the two inputs');
      assert.deepEqual(rec.audit?.keys, ['af-one'], 'matched by the rule in force at the time');
      assert.deepEqual([...c1.errors, ...c2.errors], []);
    } finally {
      await second.stop();
    }
    assert.equal(auditctlStatus().pid, 0);
    assert.equal(auditctlStatus().enabled, 0);
    assert.equal(auditctlList(), 'No rules\n');
  });

  it('kernel settings the config sets win over the rules file, whose lines are named; the others come from the rules file', async () => {
    const rules = path.join(dir, 'settings.rules');
    // Debian's rules.d says --backlog_wait_time 60000: a stalled reader would block processes a minute
    writeFileSync(rules, `-b 9000\n--backlog_wait_time 60000\n-f 0\n-r 100\n-a always,exit -F arch=b64 -S execve -F auid=${AUID + 1} -k af-settings\n`);
    const warnings: string[] = [];
    const log = {
      ...silentLogger,
      warn: (m: string) => {
        warnings.push(m);
      },
    };
    const ctx = { stateDir: dir, hostName: 'test', log };
    const explicit = netlink(
      { rules: [rules], exclude_self: false, reload_handoff_ms: 0, backlog_limit: 8500, backlog_wait_time: 0, failure: 1, rate_limit: 0 },
      ctx,
    );
    await explicit.start(collector().sink);
    try {
      const s = auditctlStatus();
      assert.deepEqual([s.backlog_limit, s.backlog_wait_time, s.failure, s.rate_limit], [8500, 0, 1, 0]);
      assert.match(auditctlList(), /af-settings/);
    } finally {
      await explicit.stop();
    }
    assert.deepEqual(warnings, [
      `${rules}:1: backlog_limit 9000 ignored: the config of netlink-unicast sets backlog_limit 8500`,
      `${rules}:2: backlog_wait_time 60000 ignored: the config of netlink-unicast sets backlog_wait_time 0`,
      `${rules}:3: failure 0 ignored: the config of netlink-unicast sets failure 1`,
      `${rules}:4: rate_limit 100 ignored: the config of netlink-unicast sets rate_limit 0`,
    ]);

    warnings.length = 0;
    const onlyWait = netlink({ rules: [rules], exclude_self: false, reload_handoff_ms: 0, backlog_wait_time: 0 }, ctx);
    await onlyWait.start(collector().sink);
    try {
      const s = auditctlStatus();
      assert.deepEqual([s.backlog_limit, s.backlog_wait_time, s.failure, s.rate_limit], [9000, 0, 0, 100]);
    } finally {
      await onlyWait.stop();
    }
    assert.deepEqual(warnings, [`${rules}:2: backlog_wait_time 60000 ignored: the config of netlink-unicast sets backlog_wait_time 0`]);
    assert.equal(auditctlList(), 'No rules\n');
    assert.equal(auditctlStatus().enabled, 0);
  });

  it('gives the kernel back when the process exits without stopping the input, also what a stop parked', () => {
    const rules = path.join(dir, 'exit.rules');
    writeFileSync(rules, `-a always,exit -F arch=b64 -S execve -F auid=${AUID + 2} -k af-exit\n`);
    for (const handoff of [0, 60000]) {
      // a child starts an input (and with a handoff, stops it: parked) and exits without more
      const script = `
        const { netlinkInput } = await import(${JSON.stringify(path.resolve('src/inputs/netlink.ts'))});
        const { resolveComponent } = await import(${JSON.stringify(path.resolve('src/config/resolve.ts'))});
        const { silentLogger } = await import(${JSON.stringify(path.resolve('src/log.ts'))});
        const cfg = resolveComponent(netlinkInput, { type: 'netlink', rules: [${JSON.stringify(rules)}], exclude_self: false, reload_handoff_ms: ${handoff} }, 'inputs[0]').config;
        const input = netlinkInput.build(cfg, { stateDir: ${JSON.stringify(dir)}, hostName: 'test', log: silentLogger });
        await input.start({ push: async () => {}, error: (e) => { console.error(e.message); process.exit(3); } });
        if (${handoff} > 0) await input.stop();
        const { execFileSync } = await import('node:child_process');
        process.stdout.write(execFileSync('auditctl', ['-s'], { encoding: 'utf8' }).split('\\n').find((l) => l.startsWith('pid ')) + ' ' + execFileSync('auditctl', ['-l'], { encoding: 'utf8' }));
        process.exit(0);`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^pid (\d+) -a always,exit .*af-exit/, 'held while the child ran');
      assert.equal(auditctlStatus().pid, 0, `audit pid released (handoff ${handoff})`);
      assert.equal(auditctlStatus().enabled, 0, `enabled restored (handoff ${handoff})`);
      assert.equal(auditctlList(), 'No rules\n', `rules removed (handoff ${handoff})`);
    }
  });

  it('refuses clearly when another process holds the audit pid', async function () {
    const holder = new AuditClient();
    // a child process holds the pid (the kernel only lets a process register itself)
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `
      import('${path.resolve('src/netlink/client.js').replace(/\\/g, '/')}').then(({ AuditClient }) => {
        const c = new AuditClient();
        c.setStatus({ pid: process.pid });
        process.stdout.write('held\\n');
        process.stdin.on('data', () => { c.setStatus({ pid: 0 }); process.exit(0); });
      });`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          if (String(d).includes('held')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      assert.equal(holder.getStatus().pid, child.pid);
      const input = netlink({ mode: 'unicast', exclude_self: false, reload_handoff_ms: 0 }, { stateDir: dir, hostName: 'test', log: silentLogger });
      await assert.rejects(input.start(collector().sink), (e: AuditflowError) => e.code === 'AF_ERR_ALREADY_RUNNING' && /held by pid \d+/.test(e.message));
      assert.equal(auditctlList(), 'No rules\n', 'a failed start leaves no rules behind');
      assert.equal(auditctlStatus().enabled, 0);
    } finally {
      child.stdin.write('x');
      await new Promise((r) => child.once('exit', r));
      holder.close();
    }
    assert.equal(auditctlStatus().pid, 0);
  });
});
