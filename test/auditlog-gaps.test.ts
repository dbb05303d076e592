// Serial gaps in an audit.log are gaps, not losses: auditd writes only the events its rules
// matched, and the kernel's serials are shared with every event nobody logged. So the auditlog
// input counts them (serial_gaps, serials_skipped) and emits no lost-events records, a gap where
// the file shows auditd stopping, starting, rotating or resuming counts as nothing, and `run` and
// `normalize` make the same records of the same file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { jsonLines, runCli, tempDir } from './support/io.js';
import { sleep, waitFor } from './support/wait.js';
import { createAuditlogInput } from '../src/inputs/auditlog.js';
import { silentLogger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import type { AuditflowError } from '../src/errors.js';
import { collectInto } from './support/collect.js';

const samplePath = fileURLToPath(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url));
const sample = readFileSync(samplePath, 'utf8').split('\n').filter(Boolean);
const cli = fileURLToPath(new URL('./support/run-cli.ts', import.meta.url));

/**
 * The file through the daemon's auditlog input until it is quiet: records, errors, stats. With
 * `lanes` the sink takes events as lines (the input then reads only each line's header), counted
 * as `events`.
 */
async function viaInput(dir: string, text: string, expected: number, lanes = false) {
  const path = join(dir, 'audit.log');
  writeFileSync(path, text);
  const records: NormalizedRecord[] = [];
  const errors: AuditflowError[] = [];
  let events = 0;
  const input = createAuditlogInput(
    { type: 'auditlog', path, poll_interval_ms: 20, reassembly_timeout_ms: 100, resolve_names: false },
    { stateDir: join(dir, 'state'), hostName: 'h', log: silentLogger },
  );
  const sink = collectInto(records, errors);
  await input.start(
    lanes
      ? {
          ...sink,
          lanes: true,
          push: (b) => {
            events += b.events?.shape.filter((n) => n > 0).length ?? 0;
            return sink.push(b);
          },
        }
      : sink,
  );
  try {
    await waitFor(`${expected} records`, () => records.length + events >= expected, 20_000);
    await sleep(400); // past the reassembly timeout: every gap has been settled
    return { records, events, errors, stats: input.stats!() };
  } finally {
    await input.stop();
  }
}

const T = '1795395190';
const exec = (serial: number, comm: string, time = `${T}.${String(serial % 1000).padStart(3, '0')}`) => [
  `type=SYSCALL msg=audit(${time}:${serial}): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=${serial} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="${comm}" exe="/usr/bin/${comm}" key=(null)`,
  `type=PROCTITLE msg=audit(${time}:${serial}): proctitle=6964`,
];
// A gap is counted once it can no longer be an out-of-order arrival; a file's last gaps settle
// when a later event moves the audit clock past the reassembly timeout.
const later = (serial: number) => exec(serial, 'later', '1895395190.000');
const daemonEnd = `type=DAEMON_END msg=audit(${T}.500:7001): op=terminate auid=0 uid=0 ses=1 pid=1 res=success`;
const daemonStart = `type=DAEMON_START msg=audit(${T}.600:8001): op=start ver=3.0.9 format=raw kernel=6.1.0 auid=4294967295 pid=300 uid=0 ses=4294967295 res=success`;
const file = (...parts: (string | string[])[]) => parts.flat().join('\n') + '\n';

