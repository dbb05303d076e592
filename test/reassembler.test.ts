import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseLine, parseNetlink, isFailure, type AuditRecord } from '../src/audit/record.js';
import { Reassembler, type ReassemblerOptions } from '../src/audit/reassembler.js';
import { EventTable, type TableEntry } from '../src/audit/event-table.js';
import { sleep } from './support/wait.js';

const fixtures = new URL('./fixtures/samples/', import.meta.url);
const peerStreams = new URL('../../shared/peer-corpus/go-libaudit/testdata/', import.meta.url);

/** Skips the block, saying why, when the peer corpus (../shared/peer-corpus) is not on this machine. */
function needCorpus(ctx: Mocha.Context, dir: URL): void {
  if (existsSync(fileURLToPath(dir))) return;
  console.log(`      skipped: ${fileURLToPath(dir)} is not here (the peer corpus lives beside the repo)`);
  ctx.skip();
}

/** A record from an audit.log line (through the real parser). */
function rec(line: string): AuditRecord {
  const r = parseLine(line);
  if (isFailure(r)) throw new Error(`bad test line ${line}: ${r.error}`);
  return r;
}

/** `type=T msg=audit(SEC.MS:SERIAL): body`, with the time given in ms. */
function line(type: string, serial: number, timeMs: number, body = 'x=1', node?: string): string {
  const t = `${Math.floor(timeMs / 1000)}.${String(timeMs % 1000).padStart(3, '0')}`;
  return `${node !== undefined ? `node=${node} ` : ''}type=${type} msg=audit(${t}:${serial}): ${body}`;
}

interface Harness {
  r: Reassembler;
  events: AuditRecord[][];
  lost: [number, string | undefined][];
  push(...lines: string[]): void;
  /** serial:recordCount of each emitted event, in emission order */
  shape(): string[];
}

function harness(opts: Partial<ReassemblerOptions> = {}): Harness {
  const events: AuditRecord[][] = [];
  const lost: [number, string | undefined][] = [];
  const r = new Reassembler({ ...opts, onEvent: (e) => events.push(e), onLost: (n, node) => lost.push([n, node]) });
  return {
    r,
    events,
    lost,
    push: (...lines) => {
      for (const l of lines) r.push(rec(l));
    },
    shape: () => events.map((e) => `${e[0].node ? e[0].node + '/' : ''}${e[0].serial}:${e.length}`),
  };
}

const T0 = 1795395184000;

function readLines(file: URL): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

