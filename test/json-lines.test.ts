// The JSON-lines encoder: the bytes of JSON.stringify per record plus "\n", however the batch
// grows, whatever the text holds, and each batch's bytes its own.
import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { JsonLinesEncoder, toJsonLines } from '../src/outputs/json-lines.js';
import type { NormalizedRecord } from '../src/record.js';
import { kRaw } from '../src/record.js';
import { jsonLines, runCli } from './support/io.js';

const auditSample = fileURLToPath(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url));

const rec = (message: string, extra: Partial<NormalizedRecord> = {}): NormalizedRecord => ({
  '@timestamp': '2024-01-01T00:00:00.000Z',
  event: { module: 'auditd', action: 'executed' },
  message,
  ...extra,
});

describe('JSON lines encoder', () => {
  it('writes exactly the UTF-8 of JSON.stringify per line, for every record normalize makes of the real capture', async () => {
    const records = jsonLines((await runCli(['normalize', '--threads', '0', auditSample])).stdout) as NormalizedRecord[];
    assert.ok(records.length > 200);
    assert.deepEqual(new JsonLinesEncoder().encode(records), Buffer.from(toJsonLines(records)));
  });

  it('keeps non-ASCII, escapes, lone surrogates and newlines intact; kRaw stays off the line', () => {
    const records = [
      rec('café → 東京 😀 tab\there "quoted" back\\slash'),
      rec('lone \ud800 high and \udc00 low surrogate'),
      rec('multi\nline\r\nargv\u0000nul\u001f'),
      { ...rec('raw kept off'), [kRaw]: 'type=SYSCALL ...' },
    ];
    const bytes = new JsonLinesEncoder().encode(records);
    assert.deepEqual(bytes, Buffer.from(toJsonLines(records)));
    const lines = bytes.toString('utf8').split('\n');
    assert.equal(lines.length, 5);
    assert.equal(JSON.parse(lines[0]).message, records[0].message);
    assert.equal(JSON.parse(lines[2]).message, 'multi\nline\r\nargv\u0000nul\u001f');
    assert.ok(!lines[3].includes('type=SYSCALL'));
  });

  it('grows past its scratch for a batch of large records, and a taken batch is never overwritten', () => {
    const enc = new JsonLinesEncoder();
    const big = Array.from({ length: 50 }, (_, i) => rec(`${i} ${'€'.repeat(20_000)}`));
    const first = enc.encode(big);
    const copy = Buffer.from(first);
    const second = enc.encode([rec('small'), rec('after')]);
    assert.deepEqual(first, copy);
    assert.deepEqual(first, Buffer.from(toJsonLines(big)));
    assert.equal(second.toString(), toJsonLines([rec('small'), rec('after')]));
    assert.equal(enc.encode([]).length, 0);
  });

  it('hands over bytes that own their memory (a lane transfers them to the main thread)', () => {
    const enc = new JsonLinesEncoder();
    const a = enc.encode([rec('x')]);
    const b = enc.encode([rec('y')]);
    assert.notEqual(a.buffer, b.buffer);
    assert.equal(a.byteOffset, 0);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(a, [a.buffer as ArrayBuffer]);
    port1.close();
    port2.close();
    assert.equal(a.length, 0, 'transferred away');
    assert.equal(b.toString(), toJsonLines([rec('y')]));
  });
});
