import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import type { Input, Output } from '../src/pipeline/types.js';
import type { NormalizedRecord } from '../src/record.js';
import { freeTcpPort, needTool } from './support/rsyslog.js';
import { AUDITD, auditNetlinkSockets, startAuditdListener } from './support/auditd-listener.js';
import { buildInput, buildOutput, eventsByHost, recordingSink, sampleEvents, sampleLines, waitFor } from './support/fleet.js';

const serials = (recs: readonly NormalizedRecord[]) => new Set(recs.map((r) => r.event.sequence));

describe('audit_remote output (agent for auditd remote logging)', function () {
  this.timeout(60000);
  let dir: string;
  const cleanup: (() => Promise<void>)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-arout-'));
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = (sub: string) => ({ stateDir: join(dir, sub), hostName: 'agent-1', log: silentLogger });

  async function collector(name: string, port: number) {
    const rec = recordingSink();
    const input: Input = buildInput({ type: 'audit_remote', name, listen: `127.0.0.1:${port}` }, ctx(name));
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
    const out: Output = buildOutput({ type: 'audit_remote', servers, ack_timeout_ms: 2000, ...extra }, ctx('agent'));
    await out.start();
    cleanup.push(() => out.close(Date.now() + 1000));
    return out;
  }

  it('delivers every event to an auditflow collector, acknowledged, with node= naming the agent', async () => {
    const port = await freeTcpPort();
    const c = await collector('c1', port);
    const out = await agent([`127.0.0.1:${port}`]);
    const events = sampleEvents();
    assert.equal(events.length, 300);
    await out.write(events); // resolves only once every record is acked
    const st = out.stats!();
    assert.equal(st.acked, 1232);
    assert.equal(st.pending, 0);
    await waitFor('300 events', () => serials(eventsByHost(c.records).get('agent-1') ?? []).size === 300);
    assert.deepEqual([...eventsByHost(c.records).keys()], ['agent-1']);
  });

  it('fails over: a dead first server is skipped, and when the live one says ENDING the rest goes to the next', async () => {
    const dead = await freeTcpPort();
    const [p1, p2] = [await freeTcpPort(), await freeTcpPort()];
    const c1 = await collector('c1', p1);
    const c2 = await collector('c2', p2);
    const out = await agent([`127.0.0.1:${dead}`, `127.0.0.1:${p1}`, `127.0.0.1:${p2}`], { window: 8 });
    const events = sampleEvents();
    await out.write(events.slice(0, 150));
    await c1.stop(); // sends ENDING and closes
    await out.write(events.slice(150));
    const both = () => serials([...(eventsByHost(c1.records).get('agent-1') ?? []), ...(eventsByHost(c2.records).get('agent-1') ?? [])]);
    await waitFor('all 300 across both', () => both().size === 300);
    assert.ok((eventsByHost(c2.records).get('agent-1') ?? []).length >= 150);
    assert.ok(out.stats!().failovers >= 2);
  });

  it('while no server answers, write() waits (nothing is acked that was not delivered) and completes once one comes up', async () => {
    const port = await freeTcpPort();
    const out = await agent([`127.0.0.1:${port}`], { max_backoff_ms: 200 });
    let done = false;
    const w = out.write(sampleEvents().slice(0, 20)).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(done, false);
    const c = await collector('late', port);
    await w;
    await waitFor('20 events', () => serials(c.records).size >= 20);
  });

  it('a silent server (accepts, never acks) is given up after ack_timeout_ms and the records go to the next', async () => {
    const silent = net.createServer((s) => {
      s.on('data', () => {});
      s.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => silent.close(() => r())));
    const live = await freeTcpPort();
    const c = await collector('c', live);
    const out = await agent([`127.0.0.1:${(silent.address() as net.AddressInfo).port}`, `127.0.0.1:${live}`], { ack_timeout_ms: 300 });
    await out.write(sampleEvents().slice(0, 30));
    await waitFor('30 events', () => serials(c.records).size >= 30);
    assert.ok(out.stats!().resent > 0);
  });

  describe('with a real auditd listening (tcp_listen_port, local_events = no)', () => {
    beforeEach(function () {
      needTool(this, AUDITD, 'apt-get install auditd');
    });
    it("auditd acknowledges and logs every record: its audit.log holds the capture's lines with node=", async () => {
      const port = await freeTcpPort();
      const ad = await startAuditdListener(join(dir, 'auditd'), port);
      cleanup.push(() => ad.stop());
      assert.deepEqual(auditNetlinkSockets(ad.child.pid!), [], 'auditd must not open the kernel audit socket');
      const out = await agent([`127.0.0.1:${port}`], { window: 32 });
      await out.write(sampleEvents());
      assert.equal(out.stats!().acked, 1232);
      // acked means logged by auditd (it writes, then acks)
      const logged = readFileSync(ad.log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('node=agent-1 '));
      assert.equal(logged.length, 1232);
      const want = new Set(sampleLines.map((l) => `node=agent-1 ${l}`));
      assert.equal(logged.filter((l) => want.has(l)).length, 1232);
    });
  });
});