describe('audit event reassembler', () => {
  describe('go-libaudit reassembler streams (peer corpus)', () => {
    before(function () {
      needCorpus(this, peerStreams);
    });

    // go-libaudit's reassembler_test.go: NewReassembler(5, 2*time.Second, ...) then Close();
    // its timeout is wall time, which never passes during that test, while these files span
    // 9.6 s of audit time, so the like-for-like comparison uses a timeout past that span.
    const expected: Record<string, { lost: number; events: string[] }> = {
      normal: { lost: 0, events: ['58:2', '59:5', '60:5', '61:4', '62:1'] },
      lost_messages: { lost: 9, events: ['49:2', '59:5', '60:5', '61:4', '62:1'] },
      out_of_order: { lost: 0, events: ['58:2', '59:5', '60:5', '61:4', '62:1'] },
      rollover: { lost: 0, events: ['4294967294:1', '4294967295:1', '0:1', '1:1', '2:1'] },
    };
    for (const [name, want] of Object.entries(expected)) {
      it(`${name}.log gives go-libaudit's events and lost count`, () => {
        const h = harness({ maxInFlight: 5, timeoutMs: 60_000 });
        h.push(...readLines(new URL(`${name}.log`, peerStreams)));
        h.r.flush();
        assert.deepEqual(h.shape(), want.events);
        assert.equal(h.r.counters.lost, want.lost);
        assert.equal(
          h.lost.reduce((a, [n]) => a + n, 0),
          want.lost,
        );
        for (const e of h.events) for (const m of e) assert.equal(m.serial, e[0].serial);
        assert.equal(h.r.counters.late, 0);
      });
    }

    it('out_of_order.log with the 2 s audit-clock timeout: the straggling PATH comes out late, on its own', () => {
      const h = harness({ maxInFlight: 5, timeoutMs: 2000 });
      h.push(...readLines(new URL('out_of_order.log', peerStreams)));
      h.r.flush();
      // 61's SYSCALL moves the audit clock 7.8 s on: 58, 59 and 60 time out; 60's last PATH follows
      assert.deepEqual(h.shape(), ['58:2', '59:5', '60:4', '60:1', '61:4', '62:1']);
      assert.equal(h.events[3][0].type, 'PATH');
      assert.equal(h.events[3][0].fields.item, '1');
      assert.equal(h.r.counters.late, 1);
      assert.equal(h.r.counters.expired, 3);
      assert.equal(h.r.counters.lost, 0);
    });
  });

  describe('go-libaudit aucoalesce events from several kernels (peer corpus)', () => {
    const dir = new URL('../../shared/peer-corpus/go-libaudit/aucoalesce/testdata/', import.meta.url);
    before(function () {
      needCorpus(this, dir);
    });

    it("groups each test event's records into one event per serial, closed by EOE where it has one", () => {
      let cases = 0,
        events = 0;
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
        const doc = parseYaml(readFileSync(new URL(f, dir), 'utf8')) as { tests: Record<string, string> };
        for (const [name, text] of Object.entries(doc.tests)) {
          const lines = text.split('\n').filter((l) => l.includes('type='));
          const want = new Map<number, string[]>();
          let eoes = 0;
          for (const l of lines) {
            const serial = rec(l).serial;
            if (l.includes('type=EOE ')) {
              eoes++;
              continue;
            }
            want.set(serial, [...(want.get(serial) ?? []), rec(l).body]);
          }
          const h = harness();
          h.push(...lines);
          if (eoes > 0) assert.ok(h.events.length >= eoes, `${f} ${name}: EOE did not close its event`);
          h.r.flush();
          assert.equal(h.events.length, want.size, `${f} ${name}`);
          for (const e of h.events)
            assert.deepEqual(
              e.map((m) => m.body),
              want.get(e[0].serial),
              `${f} ${name}: event ${e[0].serial}`,
            );
          assert.equal(h.r.counters.late, 0, `${f} ${name}`);
          cases++;
          events += h.events.length;
        }
      }
      assert.ok(cases >= 45, `${cases} cases`);
      assert.ok(events >= cases);
    });
  });

  describe('laurel streams (ENRICHED with EOE, peer corpus)', () => {
    const dir = new URL('../../shared/peer-corpus/laurel/testdata/', import.meta.url);
    before(function () {
      needCorpus(this, dir);
    });

    /** Expected grouping straight from the text: serial → record lines without EOE, in order. */
    function groups(lines: string[]): Map<number, string[]> {
      const m = new Map<number, string[]>();
      for (const l of lines) {
        if (l.includes('type=EOE ')) continue;
        const s = Number(/:(\d+)\)/.exec(l)![1]);
        m.set(s, [...(m.get(s) ?? []), l]);
      }
      return m;
    }

    for (const name of ['shell-proc-trace-reordered', 'shell-proc-trace-confusion', 'shell-proc-trace', 'record-syscall-nullkey', 'record-connect']) {
      it(`${name}.txt: every event closes at its EOE, before flush, whole`, () => {
        const lines = readLines(new URL(`${name}.txt`, dir)).filter((l) => l.includes('type='));
        const want = groups(lines);
        const h = harness();
        h.push(...lines);
        assert.equal(h.events.length, want.size, 'all out before flush()');
        assert.equal(h.events.length, lines.filter((l) => l.includes('type=EOE ')).length);
        for (const e of h.events)
          assert.deepEqual(
            e.map((m) => m.body),
            want.get(e[0].serial)!.map((l) => rec(l).body),
            `event ${e[0].serial}`,
          );
        assert.equal(h.r.inFlight, 0);
        h.r.flush();
        assert.equal(h.events.length, want.size);
        assert.deepEqual([h.r.counters.late, h.r.counters.evicted, h.r.counters.expired, h.r.counters.outliers], [0, 0, 0, 0]);
      });
    }

    it('shell-proc-trace-reordered.txt: nine interleaved events come out in EOE order', () => {
      const h = harness();
      h.push(...readLines(new URL('shell-proc-trace-reordered.txt', dir)).filter((l) => l.includes('type=')));
      assert.deepEqual(
        h.events.map((e) => e[0].serial),
        [29245, 29244, 29243, 29242, 29241, 29240, 29239, 29238, 29237],
      );
    });

    it('shell-proc-trace-confusion.txt: the 49,157-serial jump after the first event is confirmed and counted', () => {
      const h = harness();
      h.push(...readLines(new URL('shell-proc-trace-confusion.txt', dir)).filter((l) => l.includes('type=')));
      h.r.flush();
      const serials = [...new Set(h.events.map((e) => e[0].serial))];
      const span = Math.max(...serials) - Math.min(...serials) + 1;
      assert.equal(h.r.counters.lost, span - serials.length);
      assert.equal(h.r.counters.resyncs, 0);
    });
  });

  describe('the Debian 12 capture (RAW, no EOE)', () => {
    const lines = readLines(new URL('audit-raw.sample.log', fixtures));

    it('makes exactly its 300 events, each whole, records in file order, interleaved ones kept apart', () => {
      const h = harness();
      h.push(...lines);
      const beforeFlush = h.events.length;
      h.r.flush();
      assert.equal(h.events.length, 300);
      assert.ok(beforeFlush >= 290, `only ${beforeFlush} events came out before flush()`);

      // expected grouping, straight from the text
      const bySerial = new Map<string, string[]>();
      for (const l of lines) {
        const key = l.startsWith('type=DAEMON_') ? l : /:(\d+)\)/.exec(l)![1];
        bySerial.set(key, [...(bySerial.get(key) ?? []), l]);
      }
      assert.equal(bySerial.size, 300);
      const seen = new Set<string>();
      for (const e of h.events) {
        const key = e[0].type.startsWith('DAEMON_') ? lines.find((l) => l.includes(e[0].body))! : String(e[0].serial);
        assert.ok(!seen.has(key), `event ${key} emitted twice`);
        seen.add(key);
        const want = bySerial.get(key)!;
        assert.deepEqual(
          e.map((m) => m.body),
          want.map((l) => rec(l).body),
          `event ${key}`,
        );
      }
      const c = h.r.counters;
      assert.deepEqual([c.records, c.events, c.late, c.evicted, c.outliers, c.resyncs], [1232, 300, 0, 0, 0, 0]);
    });

    it('as netlink messages (parseNetlink, EOE after each syscall event) closes every syscall event at its EOE', () => {
      // the kernel sends EOE only after syscall events; standalone records (ANOM_ABEND, user
      // messages) come without one
      const parsed = lines.map((l) => rec(l));
      const last = new Map<number, number>();
      parsed.forEach((r, i) => {
        if (!r.type.startsWith('DAEMON_')) last.set(r.serial, i);
      });
      const withSyscall = new Set(parsed.filter((r) => r.type === 'SYSCALL').map((r) => r.serial));
      const h = harness();
      lines.forEach((l, i) => {
        const r = parsed[i];
        if (r.type.startsWith('DAEMON_')) return; // auditd's own records never cross netlink
        const m = parseNetlink(r.typeId, l.slice(l.indexOf('audit(')));
        if (isFailure(m)) assert.fail(`${m.error}: ${l}`);
        h.r.push(m);
        if (last.get(r.serial) === i && withSyscall.has(r.serial)) {
          const eoe = parseNetlink(1320, `audit(${l.slice(l.indexOf('audit(') + 6, l.indexOf(')'))}): `);
          if (isFailure(eoe)) assert.fail(eoe.error);
          h.r.push(eoe);
          assert.ok(
            h.events.some((e) => e[0].serial === r.serial),
            `event ${r.serial} still open after its EOE`,
          );
        }
      });
      h.r.flush();
      assert.equal(h.events.length, 298);
      for (const e of h.events) {
        assert.deepEqual(
          e.map((m) => m.body),
          lines.filter((l) => rec(l).serial === e[0].serial && !l.startsWith('type=DAEMON_')).map((l) => rec(l).body),
        );
      }
      assert.deepEqual([h.r.counters.late, h.r.counters.evicted, h.r.counters.outliers], [0, 0, 0]);
    });

    it('keeps the interleaved opens 95364..95367 apart', () => {
      const h = harness();
      h.push(...lines);
      h.r.flush();
      const ev = (s: number) => h.events.find((e) => e[0].serial === s)!;
      for (const s of [95364, 95365, 95366, 95367]) {
        assert.deepEqual(
          ev(s).map((m) => m.type),
          ['SYSCALL', 'CWD', 'PATH', 'PROCTITLE'],
          `event ${s}`,
        );
        assert.ok(ev(s).every((m) => m.serial === s));
      }
      assert.equal(ev(95364)[2].fields.name, '"/usr/lib/locale/C.UTF-8/LC_TELEPHONE"');
      assert.equal(ev(95365)[2].fields.name, '"/usr/lib/locale/C.UTF-8/LC_IDENTIFICATION"');
    });

    it('counts as lost exactly the kernel serials the excerpt skips', () => {
      const serials = new Set(lines.filter((l) => !l.startsWith('type=DAEMON_')).map((l) => Number(/:(\d+)\)/.exec(l)![1])));
      const span = Math.max(...serials) - Math.min(...serials) + 1;
      const h = harness();
      h.push(...lines);
      h.r.flush();
      assert.equal(h.r.counters.lost, span - serials.size); // 59,666: the excerpt keeps 298 of 60,964
      assert.equal(
        h.lost.reduce((a, [n]) => a + n, 0),
        h.r.counters.lost,
      );
      assert.ok(h.lost.every(([, node]) => node === undefined));
    });

    it('emits the standalone ANOM_ABENDs once an event 64 serials later completes, not at flush', () => {
      const h = harness();
      let at = -1;
      for (const l of lines) {
        h.push(l);
        if (at < 0 && h.events.some((e) => e[0].serial === 102210)) at = rec(l).serial;
      }
      assert.ok(at >= 102210 + 64, `closed by serial ${at}`);
      assert.ok(h.events.findIndex((e) => e[0].serial === 102199) < h.events.findIndex((e) => e[0].serial === 102210));
    });
  });

  describe('completion', () => {
    it('closes an event at EOE (netlink) without including the EOE, and an EOE after PROCTITLE is not late', () => {
      const h = harness();
      h.push(line('SYSCALL', 10, T0), line('CWD', 10, T0), line('EOE', 10, T0, ''));
      assert.deepEqual(h.shape(), ['10:2']);
      h.push(line('SYSCALL', 11, T0), line('PROCTITLE', 11, T0, 'proctitle=6C73'));
      assert.deepEqual(h.shape(), ['10:2', '11:2']);
      h.push(line('EOE', 11, T0, ''));
      assert.deepEqual(h.shape(), ['10:2', '11:2']);
      assert.equal(h.r.counters.late, 0);
      assert.equal(h.r.inFlight, 0);
    });

    it('emits user-space messages (1100-1299, 2100-2999) at once', () => {
      const h = harness();
      h.push(line('USER_CMD', 20, T0, 'pid=1 msg=\'cmd="id" res=success\''));
      h.push(line('ANOM_LOGIN_FAILURES', 21, T0, 'pid=1'));
      h.push(line('DAEMON_START', 9936, T0, 'op=start'));
      assert.deepEqual(h.shape(), ['20:1', '21:1', '9936:1']);
      assert.equal(h.r.inFlight, 0);
    });

    it('keeps a kernel event open until an event windowSerials later completes', () => {
      const h = harness({ windowSerials: 64 });
      h.push(line('ANOM_ABEND', 100, T0, 'sig=11'));
      h.push(line('SYSCALL', 110, T0), line('PROCTITLE', 110, T0, 'proctitle=6C73'));
      assert.deepEqual(h.shape(), ['110:2'], '10 serials later is within the window');
      h.push(line('SYSCALL', 164, T0), line('PROCTITLE', 164, T0, 'proctitle=6C73'));
      assert.deepEqual(h.shape(), ['110:2', '100:1', '164:2']);
    });

    it('times events out by the audit clock (newest event time), never by wall time', async () => {
      const h = harness({ timeoutMs: 2000 });
      h.push(line('SYSCALL', 1, T0), line('CWD', 1, T0));
      await sleep(30); // wall time passing is what this pins
      h.r.maintain();
      assert.deepEqual(h.shape(), [], 'wall time passing does nothing');
      h.push(line('SYSCALL', 2, T0 + 2000));
      h.r.maintain();
      assert.deepEqual(h.shape(), [], 'exactly the timeout is not past it');
      h.push(line('SYSCALL', 3, T0 + 2001));
      assert.deepEqual(h.shape(), ['1:2']);
      assert.equal(h.r.counters.expired, 1);
      assert.equal(h.r.auditClock, T0 + 2001);
    });

    it("maintain(idleMs) lets a quiet stream's last events out", () => {
      const h = harness({ timeoutMs: 2000 });
      h.push(line('ANOM_ABEND', 5, T0, 'sig=6'));
      h.r.maintain(1000);
      assert.deepEqual(h.shape(), []);
      h.r.maintain(2500);
      assert.deepEqual(h.shape(), ['5:1']);
    });

    it('gathers the records of an event already emitted into one late event, and counts them late', () => {
      const h = harness();
      h.push(line('SYSCALL', 7, T0), line('PROCTITLE', 7, T0, 'proctitle=6C73'));
      h.push(line('PATH', 7, T0, 'item=0 name="/etc/passwd"'), line('PATH', 7, T0, 'item=1 name="/etc/shadow"'));
      assert.deepEqual(h.shape(), ['7:2'], 'the late part waits for the rest of itself');
      h.r.flush();
      assert.deepEqual(h.shape(), ['7:2', '7:2']);
      assert.deepEqual(
        h.events[1].map((r) => r.fields.item),
        ['0', '1'],
      );
      assert.equal(h.r.counters.late, 2);
      assert.equal(h.r.counters.events, 2);
    });

    it('a late part ends at its PROCTITLE or EOE like any kernel event', () => {
      const h = harness();
      h.push(line('SYSCALL', 7, T0), line('EOE', 7, T0, ''));
      h.push(line('CWD', 7, T0, 'cwd="/root"'), line('PATH', 7, T0, 'item=0 name="x"'), line('PROCTITLE', 7, T0, 'proctitle=6C73'));
      assert.deepEqual(h.shape(), ['7:1', '7:3']);
      h.push(line('SYSCALL', 8, T0), line('EOE', 8, T0, ''), line('PATH', 8, T0, 'item=0 name="y"'), line('EOE', 8, T0, ''));
      assert.deepEqual(h.shape(), ['7:1', '7:3', '8:1', '8:1']);
      assert.equal(h.r.counters.late, 4);
    });

    it('flushes open events in serial order across the uint32 rollover', () => {
      const h = harness({ timeoutMs: 60_000 });
      for (const s of [1, 4294967295, 0, 4294967294, 2]) h.push(line('SYSCALL', s, T0));
      h.r.flush();
      assert.deepEqual(h.shape(), ['4294967294:1', '4294967295:1', '0:1', '1:1', '2:1']);
      assert.equal(h.r.counters.lost, 0);
    });

    it('closes on PROCTITLE only once the event holds its SYSCALL (laurel has one written backwards)', () => {
      const h = harness();
      h.push(line('PROCTITLE', 225, T0, 'proctitle=61'), line('PATH', 225, T0, 'item=0'));
      assert.deepEqual(h.shape(), []);
      h.push(line('SYSCALL', 225, T0), line('EOE', 225, T0, ''));
      assert.deepEqual(h.shape(), ['225:3']);
      h.push(line('URINGOP', 226, T0, 'uring_op=18'), line('PROCTITLE', 226, T0, 'proctitle=61'));
      assert.deepEqual(h.shape(), ['225:3', '226:2']);
    });

    it('emits events in completion order, records in arrival order', () => {
      const h = harness();
      h.push(line('SYSCALL', 31, T0), line('SYSCALL', 32, T0), line('CWD', 31, T0, 'cwd="/a"'));
      h.push(line('PROCTITLE', 32, T0, 'proctitle=62'), line('PATH', 31, T0, 'item=0'), line('PROCTITLE', 31, T0, 'proctitle=61'));
      assert.deepEqual(h.shape(), ['32:2', '31:4']);
      assert.deepEqual(
        h.events[1].map((m) => m.type),
        ['SYSCALL', 'CWD', 'PATH', 'PROCTITLE'],
      );
    });
  });

  describe('lost events', () => {
    it('counts an event of which only the EOE arrived as lost (its other records were dropped)', () => {
      const h = harness();
      h.push(line('SYSCALL', 1, T0), line('EOE', 1, T0), line('EOE', 2, T0), line('SYSCALL', 3, T0), line('EOE', 3, T0));
      h.r.flush();
      assert.deepEqual(h.shape(), ['1:1', '3:1']);
      assert.deepEqual(h.lost, [[1, undefined]]);
      assert.equal(h.r.counters.lost, 1);
    });

    it('does not count serials that arrive out of order', () => {
      const h = harness();
      h.push(line('SYSCALL', 1, T0), line('SYSCALL', 3, T0), line('SYSCALL', 2, T0), line('SYSCALL', 4, T0));
      h.r.flush();
      assert.equal(h.r.counters.lost, 0);
      assert.deepEqual(h.lost, []);
    });

    it('counts a gap at flush when it was never filled', () => {
      const h = harness();
      h.push(line('SYSCALL', 1, T0), line('SYSCALL', 3, T0));
      h.r.maintain();
      assert.equal(h.r.counters.lost, 0, 'not lost yet: 2 may still come');
      h.r.flush();
      assert.deepEqual(h.lost, [[1, undefined]]);
    });

    it('declares a gap lost once maxInFlight serials have passed it', () => {
      const h = harness({ maxInFlight: 5 });
      h.push(line('SYSCALL', 1, T0), line('CWD', 1, T0), line('SYSCALL', 100, T0), line('CWD', 100, T0));
      assert.deepEqual(h.lost, [[94, undefined]], '2..95 are 5 or more behind 100; 96..99 may still come');
      h.push(line('SYSCALL', 2, T0), line('SYSCALL', 97, T0));
      assert.equal(h.r.counters.lost, 94, 'a settled serial arriving is not counted again');
      h.push(line('SYSCALL', 101, T0));
      assert.deepEqual(
        h.lost,
        [
          [94, undefined],
          [1, undefined],
        ],
        '96 is now 5 behind',
      );
      h.r.flush();
      assert.equal(h.r.counters.lost, 97, '98 and 99 at the end');
    });

    it('declares a gap lost once it is older than the timeout on the audit clock', () => {
      const h = harness({ timeoutMs: 2000 });
      h.push(line('SYSCALL', 1, T0), line('SYSCALL', 4, T0));
      h.push(line('SYSCALL', 5, T0 + 1500));
      assert.equal(h.r.counters.lost, 0);
      h.push(line('SYSCALL', 6, T0 + 2500));
      assert.deepEqual(h.lost, [[2, undefined]]);
    });

    it('splits a gap around a late arrival and counts both sides', () => {
      const h = harness();
      h.push(line('SYSCALL', 10, T0), line('SYSCALL', 20, T0), line('SYSCALL', 15, T0), line('SYSCALL', 11, T0), line('SYSCALL', 19, T0));
      h.r.flush();
      assert.equal(h.r.counters.lost, 9 - 3); // 11..19 missing, then 15, 11, 19 arrive
    });

    it('names the gap each count belongs to: its first missing serial, kept when settled in parts or split', () => {
      const calls: [number, number, boolean][] = [];
      const r = new Reassembler({ maxInFlight: 5, onEvent: () => {}, onLost: (n, _node, origin, fresh) => calls.push([n, origin, fresh]) });
      for (const s of [1, 2, 3, 40, 37, 41, 50]) r.push(rec(line('SYSCALL', s, T0)));
      assert.equal(r.nextSerial(undefined), 51);
      assert.equal(r.nextSerial('other'), undefined, 'a node never seen has no sequence');
      r.flush();
      assert.deepEqual(calls, [
        [32, 4, true], // 4..35 once 40 came (5 or more behind it); 36..39 may still come
        [1, 4, false], // 36, once 41 passed it (37 arrived: the gap split in two)
        [2, 4, true], // 38..39, the other side of 37 (a gap of its own), once 50 passed them
        [4, 42, true], // 42..45 of the new gap 42..49
        [4, 42, false], // 46..49 at the end
      ]);
      assert.equal(r.counters.lost, 35 + 8);
    });

    it('counts across the uint32 rollover', () => {
      const h = harness();
      h.push(line('SYSCALL', 4294967293, T0), line('SYSCALL', 3, T0));
      h.r.flush();
      assert.equal(h.r.counters.lost, 5); // 4294967294, 4294967295, 0, 1, 2
    });

    it("keeps each node's sequence apart", () => {
      const h = harness();
      h.push(line('SYSCALL', 50, T0, 'x=1', 'a'), line('SYSCALL', 50, T0, 'x=2', 'b'), line('SYSCALL', 52, T0, 'x=3', 'a'));
      h.push(line('SYSCALL', 51, T0, 'x=4', 'b'), line('PROCTITLE', 50, T0, 'proctitle=61', 'b'));
      h.r.flush();
      assert.deepEqual(h.shape().sort(), ['a/50:1', 'a/52:1', 'b/50:2', 'b/51:1']);
      assert.deepEqual(h.lost, [[1, 'a']]);
    });

    it("believes a node's first serial only once a second record agrees", () => {
      const h = harness();
      h.push(line('SYSCALL', 3_000_000_000, T0 + 99_999_999), line('SYSCALL', 500, T0), line('CWD', 500, T0));
      assert.equal(h.r.auditClock, T0, 'the lone first record did not start the clock');
      h.push(line('SYSCALL', 501, T0), line('SYSCALL', 503, T0));
      h.r.flush();
      assert.equal(h.r.counters.outliers, 1);
      assert.equal(h.r.counters.lost, 1, '502 only, nothing between 500 and 3,000,000,000');
      assert.deepEqual(h.shape(), ['500:2', '501:1', '503:1', '3000000000:1']);
    });

    it('treats one far-off serial as an outlier: no lost count, no sequence move', () => {
      const h = harness();
      h.push(line('SYSCALL', 100, T0), line('CWD', 100, T0), line('SYSCALL', 3_000_000_000, T0), line('SYSCALL', 101, T0));
      h.r.flush();
      assert.equal(h.r.counters.lost, 0);
      assert.equal(h.r.counters.outliers, 1);
      assert.equal(h.r.counters.resyncs, 0);
      assert.equal(h.events.length, 3, 'the outlier is still emitted');
    });

    it('re-synchronises on a restart confirmed by a second record, counting nothing for the jump', () => {
      const h = harness();
      h.push(line('SYSCALL', 2_000_000, T0), line('PROCTITLE', 2_000_000, T0, 'proctitle=61'));
      h.push(line('SYSCALL', 5, T0 + 10), line('PROCTITLE', 5, T0 + 10, 'proctitle=61')); // reboot: counter restarts
      h.push(line('SYSCALL', 6, T0 + 20), line('SYSCALL', 9, T0 + 30));
      h.r.flush();
      assert.deepEqual(h.shape(), ['2000000:2', '5:2', '6:1', '9:1'], "the restart's first event is kept whole");
      assert.equal(h.r.counters.resyncs, 1);
      assert.equal(h.r.counters.lost, 2, 'only 7 and 8 of the new sequence');
    });

    it("does not let an outlier's wild time move the audit clock", () => {
      const h = harness({ timeoutMs: 2000 });
      h.push(line('SYSCALL', 100, T0), line('AVC', 100, T0), line('SYSCALL', 3_000_000_000, T0 + 10 * 365 * 86_400_000));
      assert.equal(h.r.auditClock, T0);
      h.push(line('CWD', 100, T0, 'cwd="/"'), line('PROCTITLE', 100, T0, 'proctitle=61'));
      assert.deepEqual(
        h.shape().filter((s) => s.startsWith('100:')),
        ['100:4'],
        'not timed out by the outlier',
      );
      assert.equal(h.r.counters.expired, 0);
    });
  });

  describe('outliers (corrupted serials)', () => {
    it('does not let an outlier completing close real open events', () => {
      const h = harness({ windowSerials: 64 });
      h.push(line('SYSCALL', 1000, T0), line('CWD', 1000, T0));
      h.push(line('USER_AVC', 1_500_000_000, T0, 'pid=1'), line('USER_CMD', 1_600_000_000, T0, 'res=success'));
      assert.deepEqual(h.shape(), ['1500000000:1', '1600000000:1']);
      h.push(line('PATH', 1000, T0, 'item=0'), line('PROCTITLE', 1000, T0, 'proctitle=61'));
      assert.deepEqual(h.shape(), ['1500000000:1', '1600000000:1', '1000:4']);
      h.r.flush();
      assert.equal(h.r.counters.outliers, 2, 'neither far-off serial was ever confirmed');
    });

    it('keeps outliers out of maxInFlight, so a run of garbage cannot evict real events', () => {
      const h = harness({ maxInFlight: 10 });
      h.push(line('SYSCALL', 77, T0), line('CWD', 77, T0));
      for (let i = 0; i < 1000; i++) h.push(line('SYSCALL', 1_000_000_000 + i * 7919, T0));
      assert.ok(h.r.inFlight <= 10 + 256, `inFlight ${h.r.inFlight}`);
      h.push(line('PROCTITLE', 77, T0, 'proctitle=61'));
      assert.deepEqual(
        h.events.filter((e) => e[0].serial === 77).map((e) => e.length),
        [3],
      );
      assert.equal(h.r.counters.evicted, 0);
      h.r.flush();
      assert.equal(h.events.length, 1001);
    });
  });

  describe('events are node, serial and time (a log spanning two boots)', () => {
    const exec = (serial: number, t: number, comm: string) => [
      line(
        'SYSCALL',
        serial,
        t,
        `arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=${serial + 100} auid=0 uid=0 tty=(none) ses=1 comm="${comm}" exe="/usr/bin/${comm}" key=(null)`,
      ),
      line('EXECVE', serial, t, `argc=1 a0="${comm}"`),
      line('PATH', serial, t, `item=0 name="/usr/bin/${comm}" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`),
      line('PROCTITLE', serial, t, 'proctitle=6964'),
    ];
    const BOOT2 = T0 + 3_600_000;

    it('a serial reused after a reboot starts a new event, not late records of the old one', () => {
      const h = harness();
      h.push(...exec(10, T0, 'id'), ...exec(11, T0 + 1, 'ls'), ...exec(12, T0 + 2, 'cat'));
      h.push(
        line('DAEMON_END', 7001, T0 + 5000, 'op=terminate auid=0 uid=0 ses=1 pid=1 res=success'),
        line('DAEMON_START', 8001, BOOT2 - 10, 'op=start ver=3.0.9 format=raw kernel=6.1.0 auid=4294967295 pid=300 uid=0 ses=4294967295 res=success'),
      );
      h.push(...exec(10, BOOT2, 'who'), ...exec(11, BOOT2 + 1, 'df'), ...exec(12, BOOT2 + 2, 'ps'));
      h.r.flush();
      const execs = h.events.filter((e) => e[0].type === 'SYSCALL');
      assert.deepEqual(
        execs.map((e) => `${e[0].serial}:${e.length}:${e[0].fields.comm}`),
        ['10:4:"id"', '11:4:"ls"', '12:4:"cat"', '10:4:"who"', '11:4:"df"', '12:4:"ps"'],
      );
      assert.equal(h.r.counters.late, 0);
    });

    it('an event of the old boot still open when its serial comes back is emitted as it stood', () => {
      const h = harness({ timeoutMs: 600_000 });
      h.push(...exec(20, T0, 'id').slice(0, 2));
      h.push(...exec(20, BOOT2, 'who'));
      assert.deepEqual(
        h.events.map((e) => `${e.length}:${e[0].fields.comm}`),
        ['2:"id"', '4:"who"'],
      );
      assert.equal(h.r.counters.late, 0);
    });

    it('on several nodes, the same serial and time are two events', () => {
      const h = harness();
      for (const node of ['web1', 'web2']) h.push(...exec(30, T0, 'id').map((l) => `node=${node} ${l}`));
      assert.deepEqual(h.shape(), ['web1/30:4', 'web2/30:4']);
    });
  });

  describe('what is still held (file inputs keep their checkpoint before it)', () => {
    it('heldFrom() is where the oldest open event began; release() hands the open events back unemitted', () => {
      const events: AuditRecord[][] = [];
      const r = new Reassembler({ timeoutMs: 600_000, onEvent: (e) => events.push(e) });
      const lines = [
        line('SYSCALL', 40, T0, 'syscall=59 success=yes pid=1 comm="a"'),
        line('PROCTITLE', 40, T0, 'proctitle=61'),
        line('SYSCALL', 41, T0 + 1, 'syscall=59 success=yes pid=2 comm="b"'),
        line('USER_CMD', 42, T0 + 2, 'pid=3 uid=0 msg=\'cwd="/" cmd=6C73 res=success\''),
        line('SYSCALL', 43, T0 + 3, 'syscall=59 success=yes pid=4 comm="d"'),
        line('EXECVE', 41, T0 + 1, 'argc=1 a0="b"'),
      ];
      let offset = 0;
      const starts: number[] = [];
      for (const l of lines) {
        starts.push(offset);
        r.push(rec(l), offset);
        offset += l.length + 1;
      }
      assert.equal(events.length, 2, 'serial 40 and the USER_CMD are out');
      assert.equal(r.heldFrom(), starts[2], 'serial 41 began at the third line');
      r.push(rec(line('PROCTITLE', 41, T0 + 1, 'proctitle=62')), offset);
      assert.equal(r.heldFrom(), starts[4], 'then serial 43 is the oldest held');
      const held = r.release();
      assert.deepEqual(
        held.map((e) => e.map((x) => x.type)),
        [['SYSCALL']],
      );
      assert.equal(r.heldFrom(), undefined);
      r.flush();
      assert.equal(events.length, 3, 'released events are not emitted afterwards');
      assert.equal(r.counters.lost, 0);
    });
  });

  describe('bounded memory', () => {
    it('holds at most maxInFlight open events in a burst of 19,000 events in one second', () => {
      const h = harness({ maxInFlight: 1000 });
      let peak = 0;
      for (let i = 0; i < 19_000; i++) {
        const t = T0 + Math.floor(i / 19);
        h.push(line('SYSCALL', 500_000 + i, t, `pid=${i}`), line('CWD', 500_000 + i, t, 'cwd="/"'));
        peak = Math.max(peak, h.r.inFlight);
      }
      assert.equal(peak, 1000);
      assert.equal(h.r.counters.evicted, 18_000);
      h.r.flush();
      assert.equal(h.events.length, 19_000);
      h.events.forEach((e, i) => {
        assert.equal(e.length, 2);
        assert.equal(e[0].serial, 500_000 + i);
        assert.equal(e[0].fields.pid, String(i));
      });
      assert.equal(h.r.counters.lost, 0);
    });
  });
});

