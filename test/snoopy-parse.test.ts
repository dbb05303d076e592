import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bytesToText } from '../src/bytes-text.js';
import { createSnoopyParser, looksLikeSnoopy } from '../src/inputs/snoopy/parse.js';
import { parseSyslogHeader, unescapeRsyslog } from '../src/inputs/snoopy/syslog.js';
import type { NormalizedRecord } from '../src/record.js';
import type { AuditflowError } from '../src/errors.js';

/** Splits a file the way the tailer does: bytes on \n, each line UTF-8 with \xNN for other bytes. */
function linesOf(buf: Buffer): string[] {
  const out: string[] = [];
  let pos = 0;
  for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, pos)) {
    out.push(bytesToText(buf.subarray(pos, nl)));
    pos = nl + 1;
  }
  if (pos < buf.length) out.push(bytesToText(buf.subarray(pos)));
  return out;
}

const FIXED_NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function parseAll(lines: string[], opts: Parameters<typeof createSnoopyParser>[0] = {}) {
  const errors: AuditflowError[] = [];
  const p = createSnoopyParser({ now: () => FIXED_NOW, onError: (e) => errors.push(e), isDirectory: () => false, ...opts });
  const recs: NormalizedRecord[] = [];
  lines.forEach((l, i) => recs.push(...p.line(l, `test.log:${i + 1}`)));
  recs.push(...p.end());
  return { recs, errors, counts: p.counts };
}

