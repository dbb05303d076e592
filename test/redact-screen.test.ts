// The redact filter's cheap paths: a string that screens positive is scanned once and its answer
// reused (a server repeats its messages), and audit.data fields of fixed vocabulary are not
// scanned. Reuse must never let a secret through, and a clean repeated string stays as it was.
import assert from 'node:assert/strict';
import { AuditStream } from '../src/audit/stream.js';
import { RedactFilter } from '../src/filters/redact/filter.js';
import type { NormalizedRecord } from '../src/record.js';

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
});
