import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, readdirSync, statSync, renameSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOutput, fileOutput } from '../src/outputs/file.js';
import { execRecord, records } from './support/records.js';

const seqsOf = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).event.sequence as number);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => 1000 + from + i);

describe('file output', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'auditflow-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one JSON line per record, multi-line argv included, to a new 0600 file', async () => {
    const path = join(dir, 'sub', 'events.jsonl');
    const out = new FileOutput({ type: 'file', path });
    await out.start();
    const rec = execRecord(1, { args: ['/bin/sh', '-c', 'a\nb\r\nc'] });
    await out.write([rec, execRecord(2)]);
    await out.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.deepEqual(JSON.parse(lines[0]), rec);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('rotates by size keeping `keep` files, newest in path.1, nothing split or duplicated', async () => {
    const path = join(dir, 'events.jsonl');
    const out = new FileOutput({ type: 'file', path, rotate: { max_bytes: 20000, keep: 3 }, fsync: 'never' });
    await out.start();
    for (let b = 0; b < 100; b++) await out.write(records(5, b * 5));
    await out.close();
    assert.deepEqual(readdirSync(dir).sort(), ['events.jsonl', 'events.jsonl.1', 'events.jsonl.2', 'events.jsonl.3']);
    for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= 20000, f);
    const kept = [...seqsOf(`${path}.3`), ...seqsOf(`${path}.2`), ...seqsOf(`${path}.1`), ...seqsOf(path)];
    assert.equal(kept.at(-1), 1499);
    assert.deepEqual(kept, range(500 - kept.length, kept.length), 'the newest records, contiguous, in order');
    assert.ok(out.stats().rotations >= 4);
  });

  it('rotates by age (clock injected), and keep: 0 keeps no old file', async () => {
    let now = 1_000_000;
    const path = join(dir, 'events.jsonl');
    const out = new FileOutput({ type: 'file', path, rotate: { interval_s: 3600, keep: 2 } }, { now: () => now });
    await out.start();
    await out.write(records(2));
    now += 3599_000;
    await out.write(records(2, 2));
    assert.equal(out.stats().rotations, 0);
    now += 1000;
    await out.write(records(2, 4));
    await out.close();
    assert.deepEqual(seqsOf(`${path}.1`), range(0, 4));
    assert.deepEqual(seqsOf(path), range(4, 2));
    const path2 = join(dir, 'only.jsonl');
    const o2 = new FileOutput({ type: 'file', path: path2, rotate: { max_bytes: 2048, keep: 0 } });
    await o2.start();
    for (let i = 0; i < 5; i++) await o2.write(records(1, i));
    await o2.close();
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('only')),
      ['only.jsonl'],
    );
    assert.deepEqual(seqsOf(path2), [1004]);
  });

  it('reopen() after logrotate moved the file writes to a fresh file at the path', async () => {
    const path = join(dir, 'events.jsonl');
    const out = new FileOutput({ type: 'file', path });
    await out.start();
    await out.write(records(3));
    renameSync(path, `${path}-20261123`);
    await out.write(records(1, 3)); // still the moved file, as for any appender
    await out.reopen();
    await out.write(records(2, 4));
    await out.close();
    assert.deepEqual(seqsOf(`${path}-20261123`), range(0, 4));
    assert.deepEqual(seqsOf(path), range(4, 2));
  });

  it('fsync policy: after every batch, or never', async () => {
    const a = new FileOutput({ type: 'file', path: join(dir, 'a.jsonl'), fsync: 'batch' });
    const b = new FileOutput({ type: 'file', path: join(dir, 'b.jsonl'), fsync: 'never' });
    for (const o of [a, b]) {
      await o.start();
      for (let i = 0; i < 4; i++) await o.write(records(2, i * 2));
      await o.close();
    }
    assert.equal(a.stats().fsyncs, 4);
    assert.equal(b.stats().fsyncs, 0);
  });

  it('an unwritable path is a clear output error naming the file', async function () {
    if (process.getuid?.() === 0) {
      // root writes anywhere: use a path below a regular file instead
      const blocker = join(dir, 'file');
      const o0 = new FileOutput({ type: 'file', path: blocker });
      await o0.start();
      await o0.close();
      const out = new FileOutput({ type: 'file', path: join(blocker, 'events.jsonl') });
      await assert.rejects(out.start(), (e: any) => e.code === 'AF_ERR_OUTPUT' && e.message.includes(join(blocker, 'events.jsonl')));
      return;
    }
    chmodSync(dir, 0o500);
    const out = new FileOutput({ type: 'file', path: join(dir, 'events.jsonl') });
    await assert.rejects(out.start(), (e: any) => e.code === 'AF_ERR_OUTPUT');
  });

  it('its schema rejects unknown keys and takes rotate/fsync/queue', async () => {
    const { Ajv } = await import('ajv');
    const v = new Ajv({ strict: false }).compile(fileOutput.schema);
    assert.equal(v({ type: 'file', path: '/x', rotate: { max_bytes: 1048576, keep: 3 }, fsync: 'batch', queue: { memory_records: 100 } }), true);
    assert.equal(v({ type: 'file', path: '/x', rotate: { size: 1 } }), false);
    assert.equal(v({ type: 'file', path: '/x', colour: 'red' }), false);
  });
});
