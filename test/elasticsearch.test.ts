import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElasticsearchOutput, documentId, parseBulkResponse, type ElasticsearchConfig } from '../src/outputs/elasticsearch/index.js';
import { silentLogger } from '../src/log.js';
import { BulkServer } from './support/bulk-server.js';
import { execRecord, records } from './support/records.js';
import { makePki, needTool } from './support/rsyslog.js';
import { waitFor } from './support/wait.js';

describe('elasticsearch output against a _bulk test server', function () {
  this.timeout(30000);
  let server: BulkServer;
  let stateDir: string;
  const outs: ElasticsearchOutput[] = [];
  const make = (cfg: Partial<ElasticsearchConfig> = {}) => {
    const o = new ElasticsearchOutput(
      { type: 'elasticsearch', url: server.url, retry: { initial_ms: 10, max_ms: 50 }, batch: { timeout_ms: 0 }, ...cfg },
      { stateDir, hostName: 'testhost', log: silentLogger },
    );
    outs.push(o);
    return o;
  };
  beforeEach(async () => {
    server = new BulkServer();
    await server.start();
    stateDir = mkdtempSync(join(tmpdir(), 'auditflow-es-'));
  });
  afterEach(async () => {
    for (const o of outs.splice(0)) await o.close(Date.now() + 200).catch(() => {});
    await server.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('installs the ECS index template, then sends documented _bulk create requests into logs-auditflow-default', async () => {
    const out = make();
    await out.start();
    const recs = records(20);
    await out.write(recs);
    assert.equal(server.requests[0].method, 'PUT');
    assert.equal(server.requests[0].url, '/_index_template/logs-auditflow');
    const tpl = JSON.parse(server.requests[0].body);
    assert.deepEqual(tpl.index_patterns, ['logs-auditflow-*']);
    assert.deepEqual(tpl.data_stream, {});
    assert.equal(tpl.priority, 200);
    assert.equal(tpl.template.mappings.properties['@timestamp'].type, 'date');
    assert.equal(tpl.template.mappings.properties.source.properties.ip.type, 'ip');
    const bulk = server.requests[1];
    assert.equal(bulk.method, 'POST');
    assert.equal(bulk.url, '/_bulk');
    assert.equal(bulk.headers['content-type'], 'application/x-ndjson');
    assert.ok(bulk.body.endsWith('\n'));
    const lines = bulk.body.slice(0, -1).split('\n');
    assert.equal(lines.length, 40);
    assert.deepEqual(JSON.parse(lines[0]), { create: { _index: 'logs-auditflow-default', _id: documentId(recs[0], JSON.stringify(recs[0])) } });
    assert.deepEqual(JSON.parse(lines[1]), recs[0]);
    const stored = server.index('logs-auditflow-default');
    assert.equal(stored.size, 20);
    assert.deepEqual(
      [...stored.values()].map((d) => d.event.sequence),
      recs.map((r) => r.event.sequence),
    );
    assert.equal(out.stats().records_out, 20);
  });

  it('gives a replayed record the same _id, so the cluster answers 409 and it counts as delivered', async () => {
    const a = make();
    await a.write(records(10));
    // a second daemon life (restart, audit.log re-read) ships the same events again
    const b = make();
    await b.write(records(15));
    assert.equal(server.index('logs-auditflow-default').size, 15);
    assert.equal(server.counts.conflicts, 10);
    assert.deepEqual([b.stats().records_out, b.stats().duplicates, b.stats().dead_lettered], [5, 10, 0]);
    // different events with the same serial on another node are different documents
    const other = execRecord(0);
    other.audit!.node = 'otherhost';
    assert.notEqual(documentId(other, JSON.stringify(other)), documentId(execRecord(0), JSON.stringify(execRecord(0))));
  });

  it('mixed item answers: retries only 429/5xx items, dead-letters 400s with the reason, counts 409s as delivered', async () => {
    const pre = make();
    await pre.write(records(10)); // sequences 1000..1009 exist already → 409 later
    server.itemFault = (doc, _id, attempt) => {
      const s = doc.event.sequence % 10;
      if (s === 1 && attempt <= 2) return { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' };
      if (s === 2) return { status: 400, type: 'document_parsing_exception', reason: `failed to parse field [process.pid] of type [long] in document` };
      if (s === 3 && attempt === 1) return { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' };
      return undefined;
    };
    server.attempts.clear();
    const out = make();
    await out.write(records(50)); // 1000..1049
    const st = out.stats();
    // s=2: 1012..1042 step 10 → 4 dead (1002 existed: its 400 is injected before the 409 check)
    const expectDead = [1002, 1012, 1022, 1032, 1042];
    const dl = readFileSync(join(stateDir, 'dead-letter', `${out.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      dl.map((d) => d.record.event.sequence),
      expectDead,
    );
    assert.equal(dl[0].status, 400);
    assert.deepEqual(dl[0].error, { type: 'document_parsing_exception', reason: 'failed to parse field [process.pid] of type [long] in document' });
    assert.equal(dl[0].index, 'logs-auditflow-default');
    assert.equal(st.dead_lettered, 5);
    // 1000..1009 existed: all but 1002 (its injected 400 comes first) are 409s, 1001 on its third try
    assert.equal(st.duplicates, 9);
    const stored = server.index('logs-auditflow-default');
    assert.equal(stored.size, 50 - 4);
    for (const [id, n] of server.attempts) {
      const seq = [...stored.entries()].find(([k]) => k === id)?.[1]?.event.sequence ?? dl.find((d) => d._id === id)?.record.event.sequence;
      const s = seq % 10;
      assert.equal(n, s === 1 ? 3 : s === 3 ? 2 : 1, `attempts for ${seq}`);
    }
    assert.equal(st.retried_items, 5 * 2 + 5);
    assert.equal(st.records_out + st.duplicates + st.dead_lettered, 50);
  });

  it('rides out whole-request 503 and 429 answers and slow answers past the request timeout', async () => {
    server.faults.push({ status: 503 }, { status: 429 }, { delayMs: 400 });
    const out = make({ request_timeout_ms: 150 });
    await out.write(records(30));
    assert.equal(server.index('logs-auditflow-default').size, 30);
    const st = out.stats();
    assert.equal(st.request_errors, 3);
    // the timed-out request was processed by the server after all: the resend meets 409s
    assert.equal(st.records_out + st.duplicates, 30);
    assert.equal(server.counts.created, 30);
  });

  it('splits a batch the cluster finds too large (413); a single oversized document is dead-lettered', async () => {
    await server.stop();
    server = new BulkServer({ maxBodyBytes: 20000 });
    await server.start();
    const out = make({ batch: { max_events: 1000, timeout_ms: 0 } });
    const recs = records(40);
    const big = execRecord(99, { args: ['/usr/bin/echo', 'x'.repeat(30000)] });
    await out.write([...recs, big]);
    assert.equal(server.index('logs-auditflow-default').size, 40);
    assert.ok(out.stats().split_requests >= 3);
    assert.equal(out.stats().dead_lettered, 1);
  });

  it('batches by count, and sends a partial batch after timeout_ms', async () => {
    const out = make({ batch: { max_events: 100, timeout_ms: 200 } });
    await out.write(records(250));
    const sizes = server.requests.filter((r) => r.url === '/_bulk').map((r) => r.body.split('\n').length >> 1);
    assert.deepEqual(sizes, [100, 100, 50]);
    const t0 = Date.now();
    await out.write(records(3, 500));
    assert.ok(Date.now() - t0 >= 150, 'a small batch waited for more records');
    assert.equal(server.index('logs-auditflow-default').size, 253);
  });

  it('writes into a dated index with basic auth, API key auth sends its header', async () => {
    await server.stop();
    server = new BulkServer({ authorization: 'Basic ' + Buffer.from('elastic:s3cret').toString('base64') });
    await server.start();
    const out = make({ index: 'auditflow-{yyyy.MM.dd}', auth: { user: 'elastic', password: 's3cret' } });
    await out.write(records(3));
    assert.equal(server.index('auditflow-2026.11.23').size, 3);
    assert.equal(server.templates.get('auditflow')!.body.data_stream, undefined);
    assert.deepEqual(server.templates.get('auditflow')!.body.index_patterns, ['auditflow-*']);
    const key = make({ api_key: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==', template: { install: false } });
    const w = key.write(records(1));
    w.catch(() => {});
    await waitFor('the request with the API key', () => server.requests.some((r) => r.headers.authorization?.startsWith('ApiKey')));
    assert.equal(server.requests.at(-1)!.headers.authorization, 'ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==');
    await key.close(Date.now() + 50);
    await assert.rejects(w, (e: any) => e.code === 'AF_ERR_OUTPUT');
  });

  it('over HTTPS: trusts the configured CA, and refuses a server it cannot verify', async function () {
    needTool(this, 'openssl', 'the HTTPS test makes its own CA');
    const pki = makePki(mkdtempSync(join(tmpdir(), 'auditflow-es-pki-')));
    await server.stop();
    server = new BulkServer({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
    await server.start();
    try {
      const ok = make({ tls: { ca_file: pki.ca } });
      await ok.write(records(5));
      assert.equal(server.index('logs-auditflow-default').size, 5);
      const untrusted = make({ data_stream: { namespace: 'other' } });
      const w = untrusted.write(records(5, 5));
      w.catch(() => {});
      await waitFor('the refused TLS handshake', () => untrusted.stats().request_errors > 0);
      await untrusted.close(Date.now() + 50);
      await assert.rejects(w, (e: any) => e.code === 'AF_ERR_OUTPUT' && /self[- ]signed|unable to verify|certificate/i.test(e.message));
      assert.equal(server.index('logs-auditflow-other').size, 0);
    } finally {
      rmSync(pki.dir, { recursive: true, force: true });
    }
  });

  it('during an outage, close() gives up at its deadline and rejects what was not delivered', async () => {
    server.down = 503;
    const out = make();
    const w = out.write(records(5));
    w.catch(() => {});
    await waitFor(
      'a request answered 503',
      () => out.stats().request_errors > 0,
      10_000,
      () => out.stats(),
    );
    const t0 = Date.now();
    await out.close(Date.now() + 300);
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(w, (e: any) => e.code === 'AF_ERR_OUTPUT' && /503/.test(e.message));
    assert.equal(existsSync(join(stateDir, 'dead-letter')), false, 'an outage is never a reason to dead-letter');
  });

  it('schema: accepts the documented keys, rejects unknown ones and auth with api_key together', async () => {
    const { Ajv } = await import('ajv');
    const { elasticsearchOutput } = await import('../src/outputs/elasticsearch/index.js');
    const v = new Ajv({ strict: false }).compile(elasticsearchOutput.schema);
    assert.equal(
      v({
        type: 'elasticsearch',
        url: 'https://es.example:9200',
        data_stream: { dataset: 'auditflow', namespace: 'prod' },
        api_key: 'abc',
        tls: { ca_file: '/ca.pem' },
        template: { install: true, priority: 300 },
        batch: { max_events: 500, max_bytes: 1048576, timeout_ms: 500 },
        retry: { initial_ms: 100, max_ms: 5000 },
        request_timeout_ms: 10000,
        dead_letter_path: '/var/lib/auditflow/dlq.jsonl',
        queue: { disk_bytes: 1073741824 },
      }),
      true,
    );
    assert.equal(v({ type: 'elasticsearch', url: 'http://x:9200', index: 'audit-{yyyy.MM.dd}' }), true);
    assert.equal(v({ type: 'elasticsearch' }), false);
    assert.equal(v({ type: 'elasticsearch', url: 'http://x:9200', auth: { user: 'u', password: 'p' }, api_key: 'k' }), false);
    assert.equal(v({ type: 'elasticsearch', url: 'http://x:9200', index: 'Audit' }), false);
    assert.equal(v({ type: 'elasticsearch', url: 'http://x:9200', bulk_size: 5 }), false);
  });

  it('parseBulkResponse refuses a response that does not account for every item', () => {
    assert.throws(() => parseBulkResponse('{"errors":false,"items":[{"create":{"status":201}}]}', 2), /1 items for 2 sent/);
    assert.deepEqual(
      parseBulkResponse('{"errors":true,"items":[{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"r"}}}]}', 1),
      [{ outcome: 'duplicate', status: 409, error: { type: 'version_conflict_engine_exception', reason: 'r' } }],
    );
  });
});
