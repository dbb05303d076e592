import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createNormalizer } from '../src/audit/normalize/index.js';
import { parseLine, isFailure, type AuditRecord } from '../src/audit/record.js';
import type { NormalizedRecord } from '../src/record.js';
import { ttyDevice } from '../src/tty.js';

const sample = readFileSync(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8').split('\n');
const normalizer = createNormalizer({ resolveNames: false });
const json = (r: unknown) => JSON.parse(JSON.stringify(r));

function parse(line: string): AuditRecord {
  const r = parseLine(line);
  if (isFailure(r)) throw new Error(`line does not parse: ${r.error}: ${line}`);
  return r;
}
const norm = (...lines: string[]): NormalizedRecord => normalizer.normalize(lines.map(parse));
const sampleEvent = (serial: number) => norm(...sample.filter((l) => l.includes(`:${serial}): `)));

const i386 = (serial: number, a0: number, exit: number) =>
  `type=SYSCALL msg=audit(1795395187.700:${serial}): arch=40000003 syscall=102 success=${exit >= 0 ? 'yes' : 'no'} exit=${exit} a0=${a0.toString(16)} a1=fffae754 a2=80496ee a3=66 items=0 ppid=13561 pid=14400 auid=4242 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=5 comm="sc32" exe="/opt/auditlab/tools/sc32" key="net32"`;
const sockaddr = (serial: number, hex: string) => `type=SOCKADDR msg=audit(1795395187.700:${serial}): saddr=${hex}`;

describe('normalize: socketcall (i386), lone SOCKADDR, old type names, PARENT-only paths', () => {
  it('socketcall(bind) from the real sample: audit.syscall stays socketcall, read as bind', () => {
    const r = sampleEvent(128263);
    assert.equal(r.audit?.syscall, 'socketcall');
    assert.equal(r.audit?.arch, 'i386');
    assert.equal(r.event.action, 'bound-socket');
    assert.deepEqual(json(r.source), { ip: '127.0.0.1', port: 0 });
    assert.equal(r.network?.direction, undefined);
  });

  it('socketcall(connect) names the destination, socketcall(accept) the source', () => {
    const c = norm(i386(900, 3, 0), sockaddr(900, '020000500A0000020000000000000000'));
    assert.equal(c.audit?.syscall, 'socketcall');
    assert.equal(c.event.action, 'connected-to');
    assert.deepEqual(json(c.destination), { ip: '10.0.0.2', port: 80 });
    assert.deepEqual(json(c.network), { family: 'inet', type: 'ipv4', direction: 'egress' });
    const a = norm(i386(901, 5, 4), sockaddr(901, '0A00D3F0000000000000000000000000000000000000000100000000'));
    assert.equal(a.event.action, 'accepted-connection-from');
    assert.deepEqual(json(a.source), { ip: '::1', port: 54256 });
    assert.equal(a.network?.direction, 'ingress');
    const refused = norm(i386(902, 3, -111), sockaddr(902, '020000097F0000010000000000000000'));
    assert.equal(refused.audit?.errno, 'ECONNREFUSED');
    assert.equal(refused.event.outcome, 'failure');
    assert.deepEqual(json(refused.destination), { ip: '127.0.0.1', port: 9 });
  });

  it('a SOCKADDR with no SYSCALL is decoded into audit.data.socket, not left as hex', () => {
    const r = norm(sockaddr(903, '020001BB0A0000020000000000000000'));
    assert.deepEqual(json(r.audit?.data), { socket: { family: 'inet', addr: '10.0.0.2', port: 443 } });
    assert.deepEqual(json(r.network), { family: 'inet', type: 'ipv4' });
    assert.equal(r.destination, undefined, 'which end it is needs the syscall');
  });

  it('ENRICHED SADDR= is what a SOCKADDR without its SYSCALL is read from (the origin host knew its byte order)', () => {
    const local = norm(
      'type=SOCKADDR msg=audit(1634728455.294:53733): saddr=01002F7661722F72756E2F6E7363642F736F636B6574\x1dSADDR={ saddr_fam=local path=/var/run/nscd/socket }',
    );
    assert.deepEqual(json(local.audit?.data), { socket: { family: 'local', path: '/var/run/nscd/socket' } });
    const nl = norm('type=SOCKADDR msg=audit(1634728455.294:53734): saddr=100000000000000000000000\x1dSADDR={ fam=netlink nlnk-fam=16 nlnk-pid=0 }');
    assert.deepEqual(json(nl.audit?.data), { socket: { family: 'netlink', pid: 0 } });
    // big-endian origin (s390x): the raw family bytes 00 02 would read as family 512 here
    const be = norm(
      'type=SOCKADDR msg=audit(1634728455.294:53735): saddr=000201BB0A0000020000000000000000\x1dSADDR={ saddr_fam=inet laddr=10.0.0.2 lport=443 }',
    );
    assert.deepEqual(json(be.audit?.data), { socket: { family: 'inet', addr: '10.0.0.2', port: 443 } });
  });

  it('UNKNOWN[1327] from an old auditd is a PROCTITLE', () => {
    const p = parse('type=UNKNOWN[1327] msg=audit(1464176620.068:1445): proctitle=2F7573722F62696E2F7065726C002D7700');
    assert.equal(p.type, 'PROCTITLE');
    assert.equal(p.typeId, 1327);
    const r = norm(
      'type=SYSCALL msg=audit(1464176620.068:1445): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="perl" exe="/usr/bin/perl" key=(null)',
      'type=UNKNOWN[1327] msg=audit(1464176620.068:1445): proctitle=2F7573722F62696E2F7065726C002D7700',
    );
    assert.equal(r.process?.title, '/usr/bin/perl -w');
    assert.deepEqual(r.audit?.record_types, ['SYSCALL', 'PROCTITLE']);
  });

  it('unlink and rename with only PARENT items name the directory', () => {
    const rm = sampleEvent(95126); // rm -rf /tmp/awork: unlinkat ENOENT
    assert.equal(rm.event.action, 'deleted');
    assert.equal(rm.audit?.errno, 'ENOENT');
    assert.equal(rm.file?.path, '/tmp');
    const mv = norm(
      'type=SYSCALL msg=audit(1795395188.000:910): arch=c000003e syscall=82 success=no exit=-2 a0=7ffd1 a1=7ffd2 a2=0 a3=0 items=2 ppid=13561 pid=14410 auid=4242 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=5 comm="mv" exe="/usr/bin/mv" key="watch_tmp"',
      'type=CWD msg=audit(1795395188.000:910): cwd="/home/alice"',
      'type=PATH msg=audit(1795395188.000:910): item=0 name="/tmp/auditwatch/" inode=260100 dev=fe:00 mode=041777 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0',
      'type=PATH msg=audit(1795395188.000:910): item=1 name="/tmp/auditwatch/" inode=260100 dev=fe:00 mode=041777 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0',
    );
    assert.equal(mv.event.action, 'renamed');
    assert.equal(mv.file?.path, '/tmp/auditwatch');
    assert.equal(mv.file?.target_path, undefined);
  });

  it("process.tty is ECS's char_device by the Linux device numbers; the name stays in audit.data.tty", () => {
    const exec = (tty: string) =>
      norm(
        `type=SYSCALL msg=audit(1795395184.688:95130): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=${tty} ses=3 comm="ls" exe="/bin/ls" key=(null)`,
      );
    const pts3 = exec('pts3');
    assert.deepEqual(json(pts3.process?.tty), { char_device: { major: 136, minor: 3 } });
    assert.equal(pts3.audit?.data?.tty, 'pts3');
    assert.deepEqual(json(exec('pts300').process?.tty), { char_device: { major: 137, minor: 44 } });
    assert.deepEqual(json(exec('tty1').process?.tty), { char_device: { major: 4, minor: 1 } });
    assert.deepEqual(json(exec('ttyS0').process?.tty), { char_device: { major: 4, minor: 64 } });
    const none = exec('(none)');
    assert.equal(none.process?.tty, undefined);
    assert.equal(none.audit?.data?.tty, undefined);
    const hvc = exec('hvc0');
    assert.equal(hvc.process?.tty, undefined, 'no device numbers known: no process.tty');
    assert.equal(hvc.audit?.data?.tty, 'hvc0');
    assert.deepEqual(ttyDevice('/dev/pts/0'), { char_device: { major: 136, minor: 0 } }, "snoopy's form");
    assert.deepEqual(ttyDevice('console'), { char_device: { major: 5, minor: 1 } });
    assert.equal(ttyDevice('pts'), undefined);
    assert.equal(ttyDevice('ttyX'), undefined);
  });

  it("su - bob by alice: user is alice (the caller), user.target bob; sshd's login: user root, target the account", () => {
    const su = norm(
      'type=USER_AUTH msg=audit(1795395190.100:99990): pid=14500 uid=1000 auid=1000 ses=5 msg=\'op=PAM:authentication grantors=pam_unix acct="bob" exe="/usr/bin/su" hostname=? addr=? terminal=/dev/pts/1 res=success\'\x1dUID="alice" AUID="alice"',
    );
    assert.equal(su.event.action, 'authenticated');
    assert.deepEqual(json(su.user), { id: '1000', name: 'alice', audit: { id: '1000', name: 'alice' }, target: { name: 'bob' }, terminal: '/dev/pts/1' });
    const ssh = norm(
      'type=USER_LOGIN msg=audit(1481077043.193:421): pid=1298 uid=0 auid=1000 ses=1 msg=\'op=login id=1000 exe="/usr/sbin/sshd" hostname=10.0.0.5 addr=10.0.0.5 terminal=/dev/pts/0 res=success\'',
    );
    assert.deepEqual(json(ssh.user), { id: '0', audit: { id: '1000' }, target: { id: '1000' }, terminal: '/dev/pts/0' });
    assert.deepEqual(json(ssh.source), { ip: '10.0.0.5' });
  });
});
