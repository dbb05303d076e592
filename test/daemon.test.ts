// `auditflow run` as its own process, on file inputs (no kernel): records flow to the file
// output, the metrics endpoint and `status` report the same numbers, a second daemon is refused,
// a bad config on SIGHUP leaves the running one in place, SIGTERM stops cleanly.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { startDaemon } from './support/daemon-process.js';
import { tempDir, writtenJsonLines } from './support/io.js';
import { waitFor } from './support/wait.js';
import { join } from 'node:path';
import { fetchStatus } from '../src/metrics/index.js';

const sample = readFileSync(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean);

const serials = (lines: string[]) => new Set(lines.map((l) => /audit\(\d+\.\d+:(\d+)\)/.exec(l)![1]));

const start = startDaemon;

describe('auditflow run (file inputs)', function () {
  this.timeout(60_000);

  it('ships a tailed audit.log, reports counters, refuses a second daemon, survives a bad reload, stops on SIGTERM', async () => {
    const dir = tempDir('af-daemon-');
    const log = join(dir, 'audit.log');
    const out = join(dir, 'events.jsonl');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const config = join(dir, 'auditflow.yaml');
    const first = sample.slice(0, 600),
      second = sample.slice(600);
    writeFileSync(log, first.join('\n') + '\n');
    writeFileSync(
      config,
      [
        `state_dir: ${dir}/state`,
        'log_level: info',
        `metrics: { listen: "127.0.0.1:${port}" }`,
        'inputs:',
        `  - { type: auditlog, path: ${log} }`,
        'filters:',
        '  - filter_chain: "exclude_comm:auditctl"',
        'outputs:',
        `  - { type: file, path: ${out} }`,
        '',
      ].join('\n'),
    );
    const wanted = (lines: string[]) => [...serials(lines)].filter((s) => !lines.some((l) => l.includes(`:${s})`) && l.includes('comm="auditctl"')));

    const d = start(config);
    try {
      await waitFor('the first part', () => writtenJsonLines(out).filter((r) => r.event.action !== 'lost-events').length >= wanted(first).length, 20_000);
      const again = start(config);
      assert.equal(await again.exited, 75, again.stderr());
      assert.match(again.stderr(), /already running as pid \d+/);

      appendFileSync(log, second.join('\n') + '\n');
      const all = wanted(sample);
      const events = () => writtenJsonLines(out).filter((r) => r.event.action !== 'lost-events');
      await waitFor('every event', () => events().length >= all.length, 20_000);
      const recs = events();
      assert.deepEqual(new Set(recs.map((r) => String(r.event.sequence))), new Set(all));
      assert.ok(
        recs.every((r) => r.process?.name !== 'auditctl'),
        'the filter chain ran',
      );
      assert.ok(
        recs.every((r) => typeof r.host?.name === 'string'),
        'host decoration',
      );

      const status = await fetchStatus(`127.0.0.1:${port}`);
      const p = status.pipeline as { recordsOut: number; dropped: number };
      assert.equal(p.recordsOut, writtenJsonLines(out).length);
      assert.equal(p.dropped, serials(sample).size - all.length);

      writeFileSync(config, 'outputs: [ { type: nowhere } ]\n');
      d.child.kill('SIGHUP');
      await waitFor('the refused reload', () => /keeping the running config/.test(d.stderr()), 20_000);
      assert.equal((await fetchStatus(`127.0.0.1:${port}`)).pid, d.child.pid);

      d.child.kill('SIGTERM');
      assert.equal(await d.exited, 0, d.stderr());
      assert.equal(existsSync(join(dir, 'state', 'auditflow.pid')), false);
    } finally {
      d.child.kill('SIGKILL');
    }
  });

  it('lowers its nice value by priority_boost at start, as auditd does (4 unless configured)', async function () {
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') assert.fail('CI runs the tests as root: raising a priority needs it');
      this.skip();
    }
    const niceOf = (pid: number) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const mine = niceOf(process.pid);
    for (const [extra, boost] of [
      ['', 4],
      ['priority_boost: 0', 0],
      ['priority_boost: 7', 7],
    ] as const) {
      const dir = tempDir('af-daemon-nice-');
      const log = join(dir, 'audit.log');
      const out = join(dir, 'events.jsonl');
      writeFileSync(log, sample.slice(0, 20).join('\n') + '\n');
      const config = join(dir, 'auditflow.yaml');
      writeFileSync(
        config,
        [`state_dir: ${dir}/state`, extra, 'inputs:', `  - { type: auditlog, path: ${log} }`, 'outputs:', `  - { type: file, path: ${out} }`, ''].join('\n'),
      );
      const d = start(config);
      try {
        await waitFor('its first records', () => existsSync(out) && writtenJsonLines(out).length > 0, 20_000, d.stderr);
        assert.equal(niceOf(d.child.pid!), Math.max(-20, mine - boost), `${extra || 'default'}: ${d.stderr()}`);
        d.child.kill('SIGTERM');
        assert.equal(await d.exited, 0, d.stderr());
      } finally {
        d.child.kill('SIGKILL');
      }
    }
  });
});
