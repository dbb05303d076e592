// The daemon's file inputs show per-line warnings as `normalize` does: the first 10 of a file,
// then a count (at most once a minute, and at stop), while every error is still counted.
import assert from 'node:assert/strict';
import { waitFor } from './support/wait.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WarningLimiter, fileOf } from '../src/inputs/warning-limit.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { createAuditlogInput } from '../src/inputs/auditlog.js';
import { createLogger } from '../src/log.js';
import { tempDir } from './support/io.js';

describe('per-file warning limit', () => {
  it('shows the first 10 of each file, then says how many it kept back once per interval', () => {
    let now = 0;
    const w = new WarningLimiter(10, 60_000, () => now);
    const shown = (where: string, n: number) => Array.from({ length: n }, () => w.take(where).show).filter(Boolean).length;
    assert.equal(shown('/var/log/a.log:1', 25), 10);
    assert.equal(shown('/var/log/b.log:7', 3), 3, 'another file has its own ten');
    now = 59_999;
    assert.deepEqual(w.take('/var/log/a.log:30'), { show: false });
    now = 60_000;
    assert.deepEqual(w.take('/var/log/a.log:31'), { show: false, summary: '/var/log/a.log: 17 more warning(s) not shown (the first 10 of a file are)' });
    w.take('/var/log/a.log:32');
    assert.deepEqual(w.flush(), ['/var/log/a.log: 1 more warning(s) not shown (the first 10 of a file are)']);
    assert.deepEqual(w.flush(), [], 'nothing kept back since');
  });

  it('knows the file of "file:line", and leaves other places whole', () => {
    assert.equal(fileOf('/var/log/audit/audit.log:1234'), '/var/log/audit/audit.log');
    assert.equal(fileOf('/tmp/x:y.log'), '/tmp/x:y.log');
    assert.equal(fileOf('netlink type 1300'), 'netlink type 1300');
    assert.equal(fileOf('/var/log/a.log:'), '/var/log/a.log:');
  });

  it('the daemon: 40 garbage lines in an audit.log give 10 warnings, a count at stop, and 40 errors counted', async function () {
    this.timeout(20_000);
    const dir = tempDir('af-warn-');
    const log = join(dir, 'audit.log');
    writeFileSync(log, Array.from({ length: 40 }, (_, i) => `garbage line ${i}`).join('\n') + '\n');
    const lines: string[] = [];
    const logger = createLogger('warn', (l) => lines.push(l));
    const pipeline = new Pipeline({ filters: [], outputs: [], log: logger });
    await pipeline.start();
    const input = createAuditlogInput({ type: 'auditlog', path: log, poll_interval_ms: 20 }, { stateDir: join(dir, 'state'), hostName: 'h', log: logger });
    await input.start(pipeline.sinkFor(input));
    await waitFor(
      '40 input errors',
      () => pipeline.counters.inputErrors >= 40,
      10_000,
      () => pipeline.counters,
    );
    await input.stop();
    await pipeline.stop(Date.now() + 1000);
    assert.equal(pipeline.counters.inputErrors, 40);
    const notRecord = lines.filter((l) => l.includes('not an audit record'));
    assert.equal(notRecord.length, 10);
    assert.ok(notRecord[0].includes(`${log}:1: `), notRecord[0]);
    assert.deepEqual(
      lines.filter((l) => l.includes('not shown')),
      [`auditflow warn: ${log}: 30 more warning(s) not shown (the first 10 of a file are)\n`],
    );
  });
});