describe('audit.log serial gaps', function () {
  this.timeout(60_000);

  it("the sample: every gap counted in the input's stats, no lost-events record", async () => {
    const last = Math.max(...sample.map((l) => Number(/:(\d+)\)/.exec(l)![1])));
    const { records, errors, stats } = await viaInput(tempDir('af-gaps-'), file(sample, later(last + 1)), 301);
    assert.equal(records.length, 301);
    assert.ok(records.every((r) => r.event.action !== 'lost-events'));
    assert.deepEqual(errors, []);
    // the runs of serials the excerpt does not have, between its first and last kernel serial
    const serials = [...new Set(sample.filter((l) => !l.startsWith('type=DAEMON_')).map((l) => Number(/:(\d+)\)/.exec(l)![1])))].sort((a, b) => a - b);
    let gaps = 0,
      skipped = 0;
    for (let i = 1; i < serials.length; i++)
      if (serials[i] - serials[i - 1] > 1) {
        gaps++;
        skipped += serials[i] - serials[i - 1] - 1;
      }
    assert.equal(skipped, 59_666);
    assert.equal(stats.serial_gaps, gaps);
    assert.equal(stats.serials_skipped, skipped);
    assert.equal(stats.lost, undefined);
  });

  it('a gap across auditd stopping and starting again counts as nothing; one after it still counts', async () => {
    const { records, stats } = await viaInput(
      tempDir('af-gaps-'),
      file(exec(10, 'a'), exec(11, 'b'), exec(12, 'c'), daemonEnd, daemonStart, exec(5000, 'd'), exec(5001, 'e'), exec(5003, 'f'), later(5004)),
      9,
    );
    assert.deepEqual(
      records.map((r) => r.event.sequence),
      [10, 11, 12, 7001, 8001, 5000, 5001, 5003, 5004],
    );
    assert.equal(stats.serial_gaps, 1, 'only 5002');
    assert.equal(stats.serials_skipped, 1);
  });

  it('so does a gap across a rotation or a resume written in the file', async () => {
    const rotate = `type=DAEMON_ROTATE msg=audit(${T}.500:7002): op=rotate-logs auid=0 pid=1 subj=unconfined res=success`;
    const resume = `type=DAEMON_RESUME msg=audit(${T}.700:7003): op=resume-logging auid=0 pid=1 subj=unconfined res=success`;
    const { stats } = await viaInput(
      tempDir('af-gaps-'),
      file(exec(10, 'a'), exec(11, 'b'), rotate, exec(400, 'c'), exec(401, 'd'), resume, exec(900, 'e'), exec(901, 'f'), later(902)),
      9,
    );
    assert.equal(stats.serial_gaps, 0);
    assert.equal(stats.serials_skipped, 0);
  });

  it('without the DAEMON records the same jump is one gap; a garbled DAEMON_START (no op=) excuses nothing', async () => {
    const plain = await viaInput(tempDir('af-gaps-'), file(exec(10, 'a'), exec(11, 'b'), exec(5000, 'd'), exec(5001, 'e'), later(5002)), 5);
    assert.equal(plain.stats.serial_gaps, 1);
    assert.equal(plain.stats.serials_skipped, 4988);
    const garbled = await viaInput(
      tempDir('af-gaps-'),
      file(exec(10, 'a'), exec(11, 'b'), `type=DAEMON_START msg=audit(${T}.600:8001): res=success`, exec(5000, 'd'), exec(5001, 'e'), later(5002)),
      6,
    );
    assert.equal(garbled.stats.serial_gaps, 1);
    assert.equal(garbled.stats.serials_skipped, 4988);
  });

  it('read by headers only for lanes, the same files give the same events and the same counts', async () => {
    const rotate = `type=DAEMON_ROTATE msg=audit(${T}.500:7002): op=rotate-logs auid=0 pid=1 subj=unconfined res=success`;
    const garbled = `type=DAEMON_START msg=audit(${T}.600:8001): res=success`;
    const files = [
      file(exec(10, 'a'), exec(11, 'b'), exec(12, 'c'), daemonEnd, daemonStart, exec(5000, 'd'), exec(5001, 'e'), exec(5003, 'f'), later(5004)),
      file(exec(10, 'a'), exec(11, 'b'), rotate, exec(400, 'c'), exec(401, 'd'), later(402)),
      file(exec(10, 'a'), exec(11, 'b'), garbled, exec(5000, 'd'), exec(5001, 'e'), later(5002)),
    ];
    const counts = [9, 6, 6];
    for (let i = 0; i < files.length; i++) {
      const alone = await viaInput(tempDir('af-gaps-'), files[i], counts[i]);
      const laned = await viaInput(tempDir('af-gaps-lanes-'), files[i], counts[i], true);
      assert.equal(laned.events, counts[i]);
      assert.deepEqual(laned.stats, alone.stats);
    }
  });

  it('`run` and `normalize` give the same records of the sample (the daemon adds only its host and context)', async () => {
    const dir = tempDir('af-gaps-run-');
    const log = join(dir, 'audit.log');
    const out = join(dir, 'events.jsonl');
    const config = join(dir, 'auditflow.yaml');
    writeFileSync(log, sample.join('\n') + '\n');
    writeFileSync(
      config,
      [
        `state_dir: ${dir}/state`,
        // context from this host's process table is the daemon's own addition (normalize reads
        // the events alone), as is its host decoration below
        'enrich: { process: false, container: false, hash: false }',
        'inputs:',
        `  - { type: auditlog, path: ${log}, resolve_names: false }`,
        'outputs:',
        `  - { type: file, path: ${out} }`,
        '',
      ].join('\n'),
    );
    const normalized = await runCli(['normalize', '--config', config, log]);
    assert.equal(normalized.code, 0, normalized.stderr);
    const expected = jsonLines(normalized.stdout);
    assert.equal(expected.length, 300);

    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const lines = () => (existsSync(out) ? jsonLines(readFileSync(out, 'utf8')) : []);
    try {
      await waitFor('300 records from run', () => lines().length >= 300, 20_000);
      await sleep(3000); // past the reassembly timeout: anything more would have come by now
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    const shipped = lines();
    for (const r of shipped) {
      assert.equal(r.host?.name, hostname());
      delete r.host;
    }
    assert.deepEqual(shipped, expected);
  });
});
