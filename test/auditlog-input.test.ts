import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditlogInput, createAuditlogInput, type AuditlogInputConfig } from '../src/inputs/auditlog.js';
import { tryResolve } from '../src/config/resolve.js';
import { silentLogger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import type { AuditflowError } from '../src/errors.js';
import type { Input } from '../src/pipeline/types.js';
import { sleep, waitFor } from './support/wait.js';
import { collectInto } from './support/collect.js';

const sampleLines = readFileSync(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l);

describe('auditlog input', function () {
  this.timeout(30000);
  let dir: string;
  let input: Input | undefined;
  let records: NormalizedRecord[];
  let errors: AuditflowError[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-auditlog-'));
    records = [];
    errors = [];
  });
  afterEach(async () => {
    await input?.stop();
    input = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(cfg: Partial<AuditlogInputConfig>) {
    input = createAuditlogInput(
      { type: 'auditlog', path: join(dir, 'audit.log'), poll_interval_ms: 20, checkpoint_interval_ms: 20, resolve_names: false, ...cfg },
      { stateDir: join(dir, 'state'), hostName: 'h', log: silentLogger },
    );
    await input.start(collectInto(records, errors));
  }
  const events = () => records.filter((r) => r.event.action !== 'lost-events');
  /** The checkpoint entries, or one entry at offset -1 before the first write. */
  const checkpoint = (): { path: string; offset: number }[] => {
    const d = join(dir, 'state', 'checkpoints');
    const name = existsSync(d) ? readdirSync(d).find((n) => n.endsWith('.json')) : undefined;
    if (!name) return [{ path: '', offset: -1 }];
    return JSON.parse(readFileSync(join(d, name), 'utf8')).checkpoints;
  };

  it('turns the real auditd sample (1,232 records) into its 300 events, through an auditd-style rotation', async () => {
    const log = join(dir, 'audit.log');
    const half = 600;
    writeFileSync(log, sampleLines.slice(0, half).join('\n') + '\n');
    await start({});
    await waitFor('events of the first half', () => events().length > 100);
    renameSync(log, log + '.1'); // auditd: rotate, then write the new file
    writeFileSync(log, sampleLines.slice(half).join('\n') + '\n');
    await waitFor('300 events', () => events().length >= 300);
    await sleep(200); // time for anything read twice to show up
    // an event whose records straddle the rotation comes out in two parts, so count serials
    const serials = new Set(events().map((r) => r.event.sequence));
    assert.equal(serials.size, 300);
    assert.deepEqual(errors, []);
    for (const r of events()) assert.equal(r.event.module, 'auditd');
    // the excerpt skips serials: counted in the input's stats, not shipped as lost-events records
    assert.equal(records.filter((r) => r.event.action === 'lost-events').length, 0);
    assert.ok(input!.stats!().serial_gaps > 0, 'serial gaps counted');
  });

  it('never checkpoints past the first line of an event still in flight', async () => {
    const log = join(dir, 'audit.log');
    const done =
      'type=SYSCALL msg=audit(1795395190.000:100): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="true" exe="/usr/bin/true" key=(null)\n' +
      'type=PROCTITLE msg=audit(1795395190.000:100): proctitle=74727565\n';
    const open =
      'type=SYSCALL msg=audit(1795395190.001:101): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=3 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="id" exe="/usr/bin/id" key=(null)\n' +
      'type=EXECVE msg=audit(1795395190.001:101): argc=1 a0="id"\n';
    writeFileSync(log, done + open);
    await start({ reassembly_timeout_ms: 600000 });
    await waitFor('the first event', () => events().length === 1);
    await waitFor('the checkpoint held at the open event', () => checkpoint()[0]?.offset === Buffer.byteLength(done), 10_000, checkpoint);
    assert.equal(events().length, 1);
    appendFileSync(log, 'type=PROCTITLE msg=audit(1795395190.001:101): proctitle=6964\n');
    await waitFor('the second event', () => events().length === 2);
    assert.deepEqual(events()[1].process!.args, ['id']);
    await waitFor('checkpoint at the end', () => checkpoint()[0].offset === readFileSync(log).length);
  });

  it("an EOE after the event closed, and auditd's own records, do not hold the checkpoint", async () => {
    const log = join(dir, 'audit.log');
    writeFileSync(
      log,
      'type=DAEMON_START msg=audit(1795395182.673:9936): op=start ver=3.0.9 format=raw kernel=6.1 auid=4294967295 pid=1 uid=0 ses=4294967295 res=success\n' +
        'type=SYSCALL msg=audit(1795395192.000:300): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="true" exe="/usr/bin/true" key=(null)\n' +
        'type=PROCTITLE msg=audit(1795395192.000:300): proctitle=74727565\n' +
        'type=EOE msg=audit(1795395192.000:300): \n',
    );
    await start({ reassembly_timeout_ms: 600000 });
    await waitFor('2 events', () => events().length === 2);
    await waitFor('checkpoint at the end', () => checkpoint()[0].offset === readFileSync(log).length);
    assert.deepEqual(errors, []);
  });

  it('a truncation does not drop the event that was in flight in the old content', async () => {
    const log = join(dir, 'audit.log');
    const ev = (serial: number, comm: string, proctitle: boolean) =>
      `type=SYSCALL msg=audit(1795395193.000:${serial}): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="${comm}" exe="/usr/bin/${comm}" key=(null)\n` +
      (proctitle ? `type=PROCTITLE msg=audit(1795395193.000:${serial}): proctitle=6964\n` : '');
    writeFileSync(log, ev(400, 'first', false));
    await start({ reassembly_timeout_ms: 600000 });
    await waitFor('the first event read', () => input!.stats!().bytes === readFileSync(log).length);
    assert.equal(events().length, 0, 'in flight');
    truncateSync(log, 0);
    // the truncation must be seen before the new content makes the file longer again
    await waitFor('the truncation noticed', () => input!.stats!().truncations === 1);
    appendFileSync(log, ev(401, 'second', true));
    await waitFor('both events', () => events().length === 2);
    assert.deepEqual(
      events().map((r) => r.process!.name),
      ['first', 'second'],
    );
    assert.equal(errors.length, 1, 'the truncation is reported');
    assert.match(errors[0].message, /shrank/);
  });

  it('counts and names a line that is not an audit record, and reads a 128 KiB EXECVE line', async () => {
    const log = join(dir, 'audit.log');
    const big = 'x'.repeat(128 * 1024);
    writeFileSync(
      log,
      'this is not audit\n' +
        'type=SYSCALL msg=audit(1795395191.000:200): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="echo" exe="/usr/bin/echo" key=(null)\n' +
        `type=EXECVE msg=audit(1795395191.000:200): argc=2 a0="echo" a1="${big}"\n` +
        'type=PROCTITLE msg=audit(1795395191.000:200): proctitle=6563686F\n',
    );
    await start({});
    await waitFor('the event', () => events().length === 1);
    assert.deepEqual(events()[0].process!.args, ['echo', big]);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'AF_ERR_PARSE');
    assert.equal(errors[0].where, `${log}:1`);
    assert.match(errors[0].message, /not an audit record/);
  });

  it("event_timeout_ms is the old spelling of reassembly_timeout_ms (the netlink input's name): renamed with a warning", () => {
    const r = tryResolve<AuditlogInputConfig>(auditlogInput, { type: 'auditlog', path: '/x/audit.log', event_timeout_ms: 7000 }, 'inputs[0]');
    assert.deepEqual(r.problems, []);
    assert.equal(r.config.reassembly_timeout_ms, 7000);
    assert.equal('event_timeout_ms' in r.config, false);
    assert.deepEqual(r.warnings, ['inputs[0].event_timeout_ms: renamed to reassembly_timeout_ms; the old spelling is still accepted']);
    assert.equal(tryResolve<AuditlogInputConfig>(auditlogInput, { type: 'auditlog' }, 'inputs[0]').config.reassembly_timeout_ms, 2000);
  });
});