describe("EventTable (the reassembler's open events)", () => {
  interface Ev extends TableEntry<Ev> {
    id: number;
  }
  const nodes = [{}, {}, {}];

  it('agrees with a Map and an arrival-order list over 200,000 random adds and removes, across the uint32 wrap and a grow', () => {
    // a small first size, so it has to grow; serials near 2^32 and colliding ones on other nodes
    const table = new EventTable<Ev>(8);
    const ref = new Map<string, Ev>();
    const order: Ev[] = [];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 200_000; i++) {
      const ns = nodes[rand(3)];
      const serial = (0xfffffff0 + rand(64)) >>> 0;
      const key = `${nodes.indexOf(ns)}:${serial}`;
      const have = ref.get(key);
      assert.equal(table.get(ns, serial), have);
      if (have !== undefined && rand(3) > 0) {
        table.remove(have);
        ref.delete(key);
        order.splice(order.indexOf(have), 1);
      } else if (have === undefined && ref.size < 100) {
        const ev: Ev = { ns, serial, prev: undefined, next: undefined, slot: -1, id: i };
        table.add(ev);
        ref.set(key, ev);
        order.push(ev);
      }
      assert.equal(table.size, ref.size);
      if (i % 1000 === 0) {
        const walked: Ev[] = [];
        for (let e = table.first; e !== undefined; e = e.next) walked.push(e);
        assert.deepEqual(
          walked.map((e) => e.id),
          order.map((e) => e.id),
        );
        assert.equal(table.last, order[order.length - 1]);
      }
    }
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.first, undefined);
    for (const ev of order) assert.equal(table.get(ev.ns, ev.serial), undefined);
  });
});
