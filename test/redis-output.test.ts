import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '../src/log.js';
import type { Output } from '../src/pipeline/types.js';
import { freeTcpPort, makePki, needTool } from './support/rsyslog.js';
import { REDIS_SERVER, startRedis, type RedisServer } from './support/redis.js';
import { buildOutput, sampleEvents } from './support/fleet.js';

describe('redis output (real redis-server)', function () {
  this.timeout(30000);
  let dir: string;
  let redis: RedisServer | undefined;
  const outputs: Output[] = [];
  beforeEach(function () {
    needTool(this, REDIS_SERVER, 'apt-get install redis-server');
    dir = mkdtempSync(join(tmpdir(), 'af-redis-'));
  });
  afterEach(async () => {
    for (const o of outputs.splice(0)) await o.close(Date.now() + 500);
    await redis?.stop();
    redis = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const output = (item: Record<string, unknown>, log = silentLogger) => {
    const o = buildOutput({ type: 'redis', batch_size: 64, ...item }, { stateDir: dir, hostName: 'h', log });
    outputs.push(o);
    return o;
  };

  it("list: RPUSH, one JSON record per element in order, as Logstash's redis input (data_type list) reads them", async () => {
    redis = await startRedis(join(dir, 'r'), { port: await freeTcpPort() });
    const out = output({ url: `redis://127.0.0.1:${redis.port}`, key: 'audit' });
    const events = sampleEvents();
    await out.write(events);
    assert.equal(redis.cli(['LLEN', 'audit']).trim(), '300');
    const stored = redis
      .cli(['LRANGE', 'audit', '0', '-1'])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      stored.map((r) => r.event.sequence),
      events.map((r) => r.event.sequence),
    );
    assert.equal(out.stats!().commands, Math.ceil(300 / 64));
  });

  it('stream: XADD with MAXLEN ~ caps the stream, the JSON under the configured field', async () => {
    redis = await startRedis(join(dir, 'r'), { port: await freeTcpPort() });
    const out = output({ url: `redis://127.0.0.1:${redis.port}/0`, key: 'audit-stream', data_type: 'stream', maxlen: 100, field: 'event' });
    await out.write(sampleEvents());
    const len = Number(redis.cli(['XLEN', 'audit-stream']).trim());
    // approximate trimming removes whole macro nodes (100 entries each by default), never below maxlen
    assert.ok(len >= 100 && len < 300, `XLEN ${len}`);
    const last = redis.cli(['XREVRANGE', 'audit-stream', '+', '-', 'COUNT', '1']).trim().split('\n');
    assert.equal(last[1], 'event');
    assert.equal(JSON.parse(last[2]).event.module, 'auditd');
  });

  it('AUTH from the URL and SELECT of its database', async () => {
    redis = await startRedis(join(dir, 'r'), { port: await freeTcpPort(), password: 's3cret' });
    const out = output({ url: `redis://:s3cret@127.0.0.1:${redis.port}/3`, key: 'audit' });
    await out.write(sampleEvents().slice(0, 10));
    assert.equal(redis.cli(['-n', '3', 'LLEN', 'audit']).trim(), '10');
    assert.equal(redis.cli(['-n', '0', 'LLEN', 'audit']).trim(), '0');
  });

  it('a wrong password is retried and logged, never reported delivered', async () => {
    redis = await startRedis(join(dir, 'r'), { port: await freeTcpPort(), password: 's3cret' });
    const logged: string[] = [];
    const out = output(
      { url: `redis://127.0.0.1:${redis.port}`, key: 'audit', password: 'wrong', max_backoff_ms: 100 },
      createLogger('warn', (l) => logged.push(l)),
    );
    let done = false;
    void out.write(sampleEvents().slice(0, 5)).then(
      () => {
        done = true;
      },
      () => {},
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(done, false);
    assert.ok(out.stats!().retries >= 2);
    assert.equal(logged.length, 1, 'the same error is logged once');
    assert.match(logged[0], /WRONGPASS/);
  });

  it('redis killed and restarted: write() keeps retrying and completes once it is back', async () => {
    const port = await freeTcpPort();
    redis = await startRedis(join(dir, 'r'), { port });
    const out = output({ url: `redis://127.0.0.1:${port}`, key: 'audit', max_backoff_ms: 100 });
    await out.write(sampleEvents().slice(0, 10));
    await redis.stop();
    let done = false;
    const w = out.write(sampleEvents().slice(10, 60)).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false);
    redis = await startRedis(join(dir, 'r2'), { port });
    await w;
    // no persistence configured: only what was written after the restart is there
    assert.equal(redis.cli(['LLEN', 'audit']).trim(), '50');
    assert.ok(out.stats!().reconnects >= 2);
  });

  it('TLS (rediss://) verified against the test CA', async () => {
    mkdirSync(join(dir, 'pki'));
    const pki = makePki(join(dir, 'pki'));
    redis = await startRedis(join(dir, 'r'), { port: await freeTcpPort(), tlsPort: await freeTcpPort(), pki });
    const out = output({ url: `rediss://127.0.0.1:${redis.tlsPort}`, key: 'audit', tls: { ca_file: pki.ca } });
    await out.write(sampleEvents().slice(0, 25));
    assert.equal(redis.cli(['LLEN', 'audit']).trim(), '25');
  });
});
