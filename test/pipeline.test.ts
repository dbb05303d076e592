import assert from 'node:assert/strict';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { Filter, Output } from '../src/pipeline/types.js';
import type { NormalizedRecord } from '../src/record.js';
import { silentLogger } from '../src/log.js';
import { parseError } from '../src/errors.js';

const rec = (action: string, uid = '0'): NormalizedRecord => ({
  '@timestamp': '2026-11-23T00:00:00.000Z',
  event: { module: 'auditd', action },
  user: { id: uid },
});

class HeldOutput implements Output {
  readonly name = 'held';
  got: string[] = [];
  private releases: (() => void)[] = [];
  fail = false;
  async start() {}
  write(records: readonly NormalizedRecord[]) {
    return new Promise<void>((resolve, reject) => {
      this.releases.push(() => {
        if (this.fail) return reject(new Error('sink down'));
        this.got.push(...records.map((r) => r.event.action));
        resolve();
      });
    });
  }
  /** Lets writes finish, newest first, to prove acks still come back in push order. */
  releaseAllReversed() {
    const r = this.releases.reverse();
    this.releases = [];
    r.forEach((f) => f());
  }
  pending() {
    return this.releases.length;
  }
  async close() {}
}

const dropUid = (uid: string): Filter => {
  let kept = 0,
    dropped = 0;
  return {
    name: `drop-uid-${uid}`,
    apply: (r) => (r.user?.id === uid ? (dropped++, null) : (kept++, r)),
    stats: () => ({ kept, dropped, modified: 0 }),
  };
};

describe('pipeline', () => {
  it('runs filters in order, delivers what survives, and acks in push order', async () => {
    const out = new HeldOutput();
    const p = new Pipeline({ filters: [dropUid('992')], outputs: [out], log: silentLogger });
    await p.start();
    const acks: number[] = [];
    await p.push({ records: [rec('a'), rec('cron', '992')], ack: () => acks.push(1) });
    await p.push({ records: [rec('b')], ack: () => acks.push(2) });
    await p.push({ records: [rec('noise', '992')], ack: () => acks.push(3) }); // all dropped: still acked
    out.releaseAllReversed();
    await p.settle();
    assert.deepEqual(acks, [1, 2, 3]);
    assert.deepEqual(out.got.sort(), ['a', 'b']);
    assert.equal(p.counters.dropped, 2);
  });

  it('does not ack a batch an output failed to take', async () => {
    const out = new HeldOutput();
    out.fail = true;
    const p = new Pipeline({ filters: [], outputs: [out], log: silentLogger });
    await p.start();
    let acked = false;
    await p.push({
      records: [rec('a')],
      ack: () => {
        acked = true;
      },
    });
    out.releaseAllReversed();
    await p.settle();
    assert.equal(acked, false);
    assert.equal(p.counters.outputErrors, 1);
  });

  it('makes push() wait once maxInFlight batches are undelivered', async () => {
    const out = new HeldOutput();
    const p = new Pipeline({ filters: [], outputs: [out], log: silentLogger, maxInFlight: 2 });
    await p.start();
    await p.push({ records: [rec('1')] });
    let third = false;
    const second = p.push({ records: [rec('2')] }).then(() => {
      third = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false, 'push returned while 2 batches were in flight');
    out.releaseAllReversed();
    await second;
    assert.equal(third, true);
  });

  it('also waits once maxInFlightRecords records are undelivered, whatever the batch count', async () => {
    const out = new HeldOutput();
    const p = new Pipeline({ filters: [], outputs: [out], log: silentLogger, maxInFlight: 100, maxInFlightRecords: 3 });
    await p.start();
    let returned = false;
    const big = p.push({ records: [rec('1'), rec('2'), rec('3')] }).then(() => {
      returned = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(returned, false, 'push returned with 3 records in flight');
    out.releaseAllReversed();
    await big;
    assert.equal(p.counters.recordsInFlight, 0);
  });

  it('ships input errors as pipeline_error records when asked to', async () => {
    const got: NormalizedRecord[] = [];
    const out: Output = {
      name: 'collect',
      start: async () => {},
      write: async (r) => {
        got.push(...r);
      },
      close: async () => {},
    };
    const p = new Pipeline({ filters: [], outputs: [out], log: silentLogger, errorRecords: true });
    await p.start();
    p.sinkFor({ name: 'auditlog:/var/log/audit/audit.log' }).error(parseError('/var/log/audit/audit.log:17', 'not an audit record: bad serial'));
    await p.settle();
    assert.equal(got.length, 1);
    assert.equal(got[0].event.kind, 'pipeline_error');
    assert.deepEqual(got[0].error, {
      message: '/var/log/audit/audit.log:17: not an audit record: bad serial',
      type: 'AF_ERR_PARSE',
      input: '/var/log/audit/audit.log:17',
    });
    assert.equal(p.counters.inputErrors, 1);
  });

  it('passes records a filter makes at drain time through the filters after it only', async () => {
    const out = new HeldOutput();
    const summary: Filter = {
      name: 'summary',
      apply: (r) => r,
      stats: () => ({ kept: 0, dropped: 0, modified: 0 }),
      drain: (_now, final) => (final ? [rec('summary', '992'), rec('summary-kept')] : []),
    };
    const p = new Pipeline({ filters: [summary, dropUid('992')], outputs: [out], log: silentLogger });
    await p.start();
    const stopping = p.stop(Date.now() + 1000);
    await new Promise((r) => setImmediate(r));
    out.releaseAllReversed();
    await stopping;
    assert.deepEqual(out.got, ['summary-kept']);
  });
});