describe('snoopy parser', () => {
  describe('snoopy 2.5 file output (real sample)', () => {
    const lines = linesOf(readFileSync(new URL('./fixtures/samples/snoopy-file.sample.log', import.meta.url)));
    const { recs, errors } = parseAll(lines);

    it('makes one exec record per entry, continuation lines folded in, no errors', () => {
      assert.equal(lines.length, 200);
      assert.equal(recs.length, 194);
      assert.deepEqual(errors, []);
      for (const r of recs) {
        assert.equal(r.event.module, 'snoopy');
        assert.equal(r.event.action, 'executed');
        assert.deepEqual(r.event.category, ['process']);
        assert.deepEqual(r.event.type, ['start']);
      }
    });

    it('reads the 2.5 default bracket into user, login, ssh source, cwd', () => {
      const r = recs[0];
      assert.equal(r['@timestamp'], new Date(FIXED_NOW).toISOString(), 'no time in the file format: read time');
      assert.deepEqual(r.process, {
        command_line: 'ls -la /etc',
        args: ['ls', '-la', '/etc'],
        args_count: 3,
        name: 'ls',
        working_directory: '/tmp/snoopywork',
      });
      assert.deepEqual(r.user, { id: '0', name: 'root', effective: { id: '0', name: 'root' }, audit: { name: 'root' } });
      assert.deepEqual(r.source, { ip: '127.0.0.1', port: 51004 });
      assert.deepEqual(
        { ...r.snoopy },
        {
          login: 'root',
          ssh: '(127.0.0.1 51004 127.0.0.1 22)',
          sid: '4137',
          tty: '(none) ((none)/(none))',
          uid: 'root(0)/root(0)',
          cwd: '/tmp/snoopywork',
        },
      );
      assert.equal(r.message, 'root executed ls -la /etc (cwd /tmp/snoopywork)');
    });

    it('keeps argv newlines and tabs from continuation lines', () => {
      const r = recs.find((x) => x.process?.command_line?.startsWith('/bin/echo multi'))!;
      assert.equal(r.process!.command_line, '/bin/echo multi\nline\nargument tab\there');
    });

    it('names the other user, the pts tty and no ssh source when $SSH_CONNECTION is unset', () => {
      const nob = recs.find((x) => x.user?.name === 'nobody' && x.user?.audit?.name === 'nobody')!;
      assert.deepEqual(nob.user, { id: '65534', name: 'nobody', effective: { id: '65534', name: 'nobody' }, audit: { name: 'nobody' } });
      assert.equal(nob.message?.startsWith('nobody executed '), true);
      const pts = recs.find((x) => x.process?.tty?.char_device.minor === 0 && x.process.command_line === 'id')!;
      assert.deepEqual(pts.process!.tty, { char_device: { major: 136, minor: 0 } });
      assert.equal(pts.snoopy!.tty, '/dev/pts/0 (0/root)');
      assert.equal(pts.source, undefined);
      const asNobody = recs.find((x) => x.user?.name === 'nobody' && x.user?.audit?.name === 'root')!;
      assert.match(asNobody.message!, /^root as nobody executed /);
    });

    it('shows invalid UTF-8 as \\xNN and flags the cut-off command line', () => {
      const bad = recs.find((x) => x.process?.command_line?.includes(' invalid '))!;
      assert.equal(bad.process!.command_line, '/bin/echo \\xff\\xfe invalid \\xc3( utf8 \u0001ctrl\u007f');
      const cut = recs.find((x) => x.process?.command_line?.startsWith('/bin/true LLLL'))!;
      assert.equal(cut.process!.command_line!.length, 2047);
      assert.equal(cut.snoopy!.cmdline_truncated, 'true');
      const whole = recs.find((x) => x.process?.command_line?.startsWith('/bin/true 1 2 3'))!;
      assert.equal(whole.process!.args_count, 301);
      assert.equal(whole.snoopy!.cmdline_truncated, undefined);
    });
  });

  describe('syslog-wrapped (real rsyslog auth.log sample)', () => {
    const lines = linesOf(readFileSync(new URL('./fixtures/samples/snoopy-authlog.sample.log', import.meta.url)));
    const { recs, errors, counts } = parseAll(lines);

    it('takes the snoopy lines, skips the other programs, decodes #012/#011', () => {
      assert.equal(lines.length, 100);
      assert.equal(recs.length, 85);
      assert.equal(counts.skipped, 15);
      assert.deepEqual(errors, []);
      const multi = recs.find((x) => x.process?.command_line?.startsWith('/bin/echo multi'))!;
      assert.equal(multi.process!.command_line, '/bin/echo multi\nline\nargument tab\there');
    });

    it('uses the RFC 3339 header for time and pid', () => {
      const r = recs[0];
      assert.equal(r['@timestamp'], '2026-11-23T00:55:30.449Z');
      assert.equal(r.process!.pid, 25037);
      assert.equal(r.process!.command_line, 'ls -la /etc');
    });
  });

  describe('formats and edge cases', () => {
    it('reads the snoopy 2.4 default format with filename', () => {
      const { recs } = parseAll(['[uid:1000 sid:2233 tty:/dev/pts/3 cwd:/home/alice filename:/usr/bin/scp]: scp f2.txt root@10.0.0.2:/root']);
      assert.equal(recs.length, 1);
      assert.deepEqual(recs[0].process, {
        command_line: 'scp f2.txt root@10.0.0.2:/root',
        args: ['scp', 'f2.txt', 'root@10.0.0.2:/root'],
        args_count: 3,
        executable: '/usr/bin/scp',
        name: 'scp',
        working_directory: '/home/alice',
        tty: { char_device: { major: 136, minor: 3 } },
      });
      assert.deepEqual(recs[0].user, { id: '1000' });
      assert.equal(recs[0].message, 'uid 1000 executed scp f2.txt root@10.0.0.2:/root (cwd /home/alice)');
    });

    it('reads a custom format with pid, ppid, username and datetime', () => {
      const { recs } = parseAll(['[datetime:2026-11-23T10:11:12+0000 pid:4242 ppid:4000 username:bob euid:0 cwd:/srv]: sudo -i']);
      const r = recs[0];
      assert.equal(r['@timestamp'], '2026-11-23T10:11:12.000Z');
      assert.equal(r.process!.pid, 4242);
      assert.deepEqual(r.process!.parent, { pid: 4000 });
      assert.deepEqual(r.user, { name: 'bob', effective: { id: '0' } });
    });

    it('finds the bracket end when "]: " is inside the command line', () => {
      const { recs } = parseAll(['[uid:0 sid:1 tty:(none) cwd:/tmp]: echo [x]: y']);
      assert.equal(recs[0].process!.working_directory, '/tmp');
      assert.equal(recs[0].process!.command_line, 'echo [x]: y');
    });

    it('finds the bracket end when "]: " is inside the cwd (the existing directory wins)', () => {
      const line = '[uid:0 sid:1 tty:(none) cwd:/tmp/we]: ird]: ls -l';
      const { recs } = parseAll([line], { isDirectory: (p) => p === '/tmp/we]: ird' });
      assert.equal(recs[0].process!.working_directory, '/tmp/we]: ird');
      assert.equal(recs[0].process!.command_line, 'ls -l');
      // with no such directory (an old log read elsewhere), a first word running into the next
      // "]: " says the first one was inside the cwd
      const { recs: r2 } = parseAll([line]);
      assert.equal(r2[0].process!.working_directory, '/tmp/we]: ird');
      assert.equal(r2[0].process!.command_line, 'ls -l');
      // but a cwd "/tmp/a]: b c" cannot be told from a command line "b c]: ..." without the directory
      const { recs: r3 } = parseAll(['[uid:0 sid:1 tty:(none) cwd:/tmp/a]: b c]: ls']);
      assert.equal(r3[0].process!.working_directory, '/tmp/a');
      assert.equal(r3[0].process!.command_line, 'b c]: ls');
    });

    it('reads RFC 3164 headers (year from the clock, never a day in the future) and a <PRI>', () => {
      const { recs } = parseAll([
        'Nov 23 01:02:03 web1 snoopy[77]: [uid:0 sid:1 tty:(none) cwd:/]: id',
        '<86>Dec  3 04:05:06 web1 snoopy[78]: [uid:0 sid:1 tty:(none) cwd:/]: uptime',
      ]);
      assert.equal(recs[0]['@timestamp'], '2026-11-23T01:02:03.000Z');
      assert.equal(recs[0].process!.pid, 77);
      assert.equal(recs[1]['@timestamp'], '2025-12-03T04:05:06.000Z');
      assert.equal(recs[1].process!.command_line, 'uptime');
    });

    it('counts a line that is no snoopy entry, names it, and goes on', () => {
      const { recs, errors } = parseAll(['garbage here', '[uid:0 sid:1 tty:(none) cwd:/]: ok']);
      assert.equal(recs.length, 1);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, 'AF_ERR_PARSE');
      assert.equal(errors[0].where, 'test.log:1');
      assert.match(errors[0].message, /not a snoopy entry/);
    });

    it('holds an entry until the next one starts or end(), and says from where', () => {
      const p = createSnoopyParser({ now: () => FIXED_NOW });
      assert.deepEqual(p.line('[uid:0 sid:1 tty:(none) cwd:/]: printf a', 'f:1', 0), []);
      assert.equal(p.heldFrom(), 0);
      assert.deepEqual(p.line('b', 'f:2', 40), []);
      assert.equal(p.heldFrom(), 0);
      const done = p.line('[uid:0 sid:1 tty:(none) cwd:/]: true', 'f:3', 42);
      assert.equal(done.length, 1);
      assert.equal(done[0].process!.command_line, 'printf a\nb');
      assert.equal(p.heldFrom(), 42);
      assert.equal(p.end()[0].process!.command_line, 'true');
      assert.equal(p.heldFrom(), undefined);
    });

    it('sniffs snoopy logs and not audit.log or bash history', () => {
      assert.equal(looksLikeSnoopy(linesOf(readFileSync(new URL('./fixtures/samples/snoopy-file.sample.log', import.meta.url))).slice(0, 10)), true);
      assert.equal(looksLikeSnoopy(linesOf(readFileSync(new URL('./fixtures/samples/snoopy-authlog.sample.log', import.meta.url))).slice(0, 10)), true);
      assert.equal(looksLikeSnoopy(['type=SYSCALL msg=audit(1.2:3): arch=c000003e syscall=59']), false);
      assert.equal(looksLikeSnoopy(['#1795395360', 'ls -la /etc | head -3', '[ -d /tmp ] && echo y']), false);
    });
  });

  it('never throws on garbage: every line is an entry, a continuation, skipped or a counted error', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = [
      '[',
      ']',
      ':',
      ': ',
      ']: ',
      '(',
      ')',
      ' ',
      '#012',
      '#',
      'uid',
      'cwd',
      'tty',
      'a',
      '0',
      '/',
      '\uFFFD',
      '\t',
      'snoopy[1]: ',
      'Nov 23 01:02:03 h ',
      '2026-11-23T00:00:00Z h ',
    ];
    const lines: string[] = [];
    for (let i = 0; i < 20000; i++) {
      let l = rnd(3) === 0 ? '[uid:' : '';
      for (let k = rnd(12); k > 0; k--) l += alphabet[rnd(alphabet.length)];
      lines.push(l);
    }
    const { recs, errors, counts } = parseAll(lines);
    assert.ok(recs.length > 0 && errors.length > 0);
    assert.equal(counts.errors, errors.length);
    for (const r of recs) assert.equal(typeof r.process!.command_line, 'string');
    for (let i = 0; i < lines.length; i += 50) looksLikeSnoopy(lines.slice(i, i + 50));
  });

  describe('syslog helpers', () => {
    it('unescapes only control-character escapes', () => {
      assert.equal(unescapeRsyslog('a#012b#011c #123 #0'), 'a\nb\tc #123 #0');
    });
    it('rejects lines that are not syslog', () => {
      assert.equal(parseSyslogHeader('[uid:0]: x', FIXED_NOW), undefined);
      assert.equal(parseSyslogHeader('Foo 23 01:02:03 h p: m', FIXED_NOW), undefined);
    });
  });
});
