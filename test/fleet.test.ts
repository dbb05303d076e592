// The fleet: 3 collectors (`auditflow run`, each with audit_remote and relp inputs and a file
// output) and 10 senders — 4 real audisp-remote processes and 6 auditflow agents (3 audit_remote
// with failover, 3 relp with failover), each host replaying the real capture under its own node
// name. Collector 0 is SIGKILLed mid-stream and restarted on the same ports and state_dir. Every
// event of every host must arrive at least once; duplicates are counted and bounded; within each
// collector's output a host's events keep their order. Loopback only; bounded in time.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/log.js';
import type { Output } from '../src/pipeline/types.js';
import type { NormalizedRecord } from '../src/record.js';
import { AuditStream } from '../src/audit/stream.js';
import { freeTcpPort, needTool } from './support/rsyslog.js';
import { AUDISP_REMOTE, startAudispRemote } from './support/audisp-remote.js';
import { buildOutput, sampleLines, waitFor } from './support/fleet.js';

const cli = fileURLToPath(new URL('./support/run-cli.ts', import.meta.url));

/** The capture as host `h` would produce it: normalized events, in the order reassembly emits them. */
function hostEvents(host: string): NormalizedRecord[] {
  const out: NormalizedRecord[] = [];
  const s = new AuditStream({ onRecord: (r) => { if (r.event.action !== 'lost-events') { r.host = { name: host }; out.push(r); } }, onError: () => {} });
  sampleLines.forEach((l, i) => s.line(`node=${host} ${l}`, `sample:${i + 1}`, i));
  s.flush();
  return out;
}

interface Collector { dir: string; ar: number; relp: number; out: string; child: ChildProcess | null }

function startCollector(c: Collector): void {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--config', join(c.dir, 'auditflow.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  c.child = child;
}

const lines = (path: string): NormalizedRecord[] => {
  if (!existsSync(path)) return [];
  const t = readFileSync(path, 'utf8').split('\n');
  t.pop();
  return t.filter(Boolean).map((l) => JSON.parse(l));
};

describe('fleet: 3 collectors, 10 senders, one collector SIGKILLed and restarted', function () {
  this.timeout(90000);
  let root: string;
  const collectors: Collector[] = [];
  const agents: Output[] = [];
  const senders: ChildProcess[] = [];
  before(function () { needTool(this, AUDISP_REMOTE, 'apt-get install audispd-plugins'); });
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'af-fleet-')); });
  afterEach(async () => {
    for (const s of senders.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
    for (const a of agents.splice(0)) await a.close(Date.now() + 200);
    for (const c of collectors.splice(0)) if (c.child && c.child.exitCode === null) c.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('every event of every host arrives at least once, duplicates bounded, per-host order kept in each collector', async () => {
    for (let i = 0; i < 3; i++) {
      const c: Collector = { dir: join(root, `c${i}`), ar: await freeTcpPort(), relp: await freeTcpPort(), out: join(root, `c${i}`, 'events.jsonl'), child: null };
      mkdirSync(c.dir);
      writeFileSync(join(c.dir, 'auditflow.yaml'), [
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
      ].join('\n'));
      collectors.push(c);
      startCollector(c);
    }
    const up = (port: number) => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    const end = Date.now() + 20000;
    for (const c of collectors) {
      while (!(await up(c.ar)) || !(await up(c.relp))) {
        if (Date.now() > end) throw new Error(`collector ${c.dir} did not start`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const hosts = Array.from({ length: 10 }, (_, i) => `host-${i}`);
    // 4 audisp-remote senders, one collector each (it knows a single server) — two on collector 0
    for (let i = 0; i < 4; i++) {
      const c = collectors[i % 3];
      const child = startAudispRemote({ dir: root, port: c.ar, format: 'managed' });
      child.stdin!.on('error', () => {});
      child.stdin!.write(sampleLines.map((l) => `node=${hosts[i]} ${l}\n`).join(''));
      senders.push(child);
    }
    const ctx = { stateDir: join(root, 'agents'), hostName: 'agent', log: silentLogger };
    const writes: Promise<void>[] = [];
    for (let i = 4; i < 10; i++) {
      const first = i % 3;
      const order = [first, (first + 1) % 3, (first + 2) % 3].map((k) => collectors[k]);
      const out = i < 7
        ? buildOutput({ type: 'audit_remote', node: hosts[i], servers: order.map((c) => `127.0.0.1:${c.ar}`), window: 32, ack_timeout_ms: 2000, max_backoff_ms: 300 }, ctx)
        : buildOutput({ type: 'relp', servers: order.map((c) => `127.0.0.1:${c.relp}`), window: 32, ack_timeout_ms: 2000, max_backoff_ms: 300 }, ctx);
      await out.start();
      agents.push(out);
      const events = hostEvents(hosts[i]);
      // in slices, as a pipeline would hand them over
      writes.push((async () => { for (let k = 0; k < events.length; k += 25) await out.write(events.slice(k, k + 25)); })());
    }

    // SIGKILL collector 0 once it has written something, restart it a second later
    const victim = collectors[0];
    await waitFor('collector 0 busy', () => lines(victim.out).length > 100, 30000);
    victim.child!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    startCollector(victim);

    await Promise.all(writes);
    const all = () => collectors.flatMap((c) => lines(c.out)).filter((r) => r.event.module === 'auditd' && r.event.action !== 'lost-events');
    const complete = () => {
      const seen = new Map<string, Set<number>>();
      for (const r of all()) {
        let s = seen.get(r.host!.name!);
        if (!s) seen.set(r.host!.name!, (s = new Set()));
        s.add(r.event.sequence!);
      }
      return hosts.every((h) => (seen.get(h)?.size ?? 0) === 300);
    };
    await waitFor('every event of every host', complete, 40000);
    for (const s of senders) s.stdin!.end();

    const records = all();
    const unique = new Set(records.map((r) => `${r.host!.name} ${r.event.sequence}`)).size;
    const duplicates = records.length - unique;
    console.log(`      ${records.length} records, ${unique} unique, ${duplicates} duplicates`);
    assert.equal(unique, 3000);
    // duplicates come from the killed collector's journal replay and the agents' resent windows
    assert.ok(duplicates <= 1500, `duplicates: ${duplicates}`);

    // order: within each collector's output, a host's first occurrences follow its emission order
    for (const h of hosts) {
      const rank = new Map(hostEvents(h).map((r, i) => [r.event.sequence!, i]));
      for (const c of collectors) {
        const seen = new Set<number>();
        let last = -1;
        let inversions = 0;
        for (const r of lines(c.out)) {
          if (r.host?.name !== h || r.event.action === 'lost-events' || seen.has(r.event.sequence!)) continue;
          seen.add(r.event.sequence!);
          const k = rank.get(r.event.sequence!)!;
          if (k < last) inversions++;
          last = Math.max(last, k);
        }
        assert.equal(inversions, 0, `${h} out of order in ${c.dir}`);
      }
    }
  });
});
