// The redact filter's cheap paths: a string that screens positive is scanned once and its answer
// reused (a server repeats its messages), and audit.data fields of fixed vocabulary are not
// scanned. Reuse must never let a secret through, and a clean repeated string stays as it was.
import assert from 'node:assert/strict';
import { AuditStream } from '../src/audit/stream.js';
import { RedactFilter } from '../src/filters/redact/filter.js';
import { kRaw, type NormalizedRecord } from '../src/record.js';
import type { AuditRecord } from '../src/audit/record.js';

const hex = (s: string) => Buffer.from(s).toString('hex').toUpperCase();

function events(lines: string[]): NormalizedRecord[] {
  const out: NormalizedRecord[] = [];
  const s = new AuditStream({ onRecord: (r) => out.push(r), onError: (w, m) => assert.fail(`${w}: ${m}`) });
  for (const l of lines) s.line(l, 'screen');
  s.flush();
  return out;
}

// go-libaudit's RHEL 7 sshd login (USER_AUTH), with the acct a user typed at the login prompt
const login = (serial: number, acct: string) =>
  `type=USER_AUTH msg=audit(1481077041.515:${serial}): pid=1298 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication grantors=pam_unix acct=${hex(acct)} exe="/usr/sbin/sshd" hostname=pool-96-241-146-97.washdc.fios.verizon.net addr=96.241.146.97 terminal=ssh res=success'`;

describe('redaction screening', () => {
  it('redacts the same secret-bearing acct and message in every event, not only the first', () => {
    const f = new RedactFilter();
    const recs = events([login(100, 'password=Hunter2 x'), login(101, 'password=Hunter2 x'), login(102, 'password=Hunter2 x')]).map((r) => f.apply(r));
    assert.equal(recs.length, 3);
    for (const r of recs) {
      assert.equal(r.user!.target!.name, 'password=**** x');
      assert.ok(!JSON.stringify(r).includes('Hunter2'), JSON.stringify(r));
      assert.deepEqual(r.redacted, ['message', 'user.target.name']);
    }
    assert.equal(f.stats().modified, 3);
  });

  it('leaves the PAM fields of fixed vocabulary and a clean repeated message exactly as they were', () => {
    const f = new RedactFilter();
    const recs = events([login(200, 'andrew_kroh'), login(201, 'andrew_kroh')]).map((r) => f.apply(r));
    for (const r of recs) {
      const d = r.audit!.data!;
      assert.equal(d.op, 'PAM:authentication');
      assert.equal(d.grantors, 'pam_unix');
      assert.equal(d.hostname, 'pool-96-241-146-97.washdc.fios.verizon.net');
      assert.equal(r.message, '0 authenticated andrew_kroh from 96.241.146.97');
      assert.equal(r.redacted, undefined);
    }
    assert.equal(f.stats().modified, 0);
  });

  it('redacts a repeated command line in every event (argv, command line, summary, raw EXECVE), each record with its own argv', () => {
    // the same mysql client run twice by a script, then a clean grep that screens positive (/etc/passwd)
    const exec = (serial: number, args: string[]) => [
      `type=SYSCALL msg=audit(1481077231.371:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=${serial} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="${args[0]}" exe="/usr/bin/${args[0]}" key=(null)`,
      `type=EXECVE msg=audit(1481077231.371:${serial}): argc=${args.length} ${args.map((a, i) => `a${i}="${a}"`).join(' ')}`,
      `type=PROCTITLE msg=audit(1481077231.371:${serial}): proctitle=${hex(args.join('\0'))}`,
    ];
    const f = new RedactFilter();
    const lines = [...exec(300, ['mysql', '-uroot', '-pHunter2']), ...exec(301, ['mysql', '-uroot', '-pHunter2']), ...exec(302, ['grep', 'x', '/etc/passwd'])];
    const recs = events(lines).map((r) => f.apply(r));
    assert.equal(recs.length, 3);
    for (const r of recs.slice(0, 2)) {
      assert.deepEqual(r.process!.args, ['mysql', '-uroot', '-p****']);
      assert.equal(r.process!.command_line, 'mysql -uroot -p****');
      assert.equal(r.process!.title, 'mysql -uroot -p****');
      assert.ok(!JSON.stringify(r).includes('Hunter2'), JSON.stringify(r));
      const raw = r[kRaw] as AuditRecord[];
      assert.equal(raw.find((x) => x.type === 'EXECVE')!.fields.a2, '"-p****"');
    }
    assert.notEqual(recs[0].process!.args, recs[1].process!.args);
    assert.deepEqual(recs[2].process!.args, ['grep', 'x', '/etc/passwd']);
    assert.equal(recs[2].redacted, undefined);
    assert.equal(f.stats().modified, 2);
  });
});
