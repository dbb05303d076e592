// The redaction corpus through the real daemon, every source at once, into every sink that keeps
// bytes on this host: the JSON file, the auditd-format log, a syslog output's disk spool (its
// receiver is down), the Elasticsearch dead-letter file (every item refused), the checkpoints and
// the daemon's own log, with event.original and error records on. Afterwards no byte under the
// state and output directories, and nothing the daemon logged, holds a secret, in clear or hex.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/io.js';
import { freeTcpPort } from './support/rsyslog.js';
import { BulkServer } from './support/bulk-server.js';
import { waitFor } from './support/wait.js';
import { auditExecLines, bashLines, corpus, hex, snoopyLines } from './fixtures/redact/sources.js';

const cli = fileURLToPath(new URL('./support/run-cli.ts', import.meta.url));

/** every regular file below dir, as bytes (latin1 keeps each byte a character) */
function allBytes(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...allBytes(p));
    else if (st.isFile()) out.push({ path: p, text: readFileSync(p).toString('latin1') });
  }
  return out;
}

describe('redaction reaches every sink', function () {
  this.timeout(120_000);

  it('no secret of the corpus is left in any file the daemon writes or in its log', async () => {
    const dir = tempDir('af-redact-sinks-');
    const inputs = join(dir, 'in');
    const work = join(dir, 'work');
    mkdirSync(join(inputs, 'home', 'alice'), { recursive: true });
    mkdirSync(work);
    const shapes = corpus.filter((c) => c.secrets.length > 0);
    const audit: string[] = [];
    const snoopy: string[] = [];
    const bash: string[] = [];
    shapes.forEach((s, i) => {
      audit.push(...auditExecLines(['sh', '-c', s.line], 5000 + i));
      snoopy.push(...snoopyLines(`sh -c ${s.line}`));
      bash.push(...bashLines(s.line, 1795395185 + i));
    });
    // an unparseable line that carries a secret: the error and the error record must not quote it
    // (first in the file: later, a line without a header is the previous command's continuation)
    snoopy.unshift('garbage mysql -pLeakInError1 db');
    writeFileSync(join(inputs, 'audit.log'), audit.join('\n') + '\n');
    writeFileSync(join(inputs, 'snoopy.log'), snoopy.join('\n') + '\n');
    writeFileSync(join(inputs, 'home', 'alice', '.bash_history'), bash.join('\n') + '\n');

    const es = new BulkServer();
    es.itemFault = () => ({ status: 400, type: 'mapper_parsing_exception', reason: 'refused by the test' });
    await es.start();
    const deadPort = await freeTcpPort();
    const config = join(dir, 'auditflow.yaml');
    writeFileSync(
      config,
      [
        `state_dir: ${join(work, 'state')}`,
        'error_records: true',
        'inputs:',
        `  - { type: auditlog, path: ${join(inputs, 'audit.log')}, keep_original: true }`,
        `  - { type: snoopy, path: ${join(inputs, 'snoopy.log')}, keep_original: true }`,
        `  - { type: bash, path: "${join(inputs, 'home', '*', '.bash_history')}", keep_original: true }`,
        'outputs:',
        `  - { type: file, path: ${join(work, 'events.jsonl')} }`,
        `  - { type: auditlog, path: ${join(work, 'audit.log')} }`,
        `  - { type: syslog, protocol: tcp, host: 127.0.0.1, port: ${deadPort} }`,
        `  - { type: elasticsearch, url: "${es.url}", retry: { initial_ms: 10, max_ms: 50 } }`,
        '',
      ].join('\n'),
    );

    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d) => {
      log += d;
    });
    child.stderr!.on('data', (d) => {
      log += d;
    });
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    const expected = shapes.length * 3 + 1; // three sources, plus the error record
    const events = () => {
      try {
        return readFileSync(join(work, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    try {
      await waitFor(
        `${expected} records in the file and at Elasticsearch`,
        () => events() >= expected && es.counts.items >= expected,
        60_000,
        () => `file ${events()}, elasticsearch items ${es.counts.items}\n${log.slice(-3000)}`,
      );
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, log);
    await es.stop();

    const files = allBytes(work);
    const names = files.map((f) => f.path.slice(work.length + 1));
    for (const want of ['events.jsonl', 'audit.log', 'state/spool', 'state/dead-letter', 'state/checkpoints']) {
      assert.ok(
        names.some((n) => n.startsWith(want)),
        `${want} was written (${names.join(', ')})`,
      );
    }
    const recs = readFileSync(join(work, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.ok(
      recs.some((r) => r.event.kind === 'pipeline_error'),
      'the unparseable line became an error record',
    );
    assert.ok(recs.filter((r) => r.event.original !== undefined).length >= shapes.length * 3, 'event.original kept');

    const secrets = [...shapes.flatMap((s) => s.secrets), 'LeakInError1'];
    const places = [...files, { path: 'daemon log', text: log }];
    const leaks: string[] = [];
    for (const s of secrets) {
      for (const f of places) {
        if (f.text.includes(s) || f.text.includes(hex(s)) || f.text.includes(hex(s).toLowerCase())) leaks.push(`${JSON.stringify(s)} in ${f.path}`);
      }
    }
    assert.deepEqual(leaks, []);
  });
});
