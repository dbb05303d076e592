import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMetrics, fetchStatus, SnapshotCollector, type MetricsServer } from '../src/metrics/index.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { withQueue } from '../src/outputs/spool/index.js';
import { silentLogger } from '../src/log.js';
import { TestSink } from './support/test-sink.js';
import { waitFor } from './support/wait.js';
import { records } from './support/records.js';
import { freeTcpPort } from './support/rsyslog.js';

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
};

describe('metrics endpoint and status', function () {
  this.timeout(20000);
  let server: MetricsServer | null = null;
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'auditflow-metrics-'));
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("serves the pipeline's and each output's counters, queue depth and process memory as Prometheus text", async () => {
    const sink = new TestSink('syslog:tcp://127.0.0.1:514');
    sink.up = false;
    const out = withQueue(sink, { memory_records: 100, fsync: false }, { stateDir, hostName: 'h', log: silentLogger });
    const pipeline = new Pipeline({ filters: [], outputs: [out], log: silentLogger });
    await pipeline.start();
    for (let b = 0; b < 3; b++) await pipeline.push({ records: records(100, b * 100) });
    await pipeline.settle();
    const snapshot = () => ({
      pipeline: pipeline.counters,
      inputs: { 'auditlog:/var/log/audit/audit.log': { lines: 1234, errors: 2 } },
      filters: {},
      outputs: { [out.name]: out.stats!() },
    });
    server = await startMetrics({ listen: '127.0.0.1:0' }, snapshot, silentLogger);
    const m = await get(`${server!.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.type!, /^text\/plain; version=0\.0\.4/);
    const line = (re: RegExp) => m.body.split('\n').find((l) => re.test(l));
    assert.equal(line(/^auditflow_records_in_total /), 'auditflow_records_in_total 300');
    assert.equal(line(/^auditflow_output_queued_total\{/), 'auditflow_output_queued_total{output="syslog:tcp://127.0.0.1:514"} 300');
    // 100 handed to the (down) sink + 100 waiting in memory; the rest spilled to disk
    assert.equal(line(/^auditflow_output_queue_records\{/), 'auditflow_output_queue_records{output="syslog:tcp://127.0.0.1:514"} 200');
    assert.equal(line(/^auditflow_output_spool_records\{/), 'auditflow_output_spool_records{output="syslog:tcp://127.0.0.1:514"} 100');
    assert.equal(line(/^auditflow_input_errors_total\{/), 'auditflow_input_errors_total{input="auditlog:/var/log/audit/audit.log"} 2');
    assert.match(m.body, /# TYPE auditflow_output_spool_bytes gauge/);
    assert.match(m.body, /# TYPE auditflow_output_delivered_total counter/);
    assert.match(m.body, /^process_resident_memory_bytes \d+/m);
    sink.up = true;
    const m2 = await waitFor('all 300 delivered', async () => {
      const m = await get(`${server!.url}/metrics`);
      return /^auditflow_output_delivered_total\{output="syslog:tcp:\/\/127\.0\.0\.1:514"\} 300$/m.test(m.body) && m;
    });
    assert.match(m2.body, /^auditflow_output_delivered_total\{output="syslog:tcp:\/\/127\.0\.0\.1:514"\} 300$/m);
    assert.match(m2.body, /^auditflow_output_spool_records\{output="syslog:tcp:\/\/127\.0\.0\.1:514"\} 0$/m);
    await pipeline.stop(Date.now() + 500);
  });

  it('a counter that starts over (component rebuilt on reload) shows its new total', async () => {
    const c = new SnapshotCollector(false);
    c.update({ outputs: { o: { records_out: 50 } } });
    c.update({ outputs: { o: { records_out: 80 } } });
    assert.match(await c.render(), /^auditflow_output_records_out_total\{output="o"\} 80$/m);
    c.update({ outputs: { o: { records_out: 5 } } });
    assert.match(await c.render(), /^auditflow_output_records_out_total\{output="o"\} 5$/m);
  });

  it('/status has the same numbers as JSON and fetchStatus reads them; no daemon is a clear error', async () => {
    const snap = { pipeline: { recordsIn: 7, recordsOut: 7 }, outputs: { 'file:/tmp/x': { written: 7 } } };
    server = await startMetrics({ listen: '127.0.0.1:0' }, () => snap, silentLogger);
    const listen = server!.url.replace('http://', '');
    const st = await fetchStatus(listen);
    assert.equal(st.pid, process.pid);
    assert.deepEqual(st.pipeline, snap.pipeline);
    assert.deepEqual(st.outputs, snap.outputs);
    assert.equal((await get(`${server!.url}/healthz`)).body, 'ok\n');
    assert.equal((await get(`${server!.url}/nope`)).status, 404);
    const closed = await freeTcpPort();
    await assert.rejects(fetchStatus(`127.0.0.1:${closed}`), (e: any) => e.code === 'AF_ERR_USAGE' && /no auditflow daemon answering/.test(e.message));
  });

  it('a listen address in use is a config error naming metrics.listen', async () => {
    server = await startMetrics({ listen: '127.0.0.1:0' }, () => ({}), silentLogger);
    const port = Number(server!.url.split(':').pop());
    await assert.rejects(
      startMetrics({ listen: `127.0.0.1:${port}` }, () => ({}), silentLogger),
      (e: any) => e.code === 'AF_ERR_CONFIG' && /metrics\.listen/.test(e.message),
    );
    assert.equal(await startMetrics({ enabled: false }, () => ({}), silentLogger), null);
  });
});
