import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { AuditStream } from '../src/audit/stream.js';
import { AuditlogOutput, rawLine } from '../src/outputs/auditlog.js';
import { parseLine, isFailure } from '../src/audit/record.js';
import { kRaw, type NormalizedRecord } from '../src/record.js';

const sample = fileURLToPath(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url));

function eventsOf(text: string): NormalizedRecord[] {
  const out: NormalizedRecord[] = [];
  const s = new AuditStream({
    resolveNames: false,
    onRecord: (r) => out.push(r),
    onError: (w, m) => {
      throw new Error(`${w}: ${m}`);
    },
  });
  text.split('\n').forEach((l, i) => s.line(l, `sample:${i + 1}`));
  s.flush();
  return out;
}

function hasAusearch(): boolean {
  return spawnSync('ausearch', ['--version']).status === 0;
}

describe('auditlog output (auditd RAW format)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'af-alog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a record back exactly as auditd wrote it', () => {
    for (const line of [
      'type=SYSCALL msg=audit(1795395184.672:94972): arch=c000003e syscall=44 success=yes exit=60',
      'type=PROCTITLE msg=audit(1795395184.005:7): proctitle=2F62696E2F7368',
      'node=web1 type=USER_LOGIN msg=audit(1795395184.090:8): pid=1 uid=0 msg=\'op=login acct="bob" res=success\'',
    ]) {
      const r = parseLine(line);
      assert.ok(!isFailure(r));
      assert.equal(rawLine(r, undefined), line);
    }
  });

  it('round-trips the Debian capture: same lines, each event together, and ausearch -if reads every event', async function () {
    const input = readFileSync(sample, 'utf8');
    const events = eventsOf(input);
    const file = path.join(dir, 'log', 'audit.log');
    const out = new AuditlogOutput({ type: 'auditlog', path: file }, { hostName: 'h' });
    await out.start();
    await out.write(events.slice(0, 100));
    await out.write(events.slice(100));
    await out.close();
    const want = input.split('\n').filter((l) => l.length > 0);
    const got = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    assert.deepEqual([...got].sort(), [...want].sort(), 'every line of the capture, byte for byte');
    // records of one event are written together
    const serials = got.map((l) => /msg=audit\([\d.]+:(\d+)\)/.exec(l)![1]);
    const seen = new Set<string>();
    for (let i = 0; i < serials.length; i++) {
      if (i > 0 && serials[i] !== serials[i - 1]) assert.ok(!seen.has(serials[i]), `event ${serials[i]} written in one piece`);
      seen.add(serials[i]);
    }
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);

    if (!hasAusearch()) {
      if (process.env.CI === 'true') throw new Error('ausearch missing: install auditd');
      this.skip();
    }
    const r = spawnSync('ausearch', ['-if', file, '--raw'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const found = r.stdout.split('\n').filter((l) => l.startsWith('type=') || l.startsWith('node='));
    assert.deepEqual([...found].sort(), [...want].sort(), 'ausearch finds every record');
    // and finds a given event by its serial
    const one = spawnSync('ausearch', ['-if', file, '-a', serials[10]], { encoding: 'utf8' });
    assert.equal(one.status, 0);
    assert.match(one.stdout, new RegExp(`msg=audit\\([\\d.]+:${serials[10]}\\)`));
  });

  it('prefixes node= like name_format, and skips records that have no audit records behind them', async () => {
    const events = eventsOf(readFileSync(sample, 'utf8')).slice(0, 3);
    const file = path.join(dir, 'audit.log');
    const out = new AuditlogOutput({ type: 'auditlog', path: file, node: true }, { hostName: 'host-a' });
    await out.start();
    const bash: NormalizedRecord = { '@timestamp': '2026-01-01T00:00:00.000Z', event: { module: 'bash', action: 'executed' }, [kRaw]: 'ls -l' };
    await out.write([...events, bash]);
    await out.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.ok(lines.every((l) => l.startsWith('node=host-a type=')));
    assert.equal(out.stats().skipped, 1);
    assert.equal(
      lines.length,
      events.reduce((n, e) => n + (e[kRaw] as unknown[]).length, 0),
    );
  });

  it('rotates like auditd: audit.log → .1 → .2, at most num_logs files, whole events, mode 0600', async () => {
    const events = eventsOf(readFileSync(sample, 'utf8'));
    const file = path.join(dir, 'audit.log');
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    const out = new AuditlogOutput({ type: 'auditlog', path: file, max_log_file: 16 / 1024, num_logs: 3 }, { hostName: 'h' });
    await out.start();
    assert.equal(statSync(file).mode & 0o777, 0o600, 'an existing file is made 0600');
    for (const e of events) await out.write([e]);
    await out.close();
    assert.ok(out.stats().rotations >= 3);
    assert.ok(existsSync(`${file}.1`) && existsSync(`${file}.2`));
    assert.ok(!existsSync(`${file}.3`), 'num_logs 3: current + .1 + .2');
    const biggest = Math.max(...events.map((e) => (e[kRaw] as never[]).reduce((n, r) => n + Buffer.byteLength(rawLine(r, undefined)) + 1, 0)));
    for (const f of [file, `${file}.1`, `${file}.2`]) {
      assert.equal(statSync(f).mode & 0o777, 0o600, f);
      // a file may run over the limit by less than one event (rotation happens between events)
      assert.ok(statSync(f).size < 16 + biggest, `${f} is ${statSync(f).size} bytes`);
    }
    // the newest records are in audit.log, older ones in .1, older still in .2
    const lastSerial = (f: string) => Number(/:(\d+)\)/.exec(readFileSync(f, 'utf8').trimEnd().split('\n').pop()!)![1]);
    const firstTime = (f: string) => Number(/audit\(([\d.]+):/.exec(readFileSync(f, 'utf8'))![1]);
    assert.ok(firstTime(`${file}.2`) <= firstTime(`${file}.1`) && firstTime(`${file}.1`) <= firstTime(file));
    assert.ok(lastSerial(file) > 0);
    const all = [file, `${file}.1`, `${file}.2`].map((f) => readFileSync(f, 'utf8')).join('');
    const tail = events.slice(-3).flatMap((e) => (e[kRaw] as never[]).map((r) => rawLine(r, undefined)));
    for (const l of tail) assert.ok(all.includes(l + '\n'), 'the latest events survive rotation');
  });

  it('reopens the file after it was moved away (logrotate)', async () => {
    const events = eventsOf(readFileSync(sample, 'utf8')).slice(0, 4);
    const file = path.join(dir, 'audit.log');
    const out = new AuditlogOutput({ type: 'auditlog', path: file }, { hostName: 'h' });
    await out.start();
    await out.write(events.slice(0, 2));
    spawnSync('mv', [file, `${file}.old`]);
    await out.reopen();
    await out.write(events.slice(2));
    await out.close();
    assert.ok(readFileSync(`${file}.old`, 'utf8').length > 0);
    const n = events.slice(2).reduce((k, e) => k + (e[kRaw] as unknown[]).length, 0);
    assert.equal(readFileSync(file, 'utf8').trimEnd().split('\n').length, n);
  });
});
