import assert from 'node:assert/strict';
import { createDecorator } from '../src/pipeline/decorate.js';
import type { NormalizedRecord } from '../src/record.js';

describe('host decorations', () => {
  const decorate = createDecorator({ name: 'collector-1', id: 'abc123', fields: { env: 'prod', 'service.name': 'audit' } });

  it('a record from this host gets its name, machine id and the static fields', () => {
    const rec: NormalizedRecord = { '@timestamp': '2026-11-28T00:00:00.000Z' } as NormalizedRecord;
    decorate(rec);
    assert.deepEqual(rec.host, { name: 'collector-1', id: 'abc123' });
    assert.deepEqual(rec.labels, { env: 'prod' });
    assert.deepEqual((rec as any).service, { name: 'audit' });
  });

  it('a record that names its own host (a remote sender) keeps it and gets no id of this host', () => {
    const rec = { '@timestamp': '2026-11-28T00:00:00.000Z', host: { name: 'web-7' } } as NormalizedRecord;
    decorate(rec);
    assert.deepEqual(rec.host, { name: 'web-7' });
    assert.deepEqual(rec.labels, { env: 'prod' });
  });
});
