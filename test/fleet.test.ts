// The fleet: 3 collectors (`auditflow run`, each with audit_remote and relp inputs and a file
// output) and 10 senders — 4 real audisp-remote processes and 6 auditflow agents (3 audit_remote
// with failover, 3 relp with failover), each host replaying the real capture under its own node
// name. Collector 0 is SIGKILLed mid-stream and restarted on the same ports and state_dir. Every
// event of every host must arrive at least once; duplicates are counted and bounded; within each
// collector's output a host's events keep their order. Loopback only; bounded in time.
// The same fleet twice more: 10 auditflow relp agents through a real rsyslog imrelp → omrelp relay
// (which pins groups of hosts to collectors) with a collector SIGKILLed behind it; and 10 auditflow
// redis agents into a real redis-server (appendonly) SIGKILLed and restarted, the test reading the
// list and the stream back the way Logstash's redis input would.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/log.js';
import type { Output } from '../src/pipeline/types.js';
import type { NormalizedRecord } from '../src/record.js';
import { freeTcpPort, needTool } from './support/rsyslog.js';
import { writtenJsonLines } from './support/io.js';
import { RelpRelay } from './support/rsyslog-relp.js';
import { REDIS_SERVER, startRedis, type RedisServer } from './support/redis.js';
import { AUDISP_REMOTE, startAudispRemote } from './support/audisp-remote.js';
import { buildOutput, sampleEvents, sampleLines, waitFor } from './support/fleet.js';

const cli = fileURLToPath(new URL('./support/run-cli.ts', import.meta.url));

/** The capture as host `h` would produce it: normalized events, in the order reassembly emits them. */
const hostEvents = (host: string) => sampleEvents(host, { node: true });

interface Collector {
  dir: string;
  ar: number;
  relp: number;
  out: string;
  child: ChildProcess | null;
}

function startCollector(c: Collector): void {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--config', join(c.dir, 'auditflow.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  c.child = child;
}

const lines = (path: string): NormalizedRecord[] => writtenJsonLines(path);

const relpModule = ['/usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so', '/usr/lib/aarch64-linux-gnu/rsyslog/imrelp.so'].some(existsSync);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hosts = Array.from({ length: 10 }, (_, i) => `host-${i}`);
const auditEvents = (records: readonly NormalizedRecord[]) => records.filter((r) => r.event.module === 'auditd' && r.event.action !== 'lost-events');

/** The hosts short of their 300 events in these records, as "host-3 250/300, ..." ('' when none). */
function missing(records: readonly NormalizedRecord[]): string {
  const seen = new Map<string, Set<number>>();
  for (const r of auditEvents(records)) {
    let s = seen.get(r.host!.name!);
    if (!s) seen.set(r.host!.name!, (s = new Set()));
    s.add(r.event.sequence!);
  }
  return hosts
    .filter((h) => (seen.get(h)?.size ?? 0) !== 300)
    .map((h) => `${h} ${seen.get(h)?.size ?? 0}/300`)
    .join(', ');
}

