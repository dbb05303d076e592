import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import type { Input, Output } from '../src/pipeline/types.js';
import type { NormalizedRecord } from '../src/record.js';
import { RelpDecoder, relpFrame } from '../src/net/relp.js';
import { parseSyslog } from '../src/net/syslog-message.js';
import { freeTcpPort, makePki, needTool, type TestPki } from './support/rsyslog.js';
import { RelpRelay } from './support/rsyslog-relp.js';
import { buildInput, buildOutput, eventsByHost, recordingSink, sampleEvents, sampleLines, waitFor } from './support/fleet.js';

const serials = (recs: readonly NormalizedRecord[]) => new Set(recs.map((r) => r.event.sequence));
const relpModule = ['/usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so', '/usr/lib/aarch64-linux-gnu/rsyslog/imrelp.so'].some(existsSync);

describe('RELP output and input', function () {
  this.timeout(60000);
  let dir: string;
  const cleanup: (() => Promise<void>)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-relp-'));
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = (sub: string) => ({ stateDir: join(dir, sub), hostName: 'agent-1', log: silentLogger });

  async function collector(name: string, port: number, extra: Record<string, unknown> = {}) {
    const rec = recordingSink();
    const input: Input = buildInput({ type: 'relp', name, listen: `127.0.0.1:${port}`, ...extra }, ctx(name));
    await input.start(rec.sink);
    let stopped = false;
    const stop = async () => {
      if (!stopped) {
        stopped = true;
        await input.stop();
      }
    };
    cleanup.push(stop);
    return { ...rec, input, stop };
  }
  async function agent(servers: string[], extra: Record<string, unknown> = {}) {
    const out: Output = buildOutput({ type: 'relp', servers, ack_timeout_ms: 3000, max_backoff_ms: 200, ...extra }, ctx('agent'));
    await out.start();
    cleanup.push(() => out.close(Date.now() + 1000));
    return out;
  }

  it('parses the syslog headers senders use: RFC 5424 with structured data, rsyslog ForwardFormat, RFC 3164', () => {
    assert.deepEqual(parseSyslog('<134>1 2024-01-02T03:04:05.000Z web-1 auditflow - auditd [x@1 a="q\\"]"] {"a":1}'), { host: 'web-1', msg: '{"a":1}' });
    assert.deepEqual(parseSyslog('<13>2024-01-02T03:04:05+00:00 db-2 audispd: node=db-2 type=USER_END msg=audit(1.0:1): x'), {
      host: 'db-2',
      msg: 'node=db-2 type=USER_END msg=audit(1.0:1): x',
    });
    assert.deepEqual(parseSyslog('<13>Jan  2 03:04:05 h3 tag[12]: type=EOE msg=audit(1.0:1): '), { host: 'h3', msg: 'type=EOE msg=audit(1.0:1): ' });
  });

  it('auditflow → auditflow: every record answered 200 and collected once, host.name kept', async () => {
    const port = await freeTcpPort();
    const c = await collector('c', port);
    const out = await agent([`127.0.0.1:${port}`]);
    await out.write(sampleEvents('web-1'));
    assert.equal(out.stats!().acked, 300);
    await waitFor('300', () => (eventsByHost(c.records).get('web-1') ?? []).length === 300);
    assert.deepEqual(c.errors, []);
    assert.deepEqual([...eventsByHost(c.records).keys()], ['web-1']);
  });

  it('at-least-once across a broken session: the collector stops mid-stream, the agent fails over and comes back, nothing is lost', async () => {
    const [p1, p2] = [await freeTcpPort(), await freeTcpPort()];
    const c1 = await collector('c1', p1);
    const c2 = await collector('c2', p2);
    const out = await agent([`127.0.0.1:${p1}`, `127.0.0.1:${p2}`], { window: 16 });
    const events = sampleEvents('web-2');
    const w = out.write(events);
    await waitFor('some at c1', () => c1.records.length > 50);
    await c1.stop(); // serverclose mid-stream; unanswered messages go again to c2
    await w;
    const all = [...c1.records, ...c2.records];
    assert.equal(serials(all).size, 300);
    assert.ok(out.stats!().failovers >= 1);
    assert.ok(all.length - 300 <= 16, `duplicates bounded by the window: ${all.length - 300}`);
  });

  it('answers a frame that is not RELP with a counted error naming the peer, after answering what came before', async () => {
    const port = await freeTcpPort();
    const c = await collector('c', port);
    const s = net.connect(port, '127.0.0.1');
    const d = new RelpDecoder();
    const got: string[] = [];
    s.on('data', (b) => {
      d.push(b);
      for (let f = d.next(); f; f = d.next()) got.push(`${f.txnr} ${f.command} ${f.data.toString().split('\n')[0]}`);
    });
    let closed = false;
    s.on('close', () => {
      closed = true;
    });
    s.write(
      Buffer.concat([relpFrame(1, 'open', 'relp_version=0'), relpFrame(2, 'syslog', `<13>1 - h1 a - - - ${sampleLines[5]}`), Buffer.from('3 syslog x1 zz\n')]),
    );
    await waitFor('closed', () => closed);
    assert.deepEqual(got, ['1 rsp 200 OK', '2 rsp 200 OK']);
    assert.equal(c.errors.length, 1);
    assert.match(c.errors[0].message, /^c 127\.0\.0\.1:\d+ message 2: bad DATALEN; session closed$/);
  });

  it("TLS: the agent verifies the collector's certificate; the collector requires a client certificate from the CA", async () => {
    mkdirSync(join(dir, 'pki'));
    const pki = makePki(join(dir, 'pki'));
    const port = await freeTcpPort();
    const c = await collector('c', port, { tls: { cert_file: pki.serverCert, key_file: pki.serverKey, ca_file: pki.ca } });
    const out = await agent([`127.0.0.1:${port}`], { tls: { ca_file: pki.ca, cert_file: pki.clientCert, key_file: pki.clientKey } });
    await out.write(sampleEvents('tls-1').slice(0, 40));
    await waitFor('40', () => c.records.length === 40);
    // without a client certificate the handshake fails and nothing is taken
    const anon = await agent([`127.0.0.1:${port}`], { tls: { ca_file: pki.ca }, ack_timeout_ms: 500 });
    let done = false;
    void anon.write(sampleEvents('anon').slice(0, 1)).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(done, false);
    assert.equal(c.records.length, 40);
  });

  describe('through a real rsyslog RELP relay (imrelp → omrelp)', () => {
    beforeEach(function () {
      needTool(this, 'rsyslogd', 'apt-get install rsyslog');
      if (!relpModule) {
        if (process.env.CI === 'true') throw new Error('rsyslog-relp missing (required under CI)');
        this.skip();
      }
    });

    for (const withTls of [false, true]) {
      it(`agent → rsyslog → collector${withTls ? ' over TLS both hops' : ''}: every event arrives with its origin host`, async () => {
        let pki: TestPki | undefined;
        if (withTls) {
          mkdirSync(join(dir, 'pki'));
          pki = makePki(join(dir, 'pki'));
        }
        const [pin, pout] = [await freeTcpPort(), await freeTcpPort()];
        const tlsIn = pki ? { tls: { cert_file: pki.serverCert, key_file: pki.serverKey, ca_file: pki.ca } } : {};
        const c = await collector('c', pout, tlsIn);
        const relay = new RelpRelay({ inPort: pin, outPort: pout, pki });
        await relay.start();
        cleanup.push(() => relay.stop());
        const out = await agent([`127.0.0.1:${pin}`], pki ? { tls: { ca_file: pki.ca, cert_file: pki.clientCert, key_file: pki.clientKey } } : {});
        await out.write(sampleEvents('web-9'));
        assert.equal(out.stats!().acked, 300);
        await waitFor('300 through the relay', () => serials(eventsByHost(c.records).get('web-9') ?? []).size === 300, 20000);
        assert.deepEqual(c.errors, []);
      });
    }
  });
});
