import assert from 'node:assert/strict';
import { SyslogOutput } from '../src/outputs/syslog/index.js';
import type { SyslogConfig } from '../src/outputs/syslog/config.js';
import { silentLogger } from '../src/log.js';
import { execRecord, records } from './support/records.js';
import { Rsyslog, freeTcpPort, freeUdpPort, makePki, needRsyslogTls, needTool, type Received } from './support/rsyslog.js';
import { sleep, waitFor } from './support/wait.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ctx = { stateDir: '/nonexistent', hostName: 'testhost', log: silentLogger };

function output(cfg: Omit<SyslogConfig, 'type'>): SyslogOutput {
  return new SyslogOutput({ type: 'syslog', host: '127.0.0.1', ...cfg }, ctx);
}

/** The JSON record carried by a received message (rsyslog's msg, minus the optional cookie). */
function recordOf(r: Received): any {
  let m = r.msg.trimStart();
  if (m.startsWith('@cee:')) m = m.slice(5);
  return JSON.parse(m);
}

function sequences(got: Received[]): number[] {
  return got.map((r) => recordOf(r).event.sequence as number);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => 1000 + from + i);

describe('syslog output config', () => {
  it('schema: accepts the documented keys, rejects unknown ones and bad values', async () => {
    const { Ajv } = await import('ajv');
    const { syslogOutput } = await import('../src/outputs/syslog/index.js');
    const v = new Ajv({ strict: false }).compile(syslogOutput.schema);
    assert.equal(
      v({
        type: 'syslog',
        host: 'logs.example',
        port: 6514,
        protocol: 'tls',
        format: 'rfc5424',
        framing: 'octet_counting',
        facility: 'authpriv',
        severity: 'info',
        app_name: 'auditflow',
        cee_cookie: true,
        max_message_bytes: 8192,
        on_oversize: 'drop',
        tls: { ca_file: '/etc/ssl/ca.pem', cert_file: '/c.pem', key_file: '/k.pem', server_name: 'logs.example' },
        reconnect: { initial_ms: 100, max_ms: 10000 },
        queue: { memory_records: 1000, when_full: 'drop_oldest' },
      }),
      true,
    );
    assert.equal(v({ type: 'syslog', protcol: 'udp' }), false);
    assert.equal(v({ type: 'syslog', facility: 'local9' }), false);
    assert.equal(v({ type: 'syslog', app_name: 'has space' }), false);
    assert.equal(v({ type: 'syslog', tls: { cert_file: '/c.pem' } }), false, 'a client certificate needs its key');
    assert.equal(v({ type: 'syslog', queue: { memory: 1 } }), false);
  });
});

