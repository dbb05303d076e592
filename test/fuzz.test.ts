import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { prng } from './support/prng.js';
import { parseLine, parseNetlink, isFailure, decode, decodeBytes, recordTypeName, type AuditRecord } from '../src/audit/record.js';
import { Reassembler } from '../src/audit/reassembler.js';

// Deterministic: a failure here reproduces with the same seed.
const SEED = 0x5eed_a0d1;

const sample = readFileSync(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l !== '');

// Characters that matter to the scanner, plus broken text.
const SPECIAL = ['"', "'", '\x1d', '\0', '=', ' ', '(', ')', ':', '.', '\n', '\x01', '\uFFFD', '\uD800', 'é', '🚀', "msg='", 'audit(', 'type=', 'node='];

class Mutator {
  readonly rand: () => number;
  constructor(seed: number) {
    this.rand = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  char(): string {
    return this.rand() < 0.5 ? this.pick(SPECIAL) : String.fromCharCode(this.int(256));
  }

  /**
   * A corrupted copy of a real record that still carries the real serial is indistinguishable
   * from the real thing, so garbage made from sample lines gets a serial of its own, far from
   * the sample's: 2,100,000,000 and up, so that even a flipped digit keeps it far away.
   */
  restamp(line: string): string {
    const serial = 2_100_000_000 + this.int(2_000_000_000);
    return line.replace(/:\d+\)/, `:${serial})`);
  }