/** Waits until every host's 300 events are in `records()` at least once; the error names who is short. */
async function waitComplete(what: string, records: () => NormalizedRecord[], timeoutMs: number): Promise<void> {
  try {
    await waitFor(what, () => missing(records()) === '', timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${missing(records())}`);
  }
}

/** All 3000 events there, duplicates (counted and shown) at most `maxDuplicates`. */
function assertAllOnce(records: readonly NormalizedRecord[], maxDuplicates: number, why: string): void {
  const events = auditEvents(records);
  const unique = new Set(events.map((r) => `${r.host!.name} ${r.event.sequence}`)).size;
  const duplicates = events.length - unique;
  console.log(`      ${events.length} records, ${unique} unique, ${duplicates} duplicates`);
  assert.equal(unique, 3000);
  assert.ok(duplicates <= maxDuplicates, `duplicates: ${duplicates} (${why})`);
}

/** Within one ordered sequence of records (a collector's file, a Redis list or stream), each host's
 * first occurrences of whole events follow the order its events were emitted in. A failover can
 * split an event's records between two collectors (the acknowledged part went to the dead one):
 * the other collector holds the rest until its reassembly timeout, after later events, so such a
 * part is no order evidence. */
function assertHostOrder(records: readonly NormalizedRecord[], where: string): void {
  for (const h of hosts) {
    const sent = hostEvents(h);
    const rank = new Map(sent.map((r, i) => [r.event.sequence!, i]));
    const size = new Map(sent.map((r) => [r.event.sequence!, r.audit?.record_types?.length]));
    const seen = new Set<number>();
    let last = -1;
    let inversions = 0;
    for (const r of auditEvents(records)) {
      if (r.host?.name !== h || seen.has(r.event.sequence!)) continue;
      if (r.audit?.record_types?.length !== size.get(r.event.sequence!)) continue; // a part of a split event
      seen.add(r.event.sequence!);
      const k = rank.get(r.event.sequence!)!;
      if (k < last) inversions++;
      last = Math.max(last, k);
    }
    assert.equal(inversions, 0, `${h} out of order in ${where}`);
  }
}

const up = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

describe('fleet: 10 hosts, a collector or Redis SIGKILLed and restarted mid-stream', function () {
  this.timeout(90000);
  let root: string;
  const collectors: Collector[] = [];
  const agents: Output[] = [];
  const senders: ChildProcess[] = [];
  const cleanup: (() => Promise<void>)[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'af-fleet-'));
  });
  afterEach(async () => {
    for (const s of senders.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
    for (const a of agents.splice(0)) await a.close(Date.now() + 200);
    for (const c of collectors.splice(0)) if (c.child && c.child.exitCode === null) c.child.kill('SIGKILL');
    for (const c of cleanup.splice(0).reverse()) await c();
    rmSync(root, { recursive: true, force: true });
  });

  /** 3 `auditflow run` collectors (audit_remote + relp inputs, file output), listening. */
  async function startCollectors(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const c: Collector = {
        dir: join(root, `c${i}`),
        ar: await freeTcpPort(),
        relp: await freeTcpPort(),
        out: join(root, `c${i}`, 'events.jsonl'),
        child: null,
      };
      mkdirSync(c.dir);
      writeFileSync(
        join(c.dir, 'auditflow.yaml'),
        [
          `state_dir: ${c.dir}/state`,
          'log_level: warn',
          'inputs:',
          `  - { type: audit_remote, name: ar, listen: "127.0.0.1:${c.ar}", reassembly_timeout_ms: 500 }`,
          `  - { type: relp, name: relp, listen: "127.0.0.1:${c.relp}", reassembly_timeout_ms: 500 }`,
          'filters:',
          '  - { type: redact, enabled: false }',
          'outputs:',
          `  - { type: file, path: ${c.out} }`,
          '',
        ].join('\n'),
      );
      collectors.push(c);
      startCollector(c);
    }
    const end = Date.now() + 20000;
    for (const c of collectors) {
      while (!(await up(c.ar)) || !(await up(c.relp))) {
        if (Date.now() > end) throw new Error(`collector ${c.dir} did not start`);
        await sleep(100);
      }
    }
  }

  /** An agent's output fed its host's events in slices of `slice`, `pauseMs` apart, as a pipeline would. */
  async function replay(item: Record<string, unknown>, host: string, slice: number, pauseMs: number): Promise<{ done: Promise<void> }> {
    const out = buildOutput(item, { stateDir: join(root, 'agents', host), hostName: 'agent', log: silentLogger });
    await out.start();
    agents.push(out);
    const events = hostEvents(host);
    const done = (async () => {
      for (let k = 0; k < events.length; k += slice) {
        await out.write(events.slice(k, k + slice));
        if (pauseMs) await sleep(pauseMs);
      }
    })();
    return { done };
  }

  it('direct (audit_remote + relp): every event of every host arrives at least once, duplicates bounded, per-host order kept in each collector (first occurrences)', async function () {
    needTool(this, AUDISP_REMOTE, 'apt-get install audispd-plugins');
    await startCollectors();

    // 4 audisp-remote senders, one collector each (it knows a single server) — two on collector 0
    for (let i = 0; i < 4; i++) {
      const c = collectors[i % 3];
      const child = startAudispRemote({ dir: root, port: c.ar, format: 'managed' });
      child.stdin!.on('error', () => {});
      child.stdin!.write(sampleLines.map((l) => `node=${hosts[i]} ${l}\n`).join(''));
      senders.push(child);
    }
    const writes: Promise<void>[] = [];
    for (let i = 4; i < 10; i++) {
      const first = i % 3;
      const order = [first, (first + 1) % 3, (first + 2) % 3].map((k) => collectors[k]);
      writes.push(
        (
          await replay(
            i < 7
              ? { type: 'audit_remote', node: hosts[i], servers: order.map((c) => `127.0.0.1:${c.ar}`), window: 32, ack_timeout_ms: 2000, max_backoff_ms: 300 }
              : { type: 'relp', servers: order.map((c) => `127.0.0.1:${c.relp}`), window: 32, ack_timeout_ms: 2000, max_backoff_ms: 300 },
            hosts[i],
            25,
            0,
          )
        ).done,
      );
    }

    // SIGKILL collector 0 once it has written something, restart it a second later
    const victim = collectors[0];
    await waitFor('collector 0 busy', () => lines(victim.out).length > 100, 30000);
    victim.child!.kill('SIGKILL');
    await sleep(1000);
    startCollector(victim);

    await Promise.all(writes);
    const all = () => collectors.flatMap((c) => lines(c.out));
    await waitComplete('every event of every host', all, 40000);
    for (const s of senders) s.stdin!.end();

    // duplicates come from the killed collector's journal replay and the agents' resent windows
    assertAllOnce(all(), 1500, 'journal replay and resent windows');
    for (const c of collectors) assertHostOrder(lines(c.out), c.dir);
  });

  it('through an rsyslog RELP relay (imrelp → omrelp, hosts pinned to collectors), collector 0 SIGKILLed behind it: every event at least once, duplicates bounded, per-host order kept in each collector (first occurrences)', async function () {
    needTool(this, 'rsyslogd', 'apt-get install rsyslog');
    if (!relpModule) {
      if (process.env.CI === 'true') throw new Error('rsyslog-relp missing (required under CI)');
      this.skip();
    }
    await startCollectors();
    // hosts 0-3 → collector 0, 4-6 → 1, 7-9 → 2: one omrelp action (and disk-assisted queue) each
    const pinned = [hosts.slice(0, 4), hosts.slice(4, 7), hosts.slice(7)];
    const relay = new RelpRelay({ inPort: await freeTcpPort(), window: 32, routes: pinned.map((hs, k) => ({ hosts: hs, port: collectors[k].relp })) });
    await relay.start();
    cleanup.push(() => relay.stop());

    // paced (12 slices, 150 ms apart) so the stream is still flowing when collector 0 dies
    const writes = (
      await Promise.all(
        hosts.map((h) => replay({ type: 'relp', servers: [`127.0.0.1:${relay.o.inPort}`], window: 32, ack_timeout_ms: 2000, max_backoff_ms: 300 }, h, 25, 150)),
      )
    ).map((w) => w.done);
    const victim = collectors[0];
    await waitFor('collector 0 busy', () => lines(victim.out).length > 100, 30000);
    victim.child!.kill('SIGKILL');
    const atKill = new Set(auditEvents(lines(victim.out)).map((r) => `${r.host!.name} ${r.event.sequence}`)).size;
    assert.ok(atKill < 1200, `collector 0 was killed mid-stream (it had ${atKill} of its hosts' 1200 events)`);
    await sleep(1000);
    startCollector(victim);

    await Promise.all(writes);
    const all = () => collectors.flatMap((c) => lines(c.out));
    await waitComplete('every event of every host through the relay', all, 40000);

    // duplicates: collector 0's journal replay plus omrelp's window (32) resent after its session
    // broke; never more than collector 0's share
    assertAllOnce(all(), 1200, 'journal replay and omrelp resends');
    collectors.forEach((c, k) => {
      const names = new Set(auditEvents(lines(c.out)).map((r) => r.host!.name));
      assert.deepEqual([...names].sort(), pinned[k], `hosts in ${c.dir}`);
      assertHostOrder(lines(c.out), c.dir);
    });
  });

  it('through Redis (RPUSH list and XADD stream), redis-server SIGKILLed and restarted on its AOF: every event at least once, duplicates bounded by one batch per agent, per-host order kept in the list and in the stream (first occurrences)', async function () {
    needTool(this, REDIS_SERVER, 'apt-get install redis-server');
    const port = await freeTcpPort();
    const rdir = join(root, 'redis');
    let redis: RedisServer = await startRedis(rdir, { port, appendonly: true });
    cleanup.push(() => redis.stop());
    // hosts 0-4 push onto a list, 5-9 add to a stream (both Logstash redis input shapes)
    const batch = 25;
    const writes = (
      await Promise.all(
        hosts.map((h, i) =>
          replay(
            i < 5
              ? { type: 'redis', url: `redis://127.0.0.1:${port}`, key: 'audit', batch_size: batch, max_backoff_ms: 200 }
              : { type: 'redis', url: `redis://127.0.0.1:${port}/0`, key: 'audit-stream', data_type: 'stream', batch_size: batch, max_backoff_ms: 200 },
            h,
            batch,
            150,
          ),
        ),
      )
    ).map((w) => w.done);
    const stored = () => Number(redis.cli(['LLEN', 'audit']).trim()) + Number(redis.cli(['XLEN', 'audit-stream']).trim());
    await waitFor('redis busy', () => stored() > 500, 20000);
    const seenBeforeKill = stored();
    await redis.stop(); // SIGKILL
    let settled = false;
    void Promise.all(writes).then(() => {
      settled = true;
    });
    await sleep(500);
    assert.equal(settled, false, 'the agents were still writing while redis-server was down');
    redis = await startRedis(rdir, { port, appendonly: true });
    // Redis writes its AOF before it replies, so whatever a client saw survives the kill
    assert.ok(stored() >= seenBeforeKill, `after the restart ${stored()} of the ${seenBeforeKill} seen before`);
    await Promise.all(writes);

    // the consumer side: the list and the stream read back in order
    const list = redis
      .cli(['LRANGE', 'audit', '0', '-1'])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as NormalizedRecord);
    const flat = redis.cli(['XRANGE', 'audit-stream', '-', '+']).trim().split('\n');
    const stream: NormalizedRecord[] = [];
    for (let k = 0; k + 2 < flat.length; k += 3) {
      assert.equal(flat[k + 1], 'message');
      stream.push(JSON.parse(flat[k + 2]));
    }
    assert.deepEqual([...new Set(auditEvents(list).map((r) => r.host!.name))].sort(), hosts.slice(0, 5));
    assert.deepEqual([...new Set(auditEvents(stream).map((r) => r.host!.name))].sort(), hosts.slice(5));
    // a command Redis applied whose reply the kill lost is sent again: at most one batch per agent
    assertAllOnce([...list, ...stream], 10 * batch, 'one unanswered batch per agent');
    assertHostOrder(list, 'the list');
    assertHostOrder(stream, 'the stream');
  });
});