describe('syslog output into a real rsyslog', function () {
  this.timeout(60000);
  let rs: Rsyslog | null = null;
  before(function () {
    needTool(this, 'rsyslogd', 'the syslog tests deliver into a real rsyslog (apt-get install rsyslog)');
  });
  afterEach(async () => {
    await rs?.dispose();
    rs = null;
  });

  it('delivers every record over UDP as RFC 5424 with structured data and the JSON record as MSG', async () => {
    const port = await freeUdpPort();
    rs = new Rsyslog({ udpPort: port });
    await rs.start();
    const out = output({ protocol: 'udp', port, facility: 'local3', severity: 'notice', app_name: 'auditflow-test' });
    await out.start();
    for (let b = 0; b < 10; b++) await out.write(records(50, b * 50));
    const got = await rs.waitFor(500);
    await out.close(Date.now() + 1000);
    assert.equal(got.length, 500);
    assert.deepEqual(
      sequences(got).sort((a, b) => a - b),
      range(0, 500),
    );
    const first = got.find((r) => recordOf(r).event.sequence === 1000)!;
    assert.equal(first.pri, String(19 * 8 + 5));
    assert.equal(first.app, 'auditflow-test');
    assert.equal(first.hostname, 'testhost');
    assert.equal(first.msgid, 'auditd');
    assert.equal(first.procid, String(process.pid));
    assert.equal(first.sd, '[auditflow@32473 host="debian12" module="auditd" action="executed"]');
    assert.deepEqual(recordOf(first), execRecord(0));
    assert.ok(first.raw.startsWith('<157>1 2026-11-23T11:00:00.000Z testhost auditflow-test '), first.raw);
    assert.equal(out.stats().records_out, 500);
  });

  for (const framing of ['octet_counting', 'newline'] as const) {
    it(`delivers every record over TCP with ${framing} framing, multi-line argv in one message`, async () => {
      const port = await freeTcpPort();
      rs = new Rsyslog({ tcpPort: port });
      await rs.start();
      const out = output({ protocol: 'tcp', port, framing });
      await out.start();
      const tricky = execRecord(5000, { args: ['/bin/sh', '-c', 'echo one\necho two\r\n\techo "three"\n', 'x]y\\z'] });
      for (let b = 0; b < 20; b++) await out.write(records(100, b * 100));
      await out.write([tricky]);
      const got = await rs.waitFor(2001);
      await out.close(Date.now() + 2000);
      assert.equal(got.length, 2001, 'one message per record, none split');
      assert.deepEqual(sequences(got), [...range(0, 2000), 6000], 'in order, each once');
      const last = recordOf(got[2000]);
      assert.deepEqual(last.process.args, tricky.process!.args);
      assert.equal(out.stats().records_out, 2001);
    });
  }

  it('RFC 3164 over TCP keeps a multi-line record in one message and adds the @cee: cookie', async () => {
    const port = await freeTcpPort();
    rs = new Rsyslog({ tcpPort: port });
    await rs.start();
    const out = output({ protocol: 'tcp', port, format: 'rfc3164', framing: 'newline', cee_cookie: true, app_name: 'auditflow' });
    await out.start();
    const rec = execRecord(7, { args: ['/usr/bin/python3', '-c', 'import os\nprint(os.getuid())\n'] });
    await out.write([rec, execRecord(8)]);
    const got = await rs.waitFor(2);
    await out.close(Date.now() + 1000);
    assert.equal(got.length, 2);
    assert.equal(got[0].app, 'auditflow');
    assert.equal(got[0].hostname, 'testhost');
    assert.ok(got[0].msg.trimStart().startsWith('@cee:{'), got[0].msg);
    assert.deepEqual(recordOf(got[0]), rec);
    assert.match(got[0].raw, /^<86>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d testhost auditflow\[\d+\]: @cee:\{/);
  });

  it('oversized records: cut field by field to valid JSON within max_message_bytes, or dropped, and counted', async () => {
    const port = await freeUdpPort();
    rs = new Rsyslog({ udpPort: port, maxMessageSize: '4k' });
    await rs.start();
    const huge = execRecord(1, { args: ['/usr/bin/echo', 'A'.repeat(20000), 'tail'] });
    huge.event.original = 'type=EXECVE msg=audit(1.1:1): ' + 'x'.repeat(5000);
    // a limit the receiver honours: the record arrives parseable, its largest values shortened
    const fits = output({ protocol: 'udp', port, max_message_bytes: 4096 });
    await fits.start();
    await fits.write([huge, execRecord(2)]);
    // a limit the receiver does not honour shows why: rsyslog cuts the datagram mid-JSON
    const blind = output({ protocol: 'udp', port, max_message_bytes: 60000 });
    await blind.start();
    await blind.write([execRecord(3, { args: ['/usr/bin/echo', 'B'.repeat(20000)] })]);
    // and with on_oversize: drop, nothing is sent
    const drops = output({ protocol: 'udp', port, max_message_bytes: 4096, on_oversize: 'drop' });
    await drops.start();
    await drops.write([huge, execRecord(4)]);
    const got = await rs.waitFor(4);
    await sleep(300); // time for a fifth datagram, which must not come
    for (const o of [fits, blind, drops]) await o.close(Date.now() + 500);
    const all = rs.received();
    assert.equal(all.length, 4);
    const cut = recordOf(all[0]);
    assert.ok(Buffer.byteLength(all[0].raw) <= 4096);
    assert.deepEqual(cut.truncated.sort(), ['event.original', 'process.args', 'process.command_line', 'message'].sort());
    assert.equal(cut.event.original, undefined);
    assert.equal(cut.process.args_count, 3);
    assert.ok(cut.process.command_line.startsWith('/usr/bin/echo AAAA') && cut.process.command_line.endsWith('…'));
    assert.equal(cut.event.sequence, 1001);
    assert.deepEqual(recordOf(all[1]), execRecord(2));
    assert.throws(() => recordOf(all[2]), SyntaxError, 'rsyslog truncated the over-long datagram');
    assert.deepEqual(recordOf(all[3]), execRecord(4));
    assert.equal(got.length, 4);
    assert.deepEqual([fits.stats().truncated, fits.stats().dropped_oversize, fits.stats().records_out], [1, 0, 2]);
    assert.deepEqual([drops.stats().truncated, drops.stats().dropped_oversize, drops.stats().records_out], [0, 1, 1]);
  });

  it('TCP: rsyslog restarted under a running output, reconnects with backoff and resends what was in doubt', async () => {
    const port = await freeTcpPort();
    rs = new Rsyslog({ tcpPort: port });
    await rs.start();
    const out = output({ protocol: 'tcp', port, reconnect: { initial_ms: 20, max_ms: 200 } });
    await out.start();
    for (let b = 0; b < 10; b++) await out.write(records(100, b * 100));
    await rs.waitFor(1000);
    await rs.stop();
    // written while the receiver is gone: the first writes may still be accepted by the kernel
    const during = (async () => {
      for (let b = 10; b < 20; b++) await out.write(records(100, b * 100));
    })();
    await waitFor(
      'a failed reconnect while rsyslog is down',
      () => out.stats().connect_errors > 0,
      10_000,
      () => out.stats(),
    );
    await rs.start();
    await during;
    for (let b = 20; b < 25; b++) await out.write(records(100, b * 100));
    // duplicates count towards the number of messages: wait for every distinct record instead
    await waitFor(
      'every distinct record',
      () => new Set(sequences(rs!.received())).size >= 2500,
      15_000,
      () => out.stats(),
    ).catch(() => {});
    const got = rs.received();
    await out.close(Date.now() + 2000);
    const seen = new Set(sequences(got));
    assert.deepEqual(
      range(0, 2500).filter((s) => !seen.has(s)),
      [],
      `nothing lost (${got.length} received, stats ${JSON.stringify(out.stats())})`,
    );
    assert.equal(out.stats().connects, 2);
    assert.ok(out.stats().disconnects >= 1);
  });

  it('UDP with no receiver: writes go on, refused sends are counted', async () => {
    const port = await freeUdpPort();
    const out = output({ protocol: 'udp', port });
    await out.start();
    for (let b = 0; b < 5; b++) {
      await out.write(records(2, b * 2));
      await sleep(20); // the ICMP answer arrives after the send; the next send reports it
    }
    await out.close(Date.now() + 500);
    assert.equal(out.stats().records_out, 10);
    assert.ok(out.stats().send_errors >= 1, `ECONNREFUSED counted (${out.stats().send_errors})`);
  });

  describe('TLS (RFC 5425)', () => {
    let pkiDir = '';
    let pki: ReturnType<typeof makePki>;
    before(function () {
      needTool(this, 'openssl', 'the TLS test makes its own CA');
      needRsyslogTls(this);
      pkiDir = mkdtempSync(join(tmpdir(), 'auditflow-pki-'));
      pki = makePki(pkiDir);
    });
    after(() => rmSync(pkiDir, { recursive: true, force: true }));

    it('delivers every record with CA, client certificate and hostname verification', async () => {
      const port = await freeTcpPort();
      rs = new Rsyslog({ tlsPort: port, pki });
      await rs.start();
      const out = output({
        protocol: 'tls',
        host: '127.0.0.1',
        port,
        tls: { ca_file: pki.ca, cert_file: pki.clientCert, key_file: pki.clientKey, server_name: 'localhost' },
      });
      await out.start();
      for (let b = 0; b < 10; b++) await out.write(records(100, b * 100));
      const got = await rs.waitFor(1000);
      await out.close(Date.now() + 2000);
      assert.equal(got.length, 1000);
      assert.deepEqual(sequences(got), range(0, 1000));
      assert.equal(out.stats().connects, 1);
    });

    it('refuses a receiver whose certificate does not carry the expected name', async () => {
      const port = await freeTcpPort();
      rs = new Rsyslog({ tlsPort: port, pki });
      await rs.start();
      const out = output({
        protocol: 'tls',
        port,
        reconnect: { initial_ms: 50, max_ms: 100 },
        tls: { ca_file: pki.ca, cert_file: pki.clientCert, key_file: pki.clientKey, server_name: 'syslog.example.org' },
      });
      await out.start();
      const w = out.write(records(3));
      w.catch(() => {});
      await waitFor(
        'two refused handshakes',
        () => out.stats().connect_errors >= 2,
        10_000,
        () => out.stats(),
      );
      await out.close(Date.now() + 100);
      await assert.rejects(w, (e: any) => e.code === 'AF_ERR_OUTPUT' && /syslog\.example\.org/.test(e.message));
      assert.equal(out.stats().connects, 0);
      assert.ok(out.stats().connect_errors >= 2, 'kept retrying with backoff');
      assert.equal(rs.received().length, 0);
    });
  });
});
