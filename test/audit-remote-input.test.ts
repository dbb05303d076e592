import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import type { Input } from '../src/pipeline/types.js';
import { RMW_TYPE, RmwDecoder, rmwFrame, rmwHeader } from '../src/net/rmw.js';
import { freeTcpPort, needTool } from './support/rsyslog.js';
import { AUDISP_REMOTE, runAudispRemote } from './support/audisp-remote.js';
import { buildInput, eventsByHost, recordingSink, sampleLines, waitFor } from './support/fleet.js';

/** A raw client: sends bytes, collects the managed replies. */
async function client(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const replies: { type: number; seq: number }[] = [];
  const d = new RmwDecoder();
  socket.on('data', (c) => {
    d.push(c);
    for (let f = d.next(); f; f = d.next()) if (f.kind === 'managed') replies.push({ type: f.type, seq: f.seq });
  });
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  return { socket, replies, closed: () => closed };
}

const serialsOf = (recs: { event: { sequence?: number } }[]) => new Set(recs.map((r) => r.event.sequence));

describe('audit_remote input (collector for auditd remote logging)', function () {
  this.timeout(60000);
  let dir: string;
  let input: Input | undefined;
  let port: number;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'af-arin-'));
    port = await freeTcpPort();
  });
  afterEach(async () => {
    await input?.stop();
    input = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const ctx = () => ({ stateDir: join(dir, 'state'), hostName: 'collector', log: silentLogger });
  async function start(extra: Record<string, unknown> = {}) {
    const rec = recordingSink();
    input = buildInput({ type: 'audit_remote', name: 'in', listen: `127.0.0.1:${port}`, ...extra }, ctx());
    await input.start(rec.sink);
    return rec;
  }

  it('managed: two hosts interleaved on one connection are reassembled apart, 300 events each, every message acked by its sequence', async () => {
    const { records, errors } = await start();
    const c = await client(port);
    const frames: Buffer[] = [];
    let seq = 100;
    for (const line of sampleLines) {
      frames.push(rmwFrame(RMW_TYPE.MESSAGE, seq++, `node=alpha ${line}\n`));
      frames.push(rmwFrame(RMW_TYPE.MESSAGE, seq++, `node=beta ${line}`));
    }
    // split mid-header and mid-payload: framing must not depend on packet boundaries
    const all = Buffer.concat(frames);
    for (let i = 0; i < all.length; i += 4093) c.socket.write(all.subarray(i, i + 4093));
    await waitFor('all acks', () => c.replies.length === sampleLines.length * 2);
    assert.deepEqual(
      c.replies.map((r) => r.seq),
      Array.from({ length: sampleLines.length * 2 }, (_, i) => 100 + i),
    );
    assert.ok(c.replies.every((r) => r.type === RMW_TYPE.ACK));
    await waitFor(
      '300 events per host',
      () => [...eventsByHost(records).values()].every((l) => serialsOf(l).size === 300) && eventsByHost(records).size === 2,
      20000,
    );
    const byHost = eventsByHost(records);
    assert.deepEqual([...byHost.keys()].sort(), ['alpha', 'beta']);
    for (const [host, recs] of byHost) {
      assert.equal(recs.length, 300, host);
      assert.ok(recs.every((r) => r.audit?.node === host));
    }
    assert.deepEqual(errors, []);
    c.socket.destroy();
  });

  it('ascii: lines without node= take the peer address as host.name; a final line without LF still counts', async () => {
    const { records } = await start();
    const c = await client(port);
    c.socket.end(sampleLines.slice(0, 40).join('\n'));
    await waitFor('events', () => serialsOf(records).size >= 8);
    await waitFor('close', () => c.closed());
    const hosts = new Set(records.map((r) => r.host?.name));
    assert.deepEqual([...hosts], ['127.0.0.1']);
    assert.equal(c.replies.length, 0);
    const stats = input!.stats!();
    assert.equal(stats.ascii_lines, 40);
  });

  it('answers a heartbeat with an ACK of the same sequence', async () => {
    await start();
    const c = await client(port);
    c.socket.write(rmwHeader(RMW_TYPE.HEARTBEAT, 0, 77));
    await waitFor('ack', () => c.replies.length === 1);
    assert.deepEqual(c.replies, [{ type: RMW_TYPE.ACK, seq: 77 }]);
    assert.equal(input!.stats!().heartbeats, 1);
    c.socket.destroy();
  });

  it('refuses addresses outside `allow` and connections past max_per_addr, counting both', async () => {
    await start({ allow: ['10.0.0.0/8'] });
    const c = await client(port);
    await waitFor('refused', () => c.closed());
    assert.equal(input!.stats!().rejected, 1);
    await input!.stop();
    input = undefined;
    await start({ allow: ['127.0.0.0/8', '::1'], max_per_addr: 1 });
    const a = await client(port);
    const b = await client(port);
    await waitFor('second refused', () => b.closed());
    assert.equal(a.closed(), false);
    assert.equal(input!.stats!().rejected, 1);
    a.socket.destroy();
  });

  it('a frame longer than auditd allows is a counted error naming the peer; the records before it are kept', async () => {
    const { records, errors } = await start();
    const c = await client(port);
    const userMsg = "node=h type=USER_END msg=audit(1795395184.700:5): pid=1 uid=0 msg='op=x res=success'";
    const bad = rmwHeader(RMW_TYPE.MESSAGE, 9000, 2);
    c.socket.write(Buffer.concat([rmwFrame(RMW_TYPE.MESSAGE, 1, userMsg), bad, Buffer.alloc(100)]));
    await waitFor('closed', () => c.closed());
    await waitFor('the good record', () => records.length === 1);
    assert.equal(records[0].host?.name, 'h');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'AF_ERR_PARSE');
    assert.match(errors[0].message, /^in 127\.0\.0\.1:\d+ message 2: managed message of 9000 bytes \(limit 8970\); connection closed$/);
    assert.deepEqual(c.replies, [{ type: RMW_TYPE.ACK, seq: 1 }]);
  });

  it('acked records survive a crash: a collector whose pipeline never confirmed them replays its journal on restart', async () => {
    const crashed = recordingSink({ ack: false });
    const first = buildInput({ type: 'audit_remote', name: 'in', listen: `127.0.0.1:${port}` }, ctx());
    await first.start(crashed.sink);
    const c = await client(port);
    const lines = sampleLines.slice(0, 200);
    let seq = 1;
    c.socket.write(Buffer.concat(lines.map((l) => rmwFrame(RMW_TYPE.MESSAGE, seq++, `node=n1 ${l}`))));
    await waitFor('acks', () => c.replies.length === 200);
    c.socket.destroy();
    // the "crashed" collector's listener stays up; the restarted one shares its name and state_dir
    const rec = recordingSink();
    input = buildInput({ type: 'audit_remote', name: 'in', listen: `127.0.0.1:${await freeTcpPort()}` }, ctx());
    await input.start(rec.sink);
    const want = new Set(lines.map((l) => Number(/:(\d+)\): /.exec(l)![1])));
    await waitFor('every serial again', () => serialsOf(eventsByHost(rec.records).get('n1') ?? []).size === want.size);
    assert.deepEqual(serialsOf(eventsByHost(rec.records).get('n1')!), want);
    assert.equal(input.stats!().replayed, 200);
    await first.stop();
  });

  describe('with the real audisp-remote (audispd-plugins)', () => {
    beforeEach(function () {
      needTool(this, AUDISP_REMOTE, 'apt-get install audispd-plugins');
    });
    for (const format of ['managed', 'ascii'] as const) {
      it(`${format}: every record of the capture arrives, node= names kept, EOE stripped by the sender`, async () => {
        const { records, errors } = await start();
        const lines = sampleLines.map((l) => `node=web-${format} ${l}`);
        let stats: Record<string, number> = {};
        const code = await runAudispRemote({ dir, port, format }, lines, () => {
          stats = input!.stats!();
          return stats.lines === lines.length;
        });
        assert.equal(code, 0);
        assert.equal(stats.lines, lines.length);
        await waitFor('300 events', () => serialsOf(eventsByHost(records).get(`web-${format}`) ?? []).size === 300);
        if (format === 'managed') assert.equal(stats.acks_sent, lines.length);
        assert.deepEqual(errors, []);
      });
    }
  });
});
