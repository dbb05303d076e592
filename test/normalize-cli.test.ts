import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines, runCli, tempDir } from './support/io.js';

const fixtures = fileURLToPath(new URL('./fixtures/samples/', import.meta.url));
const auditSample = join(fixtures, 'audit-raw.sample.log');

/** The serials in a raw log, which is how auditd numbers events. */
function serialsOf(text: string): Set<number> {
  const s = new Set<number>();
  for (const m of text.matchAll(/msg=audit\(\d+\.\d+:(\d+)\)/g)) s.add(Number(m[1]));
  return s;
}

describe('auditflow normalize', function () {
  this.timeout(60_000);

  it('turns every event of the real capture into exactly one record', async () => {
    const { code, stdout, stderr } = await runCli(['normalize', auditSample]);
    assert.equal(code, 0, stderr);
    const recs = jsonLines(stdout);
    const serials = serialsOf(readFileSync(auditSample, 'utf8'));
    assert.equal(recs.length, serials.size);
    assert.deepEqual(new Set(recs.map((r) => r.event.sequence)), serials);
    for (const r of recs) {
      assert.equal(r.event.module, 'auditd');
      assert.match(r['@timestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(typeof r.event.action, 'string');
    }
    assert.equal(stderr, '');
  });

  it("names no uid from this host's passwd unless --resolve-names; ENRICHED names always", async () => {
    const dir = tempDir('af-normalize-names-');
    const log = join(dir, 'elsewhere.log');
    writeFileSync(
      log,
      'type=SYSCALL msg=audit(1795395184.700:95000): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=2 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm="id" exe="/usr/bin/id" key=(null)\n' +
        'type=PROCTITLE msg=audit(1795395184.700:95000): proctitle=6964\n' +
        'type=SYSCALL msg=audit(1795395184.701:95001): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=3 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm="id" exe="/usr/bin/id" key=(null)\x1dARCH=x86_64 SYSCALL=execve AUID="alice" UID="toor" GID="wheel" EUID="toor" SUID="toor" FSUID="toor" EGID="wheel" SGID="wheel" FSGID="wheel"\n' +
        'type=PROCTITLE msg=audit(1795395184.701:95001): proctitle=6964\n',
    );
    const plain = jsonLines((await runCli(['normalize', log])).stdout);
    assert.deepEqual(plain[0].user, { id: '0', audit: { id: '1000' }, effective: { id: '0' }, group: { id: '0' } });
    assert.deepEqual(plain[1].user, {
      id: '0',
      name: 'toor',
      audit: { id: '1000', name: 'alice' },
      effective: { id: '0', name: 'toor' },
      group: { id: '0', name: 'wheel' },
    });
    const local = jsonLines((await runCli(['normalize', '--resolve-names', log])).stdout);
    assert.equal(local[0].user.name, 'root', "this host's passwd, when asked");
    assert.equal(local[1].user.name, 'toor', "the origin host's name still wins");
  });

  it('reads standard input as "-" and gives the same records as the file', async () => {
    const text = readFileSync(auditSample, 'utf8');
    const fromFile = await runCli(['normalize', auditSample]);
    const fromStdin = await runCli(['normalize', '-'], text);
    assert.equal(fromStdin.code, 0);
    assert.equal(fromStdin.stdout, fromFile.stdout);
  });

  it('redacts secrets by default and keeps them with --no-redact', async () => {
    const redacted = await runCli(['normalize', auditSample]);
    for (const secret of ['Secret123', 'P@ss;word!', 'pgpass', 'b0bpass', 'ghp_FAKEtoken1234567890', 'abcdef123456']) {
      assert.ok(!redacted.stdout.includes(secret), `${secret} leaked`);
    }
    const plain = await runCli(['normalize', '--no-redact', auditSample]);
    assert.ok(plain.stdout.includes('-pSecret123'));
  });

  it('detects snoopy logs and bash history without --from', async () => {
    for (const [file, module] of [
      ['snoopy-file.sample.log', 'snoopy'],
      ['snoopy-authlog.sample.log', 'snoopy'],
      ['bash_history.sample', 'bash'],
    ]) {
      const { code, stdout, stderr } = await runCli(['normalize', join(fixtures, file)]);
      assert.equal(code, 0, `${file}: ${stderr}`);
      const recs = jsonLines(stdout);
      assert.ok(recs.length > 0, file);
      assert.ok(
        recs.every((r) => r.event.module === module),
        file,
      );
    }
  });

  it('counts lines that are not audit records, names them, and keeps the good events', async () => {
    const dir = tempDir('af-norm-');
    const good = readFileSync(auditSample, 'utf8').split('\n').slice(0, 40);
    const mixed = [...good.slice(0, 20), 'type=SYSCALL msg=audit(garbage', 'hello world', ...good.slice(20)].join('\n');
    writeFileSync(join(dir, 'mixed.log'), mixed);
    writeFileSync(join(dir, 'clean.log'), good.join('\n'));
    const clean = jsonLines((await runCli(['normalize', join(dir, 'clean.log')])).stdout);
    const { code, stdout, stderr } = await runCli(['normalize', join(dir, 'mixed.log')]);
    assert.equal(code, 0);
    assert.deepEqual(
      jsonLines(stdout).map((r) => r.event.sequence),
      clean.map((r) => r.event.sequence),
    );
    assert.match(stderr, /mixed\.log:21: not an audit record: bad timestamp/);
    assert.match(stderr, /mixed\.log:22: not an audit record: no type= field/);
    assert.match(stderr, /2 line\(s\) could not be parsed/);
    assert.equal((await runCli(['normalize', '--strict', join(dir, 'mixed.log')])).code, 65);
  });

  it('with error_records in the config, ships each bad line as a pipeline_error record too', async () => {
    const dir = tempDir('af-norm-');
    writeFileSync(join(dir, 'c.yaml'), 'error_records: true\n');
    writeFileSync(join(dir, 'bad.log'), readFileSync(auditSample, 'utf8').split('\n').slice(0, 5).join('\n') + '\ntype=PATH msg=audit(1.x\n');
    const { code, stdout } = await runCli(['normalize', '--config', join(dir, 'c.yaml'), join(dir, 'bad.log')]);
    assert.equal(code, 0);
    const errs = jsonLines(stdout).filter((r) => r.event.kind === 'pipeline_error');
    assert.equal(errs.length, 1);
    assert.equal(errs[0].error.type, 'AF_ERR_PARSE');
    assert.match(errs[0].error.input, /bad\.log:6$/);
  });

  it('exits 66 naming a missing file, after processing the others', async () => {
    const { code, stdout, stderr } = await runCli(['normalize', '/nonexistent/audit.log', auditSample]);
    assert.equal(code, 66);
    assert.match(stderr, /\/nonexistent\/audit\.log: no such file/);
    assert.ok(jsonLines(stdout).length > 0);
  });

  it('says when it cannot tell the format, and rejects bad options with usage', async () => {
    const dir = tempDir('af-norm-');
    writeFileSync(join(dir, 'x.csv'), 'a,b,c\n1,2,3\n');
    const unknown = await runCli(['normalize', join(dir, 'x.csv')]);
    assert.equal(unknown.code, 66);
    assert.match(unknown.stderr, /x\.csv: cannot tell the format .*use --from/);
    const bad = await runCli(['normalize', '--from', 'evtx', auditSample]);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--from must be one of auto, auditlog, snoopy, bash/);
    assert.equal((await runCli(['normalize'])).code, 64);
  });

  it('--strict fails on snoopy lines that are not entries too, which are counted and named', async () => {
    const dir = tempDir('af-norm-');
    const good = readFileSync(join(fixtures, 'snoopy-file.sample.log'), 'utf8').split('\n').slice(0, 10);
    // (after an entry, an unframed line is the rest of its command line: argv with a newline)
    writeFileSync(join(dir, 'snoopy.log'), ['[not a snoopy entry', ...good].join('\n') + '\n');
    const { code, stdout, stderr } = await runCli(['normalize', '--from', 'snoopy', join(dir, 'snoopy.log')]);
    assert.equal(code, 0);
    assert.equal(jsonLines(stdout).length, 10);
    assert.match(stderr, /snoopy\.log:1: not a snoopy entry/);
    assert.match(stderr, /1 line\(s\) could not be parsed; 10 records written/);
    assert.equal((await runCli(['normalize', '--strict', '--from', 'snoopy', join(dir, 'snoopy.log')])).code, 65);
  });

  it('cuts a line over --max-line-bytes (default 1 MiB), says so, and --strict fails on it', async () => {
    const dir = tempDir('af-norm-');
    const lines = readFileSync(auditSample, 'utf8').split('\n').slice(0, 30);
    const long = 'type=USER_CMD msg=audit(1795395999.100:99999): pid=1 uid=0 auid=0 ses=1 msg=\'cwd="/' + 'y'.repeat(5000) + '" res=success\'';
    writeFileSync(join(dir, 'a.log'), [...lines.slice(0, 10), long, ...lines.slice(10)].join('\n') + '\n');
    const whole = await runCli(['normalize', join(dir, 'a.log')]);
    assert.equal(whole.code, 0, whole.stderr);
    assert.ok(whole.stdout.includes('y'.repeat(5000)), 'under the default cap the line is whole');
    const cut = await runCli(['normalize', '--max-line-bytes', '2048', join(dir, 'a.log')]);
    assert.equal(cut.code, 0);
    assert.match(cut.stderr, /a\.log:11: line longer than 2048 bytes: kept its first 2048 bytes/);
    assert.match(cut.stderr, /1 line\(s\) longer than 2048 bytes were cut/);
    assert.ok(!cut.stdout.includes('y'.repeat(2100)));
    assert.equal((await runCli(['normalize', '--strict', '--max-line-bytes=2048', join(dir, 'a.log')])).code, 65);
    assert.equal((await runCli(['normalize', '--max-line-bytes', '10', join(dir, 'a.log')])).code, 64);
  });

  it('shows the first 10 bad lines of a file, then only counts the rest', async () => {
    const dir = tempDir('af-norm-');
    const good = readFileSync(auditSample, 'utf8').split('\n').slice(0, 10);
    writeFileSync(join(dir, 'noisy.log'), [...good, ...Array.from({ length: 25 }, (_, i) => `garbage ${i}`)].join('\n') + '\n');
    const { code, stderr } = await runCli(['normalize', join(dir, 'noisy.log')]);
    assert.equal(code, 0);
    assert.equal(stderr.split('\n').filter((l) => /noisy\.log:\d+: not an audit record/.test(l)).length, 10);
    assert.match(stderr, /noisy\.log: 15 more error\(s\) not shown/);
    assert.match(stderr, /25 line\(s\) could not be parsed/);
  });
});
