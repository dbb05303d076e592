// One reader layer: `normalize` and the daemon's file inputs cut bytes into lines and guess formats
// with the same code (src/inputs/read/), so the same bytes must give the same records and the same
// errors. Each sample (and files with CRLF, bytes that are not UTF-8 and an over-long line) goes
// through `normalize --no-redact --resolve-names` and through the input the daemon builds for its
// format (with its defaults: it resolves names, and redaction is a filter after the input).
//
// What legitimately differs: snoopy's own file format carries no time, so its entries are stamped
// with the time they were read; their @timestamp is compared only as "a time during the test".
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines, runCli, tempDir } from './support/io.js';
import { sleep, waitFor } from './support/wait.js';
import { inputDefs } from '../src/inputs/index.js';
import { sniffFormat } from '../src/inputs/read/format.js';
import { silentLogger } from '../src/log.js';
import type { AuditflowError } from '../src/errors.js';
import type { Input } from '../src/pipeline/types.js';

const samples = fileURLToPath(new URL('./fixtures/samples/', import.meta.url));

/** The file through the daemon's input for `format`: its records (as JSON would carry them) and errors. */
async function viaInput(path: string, format: string, stateDir: string, expected: number) {
  const def = inputDefs.find((d) => d.type === format)!;
  const records: Record<string, any>[] = [];
  const errors: AuditflowError[] = [];
  const input: Input = def.build({ type: format, path, poll_interval_ms: 20 }, { stateDir, hostName: 'h', log: silentLogger });
  await input.start({
    push: async (b) => {
      for (const r of b.records) records.push(JSON.parse(JSON.stringify(r)));
      b.ack?.();
    },
    error: (e) => errors.push(e),
  });
  try {
    await waitFor(`${expected} records of ${path}`, () => records.length >= expected, 15_000);
    await sleep(300); // nothing more comes
  } finally {
    await input.stop();
  }
  return { records, errors: errors.map((e) => e.message) };
}

async function viaNormalize(path: string) {
  // names resolved like the auditlog input does by default (normalize leaves them out unless asked)
  const { stdout, stderr } = await runCli(['normalize', '--no-redact', '--resolve-names', path]);
  const errors = stderr
    .split('\n')
    .filter((l) => /^auditflow: .+:\d+: /.test(l))
    .map((l) => l.slice('auditflow: '.length));
  return { records: jsonLines(stdout), errors };
}

const crlf = (lines: string[]) => Buffer.from(lines.map((l) => l + '\r\n').join(''));

describe('one reader layer: normalize and the file inputs give the same records', function () {
  this.timeout(120_000);
  const dir = tempDir('af-reader-');

  // Edge files: CRLF line ends, bytes that are not UTF-8 inside a line, a line over the 1 MiB cap.
  const snoopyLines = readFileSync(join(samples, 'snoopy-file.sample.log'), 'utf8').split('\n').filter(Boolean);
  const auditLines = readFileSync(join(samples, 'audit-raw.sample.log'), 'utf8').split('\n').filter(Boolean).slice(0, 200);
  const prefix = snoopyLines[0].slice(0, snoopyLines[0].indexOf(']: ') + 3);
  writeFileSync(
    join(dir, 'snoopy-edge.log'),
    Buffer.concat([
      crlf(snoopyLines.slice(0, 20)),
      Buffer.from(prefix + 'echo caf'),
      Buffer.from([0xe9, 0xff, 0x20]),
      Buffer.from('\u00e9t\u00e9\r\n'),
      Buffer.from(prefix + 'echo ' + 'x'.repeat(1_500_000) + '\r\n'),
      crlf(snoopyLines.slice(20, 40)),
    ]),
  );
  writeFileSync(
    join(dir, 'audit-edge.log'),
    Buffer.concat([
      crlf(auditLines.slice(0, 100)),
      Buffer.from('type=USER_CMD msg=audit(1795395999.100:99999): pid=1 uid=0 auid=0 ses=1 msg=\'cwd="/caf'),
      Buffer.from([0xe9, 0xfe]),
      Buffer.from('" cmd=6C73 exe="/usr/bin/sudo" res=success\'\r\n'),
      Buffer.from('type=USER_CMD msg=audit(1795395999.200:99998): pid=1 uid=0 auid=0 ses=1 msg=\'cwd="/' + 'y'.repeat(1_200_000) + '" res=success\'\n'),
      crlf(auditLines.slice(100)),
    ]),
  );

  const files = [...readdirSync(samples).map((n) => join(samples, n)), join(dir, 'snoopy-edge.log'), join(dir, 'audit-edge.log')];
  for (const file of files) {
    it(file.slice(file.lastIndexOf('/') + 1), async () => {
      const head = readFileSync(file).subarray(0, 65536).toString('latin1').split('\n', 16);
      const format = sniffFormat(head)!;
      assert.ok(format, 'the shared guess names a format');
      const n = await viaNormalize(file);
      assert.ok(n.records.length > 0);
      const i = await viaInput(file, format, join(dir, 'state', format + n.records.length), n.records.length);
      assert.equal(i.records.length, n.records.length);
      if (format === 'snoopy' && readFileSync(file, 'latin1').startsWith('[')) {
        for (const r of [...i.records, ...n.records]) {
          assert.ok(Math.abs(Date.parse(r['@timestamp']) - Date.now()) < 120_000, 'stamped when read');
          delete r['@timestamp'];
        }
      }
      assert.deepEqual(i.records, n.records);
      assert.deepEqual(i.errors, n.errors);
      if (file.endsWith('-edge.log')) {
        assert.ok(
          n.errors.some((e) => /longer than 1048576 bytes/.test(e)),
          'the over-long line is cut and reported',
        );
        assert.ok(JSON.stringify(n.records).includes('\\\\xe9'), 'bytes that are not UTF-8 show as \\xNN');
        assert.ok(!JSON.stringify(n.records).includes('\\r'), 'CRLF line ends leave no CR behind');
      }
    });
  }

  it('a file input says once when its file looks like another format (the same guess as normalize)', async () => {
    const stateDir = join(dir, 'state-mismatch');
    const def = inputDefs.find((d) => d.type === 'snoopy')!;
    const errors: AuditflowError[] = [];
    const input: Input = def.build(
      { type: 'snoopy', path: join(samples, 'audit-raw.sample.log'), poll_interval_ms: 20 },
      { stateDir, hostName: 'h', log: silentLogger },
    );
    await input.start({
      push: async (b) => {
        b.ack?.();
      },
      error: (e) => errors.push(e),
    });
    try {
      await waitFor('the mismatch reported', () => errors.some((e) => /looks like/.test(e.message)), 15_000);
      await sleep(200); // time for a second report, which must not come
    } finally {
      await input.stop();
    }
    const said = errors.filter((e) => /looks like/.test(e.message));
    assert.equal(said.length, 1);
    assert.equal(said[0].message, `${join(samples, 'audit-raw.sample.log')}: looks like an audit.log, not a snoopy log: is the input's type right?`);
  });
});
