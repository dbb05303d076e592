// `normalize --threads N`: events parsed and reassembled on the main thread, normalized, filtered
// and serialized in N lanes (worker threads). What it prints must be byte for byte what one
// thread prints, on real logs, across batches and lanes, with bad lines, error records, mixed
// formats and filters that keep state.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines, runCli, tempDir } from './support/io.js';

const fixtures = fileURLToPath(new URL('./fixtures/samples/', import.meta.url));
const auditSample = join(fixtures, 'audit-raw.sample.log');
const peer = fileURLToPath(new URL('../../shared/peer-corpus/', import.meta.url));

/** The same run on one thread and with lanes: same exit code, stdout and stderr. */
async function sameAsOneThread(args: string[], threads = ['1', '2'], stdin = ''): Promise<string> {
  const one = await runCli(['normalize', '--threads', '0', ...args], stdin);
  for (const t of threads) {
    const laned = await runCli(['normalize', '--threads', t, ...args], stdin);
    assert.equal(laned.code, one.code, `--threads ${t}: exit code`);
    assert.equal(laned.stderr, one.stderr, `--threads ${t}: stderr`);
    assert.equal(laned.stdout, one.stdout, `--threads ${t}: stdout`);
  }
  return one.stdout;
}

describe('normalize lanes (--threads)', () => {
  it('print the real capture exactly as one thread does, across several batches and both lanes', async function () {
    this.timeout(60_000);
    const dir = tempDir('af-lanes-');
    // 3 copies: ~3,700 records, some 15 batches of 256 records taking turns between two lanes
    const big = join(dir, 'big.log');
    writeFileSync(big, readFileSync(auditSample, 'utf8').repeat(3));
    const out = await sameAsOneThread([big]);
    assert.equal(jsonLines(out).length, 3 * 300);
    await sameAsOneThread([auditSample]);
    await sameAsOneThread(['--no-redact', '--original', auditSample]);
    await sameAsOneThread(['--resolve-names', '-'], ['2'], readFileSync(auditSample, 'utf8'));
  });

  it('keep bad lines counted and named, and error records in their place among the events', async () => {
    const dir = tempDir('af-lanes-');
    const lines = readFileSync(auditSample, 'utf8').split('\n');
    lines.splice(40, 0, 'type=PATH msg=audit(1.x', 'garbage');
    lines.splice(3000, 0, 'type=SYSCALL msg=audit(1700000000.000:x): arch=c000003e');
    writeFileSync(join(dir, 'bad.log'), `${lines.join('\n')}\n${lines.join('\n')}`);
    writeFileSync(join(dir, 'c.yaml'), 'error_records: true\n');
    const one = await runCli(['normalize', '--threads', '0', '--config', join(dir, 'c.yaml'), join(dir, 'bad.log')]);
    const laned = await runCli(['normalize', '--threads', '2', '--config', join(dir, 'c.yaml'), join(dir, 'bad.log')]);
    assert.equal(laned.code, one.code);
    assert.equal(laned.stderr, one.stderr);
    // a pipeline_error record carries the time it was made; everything else is the same
    const strip = (text: string) => jsonLines(text).map((r) => (r.event.kind === 'pipeline_error' ? { ...r, '@timestamp': '' } : r));
    const recs = strip(laned.stdout);
    assert.deepEqual(recs, strip(one.stdout));
    const errs = recs.filter((r) => r.event.kind === 'pipeline_error');
    assert.equal(errs.length, 6);
    assert.match(errs[0].error.input, /bad\.log:41$/);
    assert.equal(errs[0].error.type, 'AF_ERR_PARSE');
  });

  it('keep files in order when audit logs (lanes) and snoopy / bash history (this thread) alternate', async () => {
    await sameAsOneThread([join(fixtures, 'snoopy-authlog.sample.log'), auditSample, join(fixtures, 'bash_history.sample'), auditSample]);
  });

  it('use one lane for a filter that keeps state, so it still sees every record', async () => {
    const dir = tempDir('af-lanes-');
    writeFileSync(join(dir, 'c.yaml'), 'filters:\n  - filter_chain: "exclude_comm:auditctl"\n');
    const out = await sameAsOneThread(['--config', join(dir, 'c.yaml'), auditSample], ['2']);
    assert.ok(!jsonLines(out).some((r) => r.process?.name === 'auditctl'));
  });

  it("agree with one thread on go-libaudit's and laurel's raw logs", async function () {
    if (!existsSync(peer)) this.skip();
    const files = [
      ...readdirSync(join(peer, 'go-libaudit', 'auparse', 'testdata'))
        .filter((f) => f.endsWith('.log'))
        .map((f) => join(peer, 'go-libaudit', 'auparse', 'testdata', f)),
      ...readdirSync(join(peer, 'go-libaudit', 'testdata'))
        .filter((f) => f.endsWith('.log'))
        .map((f) => join(peer, 'go-libaudit', 'testdata', f)),
      ...readdirSync(join(peer, 'laurel', 'testdata'))
        .filter((f) => f.endsWith('.txt'))
        .map((f) => join(peer, 'laurel', 'testdata', f)),
    ].filter((f) => readFileSync(f, 'utf8').includes('msg=audit('));
    assert.ok(files.length > 10);
    await sameAsOneThread(['--from', 'auditlog', ...files], ['2']);
  });

  it('refuses a --threads that is not a small count', async () => {
    for (const bad of ['x', '-1', '17', '1.5']) {
      const { code, stderr } = await runCli(['normalize', '--threads', bad, auditSample]);
      assert.equal(code, 64, bad);
      assert.match(stderr, /--threads must be an integer from 0 to 16/);
    }
  });
});
