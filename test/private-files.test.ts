// What auditflow keeps in its state dir (spooled records, dead letters) is as private as
// audit.log: files 0600, directories 0700, including ones an older version left with other modes.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from '../src/outputs/spool/index.js';
import { DeadLetterFile } from '../src/outputs/elasticsearch/dead-letter.js';
import { silentLogger } from '../src/log.js';

const modeOf = (p: string) => statSync(p).mode & 0o777;

describe('state dir files are private', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'auditflow-private-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('a new spool: directories 0700, segments and cursor 0600', async () => {
    const dir = join(stateDir, 'spool', 'syslog_tcp');
    const spool = new DiskSpool(dir, 65536, false, silentLogger);
    await spool.open();
    await spool.append('{"a":1}\n{"a":2}\n', 2);
    const r = await spool.read(1);
    await spool.commit(r!, 1);
    await spool.prepend('{"a":0}\n', 1);
    await spool.close();
    assert.equal(modeOf(join(stateDir, 'spool')), 0o700);
    assert.equal(modeOf(dir), 0o700);
    const files = readdirSync(dir);
    assert.ok(files.includes('cursor.json') && files.filter((f) => f.endsWith('.jsonl')).length === 2, files.join(' '));
    for (const f of files) assert.equal(modeOf(join(dir, f)), 0o600, f);
  });

  it('a spool an older version left world-readable is made private when opened', async () => {
    const dir = join(stateDir, 'spool', 'es');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(join(stateDir, 'spool'), 0o755);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, '500000000000.jsonl'), '{"a":1}\n', { mode: 0o644 });
    writeFileSync(join(dir, 'cursor.json'), '{"version":1,"done":{}}', { mode: 0o644 });
    const spool = new DiskSpool(dir, 65536, false, silentLogger);
    await spool.open();
    assert.equal(spool.records, 1);
    await spool.close();
    assert.equal(modeOf(join(stateDir, 'spool')), 0o700);
    assert.equal(modeOf(dir), 0o700);
    for (const f of readdirSync(dir)) assert.equal(modeOf(join(dir, f)), 0o600, f);
  });

  it('dead letters: a new directory 0700 and the file 0600, an existing 0644 file fixed', async () => {
    const path = join(stateDir, 'dead-letter', 'es.jsonl');
    const dl = new DeadLetterFile(path, 'es');
    const item = { status: 400, type: 'mapper_parsing_exception', reason: 'bad', index: 'auditflow', id: 'x1', doc: '{"a":1}' };
    await dl.write([item]);
    assert.equal(modeOf(join(stateDir, 'dead-letter')), 0o700);
    assert.equal(modeOf(path), 0o600);
    const old = join(stateDir, 'old.jsonl');
    writeFileSync(old, '', { mode: 0o644 });
    chmodSync(old, 0o644);
    await new DeadLetterFile(old, 'es').write([item]);
    assert.equal(modeOf(old), 0o600);
  });
});
