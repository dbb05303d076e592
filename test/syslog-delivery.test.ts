// Delivery over TCP is only known later: a receiver that accepted a connection may never read
// what the kernel took. These tests use a listener that accepts and never reads (so the bytes sit
// in both kernels' socket buffers), then dies; every record must still reach the next receiver.
import assert from 'node:assert/strict';
import { octetCountedSequences } from './support/syslog-frames.js';
import net from 'node:net';
import { SyslogOutput } from '../src/outputs/syslog/sink.js';
import { silentLogger } from '../src/log.js';
import { records } from './support/records.js';
import { freeTcpPort } from './support/rsyslog.js';
import { sleep, waitFor } from './support/wait.js';
import { socketBufferBound } from '../src/outputs/syslog/stream.js';

const ctx = { stateDir: '/nonexistent', hostName: 'testhost', log: silentLogger };
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => 1000 + from + i);

/** A syslog receiver that reads octet-counted frames and keeps each record's sequence. */
function goodListener(port: number): Promise<{ server: net.Server; seqs: number[] }> {
  const seqs: number[] = [];
  const server = net.createServer((c) => {
    c.on(
      'data',
      octetCountedSequences((n) => seqs.push(n)),
    );
    c.on('end', () => c.end());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, seqs })));
}

describe('syslog over TCP: delivery counted only when known', function () {
  this.timeout(60000);

  it('a listener that accepts, never reads and is destroyed loses nothing: the next one gets every record', async () => {
    const port = await freeTcpPort();
    const held: net.Socket[] = [];
    // pauseOnConnect: node never reads either, so everything stays in the kernels' buffers
    const silent = net.createServer({ pauseOnConnect: true }, (c) => held.push(c));
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', () => r()));
    const out = new SyslogOutput({ type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port, reconnect: { initial_ms: 20, max_ms: 100 } }, ctx);
    let confirmed = 0;
    out.onConfirmed((n) => {
      confirmed += n;
    });
    await out.start();
    const total = 12000;
    let accepted = 0;
    const writer = (async () => {
      for (let b = 0; b < total / 200; b++) {
        await out.write(records(200, b * 200));
        accepted += 200;
      }
    })();
    // until the buffers are full and writes stop being accepted: only seen as no progress over
    // a while (time is the point; there is no event for "the kernel's buffers are full")
    let last = -1;
    for (;;) {
      await sleep(400);
      if (accepted === last) break;
      last = accepted;
    }
    const takenBySilent = accepted;
    assert.ok(takenBySilent > 1000 && takenBySilent < total, `the kernel took ${takenBySilent} records nobody read`);
    assert.equal(out.stats().records_out, 0, 'nothing is counted delivered: nothing was read');
    assert.equal(confirmed, 0, 'nor confirmed to the queue');
    assert.ok(out.stats().in_doubt >= takenBySilent, `in doubt: ${out.stats().in_doubt}`);
    silent.close();
    for (const c of held) c.destroy();
    const good = await goodListener(port);
    try {
      await writer;
      await waitFor('every record at the good listener', () => new Set(good.seqs).size >= total, 20_000);
      await out.close(Date.now() + 5000);
      assert.deepEqual(
        range(0, total).filter((s) => !good.seqs.includes(s)),
        [],
        'nothing lost',
      );
      const st = out.stats();
      assert.ok(st.resent_messages >= takenBySilent, `every record the silent listener held was sent again (${st.resent_messages})`);
      assert.equal(good.seqs.length, total, 'the silent listener read nothing, so nothing arrives twice');
      assert.equal(st.records_out, total, 'all confirmed after the receiver read to the end');
      assert.equal(confirmed, total, 'each record confirmed once, resends included');
      assert.equal(st.in_doubt, 0);
    } finally {
      good.server.close();
    }
  });

  it('confirms each write, in order, only when known read: never for a receiver that does not read, at a clean close for one that does', async () => {
    const port = await freeTcpPort();
    const held: net.Socket[] = [];
    const silent = net.createServer({ pauseOnConnect: true }, (c) => held.push(c));
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', () => r()));
    try {
      const out = new SyslogOutput({ type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port }, ctx);
      const confirmed: number[] = [];
      out.onConfirmed((n) => confirmed.push(n));
      await out.start();
      for (let b = 0; b < 3; b++) await out.write(records(100, b * 100));
      assert.deepEqual([out.stats().records_out, out.stats().in_doubt], [0, 300]);
      await out.close(Date.now() + 300);
      assert.deepEqual(confirmed, [], 'nothing read, nothing confirmed: the queue keeps all 300');
    } finally {
      for (const c of held) c.destroy();
      silent.close();
    }
    const good = await goodListener(port);
    try {
      // one record too large for max_message_bytes makes no message, yet is confirmed in its turn
      const out = new SyslogOutput({ type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port, max_message_bytes: 600, on_oversize: 'drop' }, ctx);
      const small = records(2).map((r) => ({ '@timestamp': r['@timestamp'], event: r.event }));
      const confirmed: number[] = [];
      out.onConfirmed((n) => confirmed.push(n));
      await out.start();
      await out.write(small);
      await out.write(records(1, 2));
      await out.write(small);
      await waitFor('the receiver read both writes', () => good.seqs.length === 4, 20_000);
      assert.deepEqual(confirmed, [], 'read, but not known to be read yet');
      await out.close(Date.now() + 2000);
      assert.deepEqual(confirmed, [3, 2], 'the clean close confirms the first write with the dropped record after it, then the last');
      assert.equal(out.stats().dropped_oversize, 1);
    } finally {
      good.server.close();
    }
  });

  it("the window is both kernels' largest socket buffers, from /proc/sys/net", () => {
    const proc: Record<string, string> = {
      '/proc/sys/net/ipv4/tcp_wmem': '4096\t16384\t4194304\n',
      '/proc/sys/net/ipv4/tcp_rmem': '4096\t131072\t33554432\n',
      '/proc/sys/net/core/wmem_max': '212992\n',
      '/proc/sys/net/core/rmem_max': '212992\n',
    };
    assert.equal(
      socketBufferBound((p) => proc[p]),
      4194304 + 33554432 + 256 * 1024,
    );
    // SO_SNDBUF may be set up to twice wmem_max
    proc['/proc/sys/net/core/wmem_max'] = '8388608';
    assert.equal(
      socketBufferBound((p) => proc[p]),
      2 * 8388608 + 33554432 + 256 * 1024,
    );
    // unreadable (no /proc): Linux's defaults
    assert.equal(
      socketBufferBound(() => {
        throw new Error('ENOENT');
      }),
      (4 << 20) + (6 << 20) + 256 * 1024,
    );
  });
});