  garbage(): string {
    const src = this.restamp(this.pick(sample));
    switch (this.int(9)) {
      case 0: {
        // byte flips
        const a = [...src];
        for (let k = 1 + this.int(4); k > 0; k--) a[this.int(a.length)] = this.char();
        return a.join('');
      }
      case 1: // truncation
        return src.slice(0, this.int(src.length + 1));
      case 2: {
        // inserted quotes / 0x1D / NULs
        let s = src;
        for (let k = 1 + this.int(5); k > 0; k--) {
          const at = this.int(s.length + 1);
          s = s.slice(0, at) + this.char() + s.slice(at);
        }
        return s;
      }
      case 3: {
        // a slice cut out
        const a = this.int(src.length),
          b = a + this.int(40);
        return src.slice(0, a) + src.slice(b);
      }
      case 4: {
        // huge values (mostly big, sometimes very big: the scan must stay linear)
        const big =
          this.rand() < 0.9
            ? this.pick(['A'.repeat(20_000), '41'.repeat(15_000), '"' + 'x'.repeat(30_000), '9'.repeat(5000), 'a=b '.repeat(5000)])
            : this.pick(['41'.repeat(500_000), 'a=b '.repeat(100_000), '"' + 'x'.repeat(1_000_000)]);
        const at = src.indexOf('=', src.indexOf('): ') + 3);
        return at < 0 ? src + big : src.slice(0, at + 1) + big + src.slice(at + 1);
      }
      case 5: {
        // huge header numbers
        const serial = 2_100_000_000 + this.int(2_000_000_000);
        return src.replace(
          /audit\(\d+\.\d+:\d+\)/,
          this.pick([
            'audit(99999999999999999999.123:5)',
            'audit(1795395184.672:99999999999999999999)',
            'audit(1795395184.672:-5)',
            `audit(1795395184.99999999999:${serial})`,
            `audit(NaN.1:${serial})`,
            `audit(1795395184.672:${serial}`,
            'audit()',
            'audit(1795395184.672:)',
            `audit(999999999999.999:${serial})`,
          ]),
        );
      }
      case 6: {
        // random bytes, decoded the way an input would (invalid UTF-8 → U+FFFD) or raw
        const buf = Buffer.alloc(this.int(300));
        for (let i = 0; i < buf.length; i++) buf[i] = this.int(256);
        return buf.toString(this.rand() < 0.5 ? 'utf8' : 'latin1');
      }
      case 7: {
        // unterminated quotes in user messages and values
        const at = src.indexOf('"');
        return at < 0 ? src + ' msg=\'op=x acct="y' : src.slice(0, at + 1) + src.slice(at + 1).replace(/"/g, '');
      }
      default: // header-shaped nonsense
        return this.pick([
          '',
          ' ',
          '=',
          '==',
          'type=',
          'type= msg=',
          'node= type=SYSCALL',
          'type=SYSCALL msg=audit(',
          `type=PROCTITLE msg=audit(1795395185.000:${2_100_000_000 + this.int(1e9)}): proctitle=`,
          `type=EOE msg=audit(1795395185.000:${2_100_000_000 + this.int(1e9)}): `,
          `type=USER_CMD msg=audit(1795395185.000:${2_100_000_000 + this.int(1e9)}): msg='`,
          `type=SYSCALL msg=audit(1795395185.000:${2_100_000_000 + this.int(1e9)}): ` + '\x1d'.repeat(100),
        ]);
    }
  }
}

describe('fuzz: parser and reassembler on garbage', function () {
  it('parses 20,000 mutated lines and netlink payloads without throwing, into well-formed results', () => {
    const m = new Mutator(SEED);
    let records = 0,
      failures = 0;
    for (let i = 0; i < 20_000; i++) {
      const line = m.garbage();
      const r = i % 2 === 0 ? parseLine(line) : parseNetlink(1300 + m.int(1700), line.slice(line.indexOf('audit(') >= 0 ? line.indexOf('audit(') : 0));
      if (isFailure(r)) {
        failures++;
        assert.equal(typeof r.error, 'string');
        assert.ok(r.offset >= 0 && r.offset <= line.length, `offset ${r.offset} of ${line.length}`);
        continue;
      }
      records++;
      assert.ok(Number.isFinite(r.time) && r.time >= 0, `time ${r.time}`);
      assert.ok(Number.isInteger(r.serial) && r.serial >= 0 && r.serial <= 0xffffffff, `serial ${r.serial}`);
      assert.equal(typeof r.type, 'string');
      for (const k in r.fields) {
        decode(r.fields[k]);
        decodeBytes(r.fields[k]);
      }
    }
    // both outcomes are exercised, not just one
    assert.ok(records > 2000 && failures > 2000, `${records} records, ${failures} failures`);
  });

  it("reads pathological megabyte lines (bare words, lone quotes, nested msg=', 0x1D runs) into the right fields", () => {
    const H = 'type=SYSCALL msg=audit(1795395184.672:94972): ';
    const cases: [string, Record<string, string>][] = [
      [H + 'x '.repeat(500_000) + 'a=1', { a: '1' }],
      [H + ' '.repeat(1_000_000) + 'a=1', { a: '1' }],
      [H + '='.repeat(1_000_000), { '': '='.repeat(999_999) }],
      [H + '"'.repeat(1_000_000), {}],
      [H + "msg='".repeat(200_000), { msg: "'msg='" }],
      [H + 'old new '.repeat(125_000) + 'auid=1', { new_auid: '1' }],
      [H + '\x1d'.repeat(1_000_000), {}],
      [H + 'a=1\x1d' + 'A={ '.repeat(250_000), { a: '1' }],
    ];
    for (const [line, want] of cases) {
      const r = parseLine(line);
      if (isFailure(r)) assert.fail(r.error);
      for (const [k, v] of Object.entries(want)) assert.equal(r.fields[k], v, `${line.slice(47, 60)}…: ${k}`);
      if (Object.keys(want).length === 0) assert.deepEqual(Object.keys(r.fields), []);
    }
  });

  it('reassembles 50,000 random records (serials, jumps, nodes, types, times) keeping its invariants', () => {
    const rand = prng(SEED ^ 0xbeef);
    const int = (n: number) => Math.floor(rand() * n);
    const types = [1300, 1302, 1307, 1309, 1306, 1327, 1320, 1320, 1100, 1123, 1200, 1701, 1305, 1336, 2100, 1005, 1400, 0];
    const nodes = [undefined, undefined, undefined, 'a', 'b'];
    const maxInFlight = 50;
    const emitted: AuditRecord[] = [];
    const events: AuditRecord[][] = [];
    let callbacks = 0,
      lostCalls = 0;
    const r = new Reassembler({
      maxInFlight,
      timeoutMs: 500,
      windowSerials: 16,
      onEvent: (e) => {
        callbacks++;
        assert.ok(e.length > 0, 'empty event');
        for (const x of e) {
          assert.equal(x.serial, e[0].serial, 'mixed serials in one event');
          assert.equal(x.node, e[0].node, 'mixed nodes in one event');
        }
        emitted.push(...e);
        events.push(e);
      },
      onLost: (n) => {
        lostCalls += n;
        assert.ok(n > 0 && Number.isInteger(n));
      },
    });
    const pushed: AuditRecord[] = [];
    let serial = 4294967000; // crosses the uint32 rollover on the way
    let time = 1795395184000;
    for (let i = 0; i < 50_000; i++) {
      const roll = rand();
      if (roll < 0.6)
        serial = (serial + int(3)) >>> 0; // same, next, or one skipped
      else if (roll < 0.9)
        serial = (serial - int(20)) >>> 0; // a straggler
      else if (roll < 0.97)
        serial = (serial + 20 + int(5000)) >>> 0; // a gap
      else serial = int(0x100000000); // anywhere
      time += rand() < 0.9 ? int(3) : rand() < 0.5 ? -int(5000) : int(100_000);
      const typeId = types[int(types.length)];
      const rec: AuditRecord = {
        type: typeId === 0 ? 'WHATEVER' : recordTypeName(typeId),
        typeId,
        node: nodes[int(nodes.length)],
        time,
        serial,
        fields: {},
        enriched: undefined,
        body: String(i),
      };
      r.push(rec);
      if (typeId !== 1320) pushed.push(rec);
      assert.ok(r.inFlight <= maxInFlight + 256, `inFlight ${r.inFlight}`);
      if (i % 1000 === 0) r.maintain(int(2) * 1000);
    }
    r.flush();
    assert.equal(r.inFlight, 0);
    assert.equal(callbacks, r.counters.events);
    assert.equal(lostCalls, r.counters.lost);
    assert.equal(r.counters.records, 50_000);
    // every record but EOE out exactly once
    assert.equal(emitted.length, pushed.length);
    assert.equal(new Set(emitted).size, emitted.length);
    // and each event keeps its records in arrival order
    const order = new Map(pushed.map((x, i) => [x, i]));
    for (const e of events) {
      for (let k = 1; k < e.length; k++) assert.ok(order.get(e[k - 1])! < order.get(e[k])!, `records of ${e[0].serial} out of arrival order`);
    }
    // the stream exercised every way out, not just one
    const c = r.counters;
    for (const k of ['evicted', 'expired', 'late', 'outliers', 'resyncs', 'lost'] as const) assert.ok(c[k] > 0, `${k} never happened`);
    // bounded lost count: every jump counted is at most maxGap (default 1,000,000)
    assert.ok(r.counters.lost < 50_000 * 5000, `lost ${r.counters.lost}`);
  });

  it('keeps all 300 sample events whole, and their lost count, with 5,000 garbage lines among them', () => {
    const m = new Mutator(SEED ^ 0x1234);
    // garbage goes anywhere, also between records of one event and inside interleaved events
    const slots: string[][] = sample.map(() => []);
    const garbageLines: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const g = m.garbage();
      garbageLines.push(g);
      slots[m.int(slots.length)].push(g);
    }

    const events: AuditRecord[][] = [];
    const r = new Reassembler({ onEvent: (e) => events.push(e) });
    const good = new Set<AuditRecord>();
    const badRecords = new Set<AuditRecord>();
    const errors: string[] = [];
    let n = 0;
    const feed = (line: string, isGood: boolean) => {
      n++;
      const p = parseLine(line);
      if (isFailure(p)) {
        assert.ok(!isGood, `good line ${n} rejected: ${p.error}`);
        errors.push(`line ${n}: ${p.error} at ${p.offset}`); // what an input reports and counts
        return;
      }
      (isGood ? good : badRecords).add(p);
      r.push(p);
    };
    sample.forEach((line, i) => {
      for (const g of slots[i]) feed(g, false);
      feed(line, true);
    });
    r.flush();

    // every garbage line was either rejected or came out as a record: nothing vanished
    assert.equal(errors.length + badRecords.size, garbageLines.length);
    assert.ok(errors.length > 1000 && badRecords.size > 1000, `${errors.length} rejected, ${badRecords.size} parsed`);
    // EOE only marks an event's end and is never part of one (its serial's event is elsewhere)
    const eoe = [...badRecords].filter((x) => x.typeId === 1320).length;
    const out = events.flat();
    assert.equal(out.length, good.size + badRecords.size - eoe);
    assert.equal(new Set(out).size, out.length, 'no record emitted twice');

    // the good events: exactly the sample's 300, each complete, records in file order, unmixed
    const goodEvents = events.filter((e) => good.has(e[0]));
    assert.equal(goodEvents.length, 300);
    const expected = new Map<string, string[]>();
    for (const l of sample) {
      const key = l.startsWith('type=DAEMON_') ? l : /:(\d+)\)/.exec(l)![1];
      expected.set(key, [...(expected.get(key) ?? []), l]);
    }
    for (const e of goodEvents) {
      assert.ok(
        e.every((x) => good.has(x)),
        `event ${e[0].serial} has garbage in it`,
      );
      const key = e[0].type.startsWith('DAEMON_') ? sample.find((l) => l.endsWith(e[0].body))! : String(e[0].serial);
      assert.deepEqual(
        e.map((x) => x.body),
        expected.get(key)!.map((l) => l.slice(l.indexOf('): ') + 3)),
        `event ${key}`,
      );
    }

    // Lost = serials of the sample's span that nothing claimed. Garbage whose serial lost digits
    // can land inside that span, and a serial seen is not lost, so those are taken out; garbage
    // far from the span (the outliers) must not count at all.
    const kernel = [...good].filter((x) => !x.type.startsWith('DAEMON_')).map((x) => x.serial);
    const lo = Math.min(...kernel),
      hi = Math.max(...kernel);
    const claimed = new Set([...good, ...badRecords].filter((x) => !x.type.startsWith('DAEMON_') && x.serial >= lo && x.serial <= hi).map((x) => x.serial));
    assert.equal(r.counters.lost, hi - lo + 1 - claimed.size);
    assert.ok(r.counters.lost <= 59_666 && r.counters.lost > 59_000, `lost ${r.counters.lost}`);
    assert.ok(r.counters.outliers > 1000, `outliers ${r.counters.outliers}`);
    assert.equal(r.counters.resyncs, 0);
    assert.equal(r.counters.late, 0);
    assert.equal(r.counters.evicted, 0);
  });
});
