import assert from 'node:assert/strict';
import { Throttle } from '../src/filters/throttle.js';
import { buildFilterChain } from '../src/filters/index.js';
import { isoTime, type NormalizedRecord } from '../src/record.js';
import { silentLogger } from '../src/log.js';

const T0 = Date.parse('2026-11-23T00:53:05.000Z');

function exec(ms: number, exe = '/usr/bin/curl', uid = '0'): NormalizedRecord {
  return {
    '@timestamp': isoTime(ms),
    event: { module: 'auditd', kind: 'event', action: 'executed', category: ['process'], type: ['start'] },
    process: { pid: 4242, executable: exe, args: [exe, 'http://127.0.0.1:9/'] },
    user: { id: uid, name: uid === '0' ? 'root' : 'nobody' },
  };
}

describe('throttle', () => {
  it('turns a flood of 100,000 identical events into a handful of records plus suppression summaries', () => {
    // the whole default chain, as the daemon builds it, with a throttle configured
    const filters = buildFilterChain([{ type: 'throttle', rate: 1, burst: 5, summary_interval: 10 }], { stateDir: '/tmp', hostName: 't', log: silentLogger });
    const throttle = filters.find((f) => f instanceof Throttle)!;
    let wall = T0;
    const out: NormalizedRecord[] = [];
    const pass = (r: NormalizedRecord): void => {
      let x: NormalizedRecord | null = r;
      for (const f of filters) if (x) x = f.apply(x);
      if (x) out.push(x);
    };
    // 100,000 events over 20 seconds of audit time; the pipeline drains every second of it
    for (let i = 0; i < 100_000; i++) {
      const t = T0 + Math.floor(i / 5); // 5 events per millisecond
      pass(exec(t));
      if (t >= wall + 1000) {
        wall = t;
        for (const s of throttle.drain!(wall, false)) out.push(s);
      }
    }
    for (const s of throttle.drain!(wall, true)) out.push(s);

    const events = out.filter((r) => r.event.kind === 'event');
    const summaries = out.filter((r) => r.event.kind === 'metric');
    // burst 5 + 1/s over the 20 s the flood lasted
    assert.ok(events.length >= 5 && events.length <= 5 + 20 + 1, `${events.length} events let through`);
    assert.ok(summaries.length >= 2 && summaries.length <= 3, `${summaries.length} summaries`);
    const suppressed = summaries.reduce((n, s) => n + (s.throttle as { suppressed: number }).suppressed, 0);
    assert.equal(events.length + suppressed, 100_000, 'every event is either let through or counted');
    const s0 = summaries[0];
    assert.equal(s0.event.module, 'auditflow');
    assert.equal(s0.event.action, 'events-suppressed');
    assert.match(s0.message!, /^\d+ similar events suppressed \(event\.action=executed process\.executable=\/usr\/bin\/curl user\.id=0\)$/);
    assert.deepEqual((s0.throttle as { key: unknown }).key, { 'event.action': 'executed', 'process.executable': '/usr/bin/curl', 'user.id': '0' });
    assert.equal(s0.user!.id, '0');
    assert.deepEqual(throttle.stats(), { kept: events.length, dropped: suppressed, modified: 0, summaries: summaries.length, keys: 1 });
  });

  it('keeps separate buckets per key and lets quiet keys through untouched', () => {
    const t = new Throttle({ type: 'throttle', rate: 1, burst: 3 });
    let curl = 0;
    let id = 0;
    for (let i = 0; i < 100; i++) {
      if (t.apply(exec(T0, '/usr/bin/curl'))) curl++;
      if (i % 50 === 0 && t.apply(exec(T0, '/usr/bin/id', '65534'))) id++;
    }
    assert.equal(curl, 3);
    assert.equal(id, 2);
    const [summary, ...rest] = t.drain(T0, true);
    assert.equal(rest.length, 0);
    assert.equal((summary.throttle as { suppressed: number }).suppressed, 97);
  });

  it("refills by the records' own time, so a replayed log throttles like the live feed", () => {
    const t = new Throttle({ type: 'throttle', rate: 2, burst: 2 });
    const kept = [0, 10, 20, 400, 600, 1100, 1600].filter((ms) => t.apply(exec(T0 + ms)) !== null);
    // 2 from the bucket; +1 token by 500 ms, +1 by 1000 ms, +1 by 1500 ms
    assert.deepEqual(kept, [0, 10, 600, 1100, 1600]);
  });

  it('tells snoopy and bash commands apart under the default key (they have no executable)', () => {
    const t = new Throttle({ type: 'throttle', rate: 1, burst: 1 });
    const bash = (cmd: string): NormalizedRecord => ({
      '@timestamp': isoTime(T0),
      event: { module: 'bash', action: 'executed-command' },
      process: { command_line: cmd },
      user: { id: '0' },
    });
    assert.ok(t.apply(bash('ls -la')));
    assert.ok(t.apply(bash('id')), 'another command: its own bucket');
    assert.equal(t.apply(bash('ls -la')), null, 'the same command again: throttled');
    const [s] = t.drain(T0, true);
    assert.equal(s.message, '1 similar events suppressed (event.action=executed-command process.executable=ls -la user.id=0)');
    assert.equal(s.process, undefined, 'the command line is not put where the executable goes');
  });

  it('uses the configured key and never throttles its own summaries', () => {
    const t = new Throttle({ type: 'throttle', key: ['user.id'], rate: 1, burst: 1 });
    assert.ok(t.apply(exec(T0, '/a')));
    assert.equal(t.apply(exec(T0, '/b')), null, 'same user, other program: same key');
    assert.ok(t.apply(exec(T0, '/b', '65534')));
    const [s] = t.drain(T0, true);
    assert.equal(s.message, '1 similar events suppressed (user.id=0)');
    assert.equal(t.apply(s), s);
    assert.equal(t.apply(s), s);
  });

  it('its summaries pass the chain filters after it (they are about commands, not auditflow)', () => {
    const filters = buildFilterChain([{ type: 'throttle', rate: 1, burst: 1 }, { filter_chain: 'only_tty;only_uid:65534' }], {
      stateDir: '/tmp',
      hostName: 't',
      log: silentLogger,
    });
    const t = filters.find((f) => f instanceof Throttle)!;
    t.apply(exec(T0));
    t.apply(exec(T0));
    const [s] = t.drain!(T0, true);
    const after = filters.slice(filters.indexOf(t) + 1);
    assert.equal(
      after.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), s),
      s,
    );
    assert.equal(
      after.reduce<NormalizedRecord | null>((x, f) => (x ? f.apply(x) : x), exec(T0)),
      null,
      'a command without a tty is still dropped',
    );
  });

  it('stays within max_keys and still reports what an evicted key suppressed', () => {
    const t = new Throttle({ type: 'throttle', rate: 1, burst: 1, max_keys: 2 });
    for (const exe of ['/a', '/b', '/c']) {
      t.apply(exec(T0, exe));
      t.apply(exec(T0, exe));
    }
    assert.equal(t.stats().keys, 2);
    const msgs = t
      .drain(T0, true)
      .map((s) => s.message)
      .sort();
    assert.deepEqual(
      msgs,
      ['/a', '/b', '/c'].map((e) => `1 similar events suppressed (event.action=executed process.executable=${e} user.id=0)`),
    );
  });

  it('emits a summary once the interval has passed, and nothing when nothing was suppressed', () => {
    let now = 1_000_000;
    const t = new Throttle({ type: 'throttle', rate: 1, burst: 1, summary_interval: 5 }, () => now);
    assert.deepEqual(t.drain(now, false), []);
    t.apply(exec(T0));
    t.apply(exec(T0));
    assert.deepEqual(t.drain(now, false), [], 'interval not over yet');
    now += 5000;
    assert.equal(t.drain(now, false).length, 1);
    assert.deepEqual(t.drain(now, false), [], 'reported once');
  });
});
