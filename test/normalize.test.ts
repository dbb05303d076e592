import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createNormalizer } from '../src/audit/normalize/index.js';
import { parseLine, isFailure, type AuditRecord } from '../src/audit/record.js';
import { kRaw, type NormalizedRecord } from '../src/record.js';
import { Reassembler } from '../src/audit/reassembler.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/normalize/${name}`, import.meta.url));
const sampleText = readFileSync(fileURLToPath(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url)), 'utf8');

function parse(line: string): AuditRecord {
  const r = parseLine(line);
  if (isFailure(r)) throw new Error(`fixture line does not parse: ${r.error}: ${line}`);
  return r;
}

/** Events of a log by node+serial, records in arrival order (what the reassembler hands over). */
function eventsOf(text: string): Map<string, AuditRecord[]> {
  const events = new Map<string, AuditRecord[]>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const r = parse(line);
    const key = `${r.node ?? ''}:${r.serial}`;
    const list = events.get(key);
    if (list) list.push(r);
    else events.set(key, [r]);
  }
  return events;
}

const sampleEvents = eventsOf(sampleText);
const normalizer = createNormalizer({ passwdFile: fixture('passwd'), groupFile: fixture('group') });
const bySerial = new Map<number, NormalizedRecord>();
for (const [key, recs] of sampleEvents) bySerial.set(Number(key.split(':')[1]), normalizer.normalize(recs));
const ev = (serial: number): NormalizedRecord => {
  const r = bySerial.get(serial);
  assert.ok(r, `serial ${serial} is in the sample`);
  return r;
};
/** Plain JSON view (what outputs write), so deepEqual ignores the kRaw symbol. */
const json = (r: unknown) => JSON.parse(JSON.stringify(r));

describe('normalize: the real auditd sample', () => {
  it('turns every event into exactly one record', () => {
    assert.equal(sampleEvents.size, 300);
    assert.equal(bySerial.size, 300);
    assert.equal(normalizer.errors, 0);
    for (const [key, recs] of sampleEvents) {
      const out = bySerial.get(Number(key.split(':')[1]))!;
      assert.equal(out.event.sequence, recs[0].serial);
      assert.equal(out['@timestamp'], new Date(recs[0].time).toISOString());
      assert.equal(out.event.module, 'auditd');
      assert.ok(out.event.action.length > 0, `event ${key} has an action`);
      assert.ok(out.event.outcome, `event ${key} has an outcome`);
      assert.equal(out.error, undefined, `event ${key}: ${out.error?.message}`);
      assert.strictEqual(out[kRaw], recs);
      assert.deepEqual(out.audit?.record_types, [...new Set(recs.map((r) => r.type))]);
      assert.ok(out.message && !out.message.includes('\n'), `event ${key} has a one-line message`);
      assert.ok(!JSON.stringify(out).includes(':null'), `event ${key}: fields that do not apply are left out, not null`);
    }
  });

  it('gives the same records when the events come from the reassembler', () => {
    const viaReassembler = new Map<number, NormalizedRecord>();
    const n = createNormalizer({ passwdFile: fixture('passwd'), groupFile: fixture('group') });
    const ra = new Reassembler({ onEvent: (recs) => viaReassembler.set(recs[0].serial, n.normalize(recs)) });
    for (const line of sampleText.split('\n')) if (line !== '') ra.push(parse(line));
    ra.flush();
    assert.equal(viaReassembler.size, 300);
    for (const [serial, r] of viaReassembler) assert.deepEqual(json(r), json(ev(serial)), `event ${serial}`);
  });

  it('reassembles an argument split over four EXECVE records (a1_len=24000 hex digits = 12,000 bytes)', () => {
    const r = ev(95723);
    assert.equal(r.event.action, 'executed');
    assert.equal(r.process?.args_count, 2);
    assert.equal(r.process?.args?.length, 2);
    assert.equal(r.process?.args?.[0], '/bin/echo');
    assert.equal(r.process?.args?.[1], 'A'.repeat(12000));
    assert.equal(r.audit?.data?.execve_incomplete, undefined);
    // the summary stays a summary
    assert.ok(r.message!.length < 700, `message is capped (${r.message!.length})`);
    assert.ok(r.message!.startsWith('alice as root executed /bin/echo AAAA'));
  });

  it('joins split chunks as bytes, so a UTF-8 character cut between chunks survives', () => {
    const r = ev(95787);
    assert.deepEqual(r.process?.args?.slice(0, 2), ['/bin/echo', 'prefix']);
    assert.equal(r.process?.args?.[2], 'ß€'.repeat(2500) + ' end');
    assert.equal(r.process?.args?.[2].includes('\\x'), false);
  });

  it('keeps all 601 arguments of one EXECVE record in order', () => {
    // the brief mentions a 2,501-argument event; the sample's largest has argc=601
    const r = ev(95946);
    assert.equal(r.process?.args_count, 601);
    assert.equal(r.process?.args?.length, 601);
    assert.equal(r.process?.args?.[0], '/bin/true');
    for (let i = 1; i < 601; i++) assert.equal(r.process?.args?.[i], String(i));
    assert.equal(r.process?.command_line?.slice(0, 20), '/bin/true 1 2 3 4 5 ');
  });

  it('decodes hex argv: newlines, non-Latin text, and invalid UTF-8 as \\xNN', () => {
    assert.deepEqual(ev(95497).process?.args, ['/bin/echo', 'line1\nline2\nline3']);
    assert.deepEqual(ev(95529).process?.args, ['/bin/echo', 'héllo wörld', '日本語テキスト', 'emoji 🚀', 'Ünïcödé']);
    assert.deepEqual(ev(95561).process?.args, ['/bin/echo', '\\xff\\xfe invalid utf8 \\xc3(', '\x01\x02ctrl\x7f']);
    assert.equal(ev(95497).message, 'alice as root executed /bin/echo line1\\nline2\\nline3 (cwd /root)');
    // exe and PATH names are hex too when they hold a space
    const spaced = ev(96559);
    assert.deepEqual(spaced.process?.args, ['/tmp/awork/bin/my prog', 'with space in exe']);
    assert.equal(spaced.file?.path, '/tmp/awork/bin/my prog');
  });

  it('takes args from EXECVE only, never from the a0..a3 registers', () => {
    const r = ev(95022);
    assert.deepEqual(r.process?.args, ['mkdir', '-p', '/tmp/auditwatch']);
    assert.equal(r.process?.command_line, 'mkdir -p /tmp/auditwatch');
    assert.equal(r.process?.executable, '/usr/bin/mkdir');
    assert.equal(r.process?.name, 'mkdir');
    assert.equal(r.process?.working_directory, '/root');
    assert.equal(r.process?.title, 'mkdir -p /tmp/auditwatch');
    assert.equal(r.process?.pid, 13565);
    assert.equal(r.process?.parent?.pid, 13561);
    assert.deepEqual(json(r.file), {
      path: '/usr/bin/mkdir',
      inode: '260646',
      device: 'fe:00',
      mode: '0755',
      type: 'file',
      uid: '0',
      owner: 'root',
      gid: '0',
      group: 'root',
    });
    assert.deepEqual(r.audit?.keys, ['exec']);
    assert.equal(r.audit?.syscall, 'execve');
    assert.equal(r.audit?.arch, 'x86_64');
    assert.deepEqual(r.event.category, ['process']);
    assert.deepEqual(r.event.type, ['start']);
    assert.equal(r.message, 'alice as root executed /usr/bin/mkdir -p /tmp/auditwatch (cwd /root)');
  });

  it('a failed exec as nobody names the attempted path and keeps the caller as the process', () => {
    const r = ev(96708);
    assert.equal(r.event.outcome, 'failure');
    assert.equal(r.audit?.errno, 'ENOENT');
    assert.equal(r.file?.path, '/usr/sbin/cat');
    assert.equal(r.process?.args, undefined);
    assert.equal(r.process?.executable, '/usr/bin/setpriv');
  });

  it('a failed open as nobody: EACCES, user ids and names, audit user kept', () => {
    const r = ev(96740);
    assert.equal(r.event.action, 'opened-file');
    assert.equal(r.event.outcome, 'failure');
    assert.deepEqual(r.event.type, ['access']);
    assert.equal(r.audit?.exit, -13);
    assert.equal(r.audit?.errno, 'EACCES');
    assert.deepEqual(json(r.user), {
      id: '65534',
      name: 'nobody',
      audit: { id: '4242', name: 'alice' },
      effective: { id: '65534', name: 'nobody' },
      group: { id: '65534', name: 'nogroup' },
    });
    assert.equal(r.audit?.session, '5');
    assert.equal(r.file?.path, '/etc/shadow');
    assert.equal(r.file?.group, 'shadow');
    assert.equal(r.message, 'alice as nobody opened-file /etc/shadow (failed: EACCES)');
  });

  it('open flags tell a read, a write and a creation apart', () => {
    assert.deepEqual(ev(95356).event.type, ['access']); // O_RDONLY|O_CLOEXEC
    const created = ev(95242); // O_WRONLY|O_CREAT|O_EXCL, PATH nametype=CREATE
    assert.equal(created.event.action, 'created-file');
    assert.deepEqual(created.event.type, ['creation']);
    assert.equal(created.file?.path, '/tmp/awork/bin/my prog');
    const written = ev(96201); // /dev/null with O_WRONLY|O_CREAT|O_TRUNC, existing
    assert.equal(written.event.action, 'opened-file');
    assert.deepEqual(written.event.type, ['change']);
  });

  it('rename: file.path is the old name, file.target_path the new one (i386 renameat)', () => {
    const r = ev(127927);
    assert.equal(r.audit?.arch, 'i386');
    assert.equal(r.audit?.syscall, 'renameat');
    assert.equal(r.event.action, 'renamed');
    assert.equal(r.file?.path, '/tmp/auditwatch/sc_renamed.txt');
    assert.equal(r.file?.target_path, '/tmp/auditwatch/sc_renamed2.txt');
    assert.deepEqual(r.audit?.keys, ['watch_tmp']);
    assert.equal(r.message, 'alice as root renamed /tmp/auditwatch/sc_renamed.txt to /tmp/auditwatch/sc_renamed2.txt');
    const x64 = ev(101609);
    assert.equal(x64.file?.path, '/tmp/auditwatch/sc_openat.txt');
    assert.equal(x64.file?.target_path, '/tmp/auditwatch/sc_renamed.txt');
  });

  it('i386: socketcall(bind) with its SOCKADDR, and openat as nobody', () => {
    const bind = ev(128263);
    assert.equal(bind.audit?.arch, 'i386');
    assert.equal(bind.audit?.syscall, 'socketcall');
    assert.equal(bind.event.action, 'bound-socket');
    assert.deepEqual(json(bind.source), { ip: '127.0.0.1', port: 0 });
    assert.equal(bind.user?.name, 'nobody');
    const open = ev(128209);
    assert.equal(open.audit?.syscall, 'openat');
    assert.equal(open.audit?.errno, 'EACCES');
    assert.equal(open.file?.path, '/etc/shadow');
  });

  it('decodes IPv4, IPv6 and unix sockaddrs on the right side of the connection', () => {
    const c4 = ev(98196);
    assert.equal(c4.event.action, 'connected-to');
    assert.deepEqual(json(c4.destination), { ip: '127.0.0.1', port: 18080 });
    assert.deepEqual(json(c4.network), { family: 'inet', type: 'ipv4', direction: 'egress' });
    const a6 = ev(98291);
    assert.equal(a6.event.action, 'accepted-connection-from');
    assert.deepEqual(json(a6.source), { ip: '::1', port: 33204 });
    assert.deepEqual(json(a6.network), { family: 'inet6', type: 'ipv6', direction: 'ingress' });
    const b6 = ev(95458);
    assert.deepEqual(json(b6.source), { ip: '::1', port: 18080 });
    assert.equal(b6.network?.direction, undefined);
    const refused = ev(98327);
    assert.equal(refused.audit?.errno, 'ECONNREFUSED');
    assert.equal(refused.message, 'alice as root connected-to [::1]:9 (failed: ECONNREFUSED)');
    const unixBind = ev(95462);
    assert.deepEqual(json(unixBind.source), { path: '/tmp/awork/listener.sock' });
    assert.equal(unixBind.network?.family, 'local');
    // nscd: the path ends at its NUL; what follows is stack garbage
    assert.deepEqual(json(ev(96243).destination), { path: '/var/run/nscd/socket' });
    // accept on a unix socket: the peer is unnamed
    const unnamed = ev(98379);
    assert.equal(unnamed.source, undefined);
    assert.equal(unnamed.network?.family, 'local');
    // auditctl talking to the kernel over netlink
    assert.deepEqual(ev(99891).audit?.data?.netlink, { pid: 0, groups: 0 });
  });

  it('keeps interleaved events apart', () => {
    // records of 95364/95365 and 95366/95367 alternate in the log (two processes at once)
    assert.equal(ev(95364).process?.name, 'sleep');
    assert.equal(ev(95364).file?.path, '/usr/lib/locale/C.UTF-8/LC_TELEPHONE');
    assert.equal(ev(95364).event.outcome, 'failure');
    assert.equal(ev(95365).process?.name, 'timeout');
    assert.equal(ev(95365).file?.path, '/usr/lib/locale/C.UTF-8/LC_IDENTIFICATION');
    assert.equal(ev(95366).process?.pid, 13575);
    assert.equal(ev(95366).file?.path, '/usr/lib/locale/C.utf8/LC_TELEPHONE');
    assert.equal(ev(95366).event.outcome, 'success');
    assert.equal(ev(95367).process?.pid, 13574);
    assert.equal(ev(95367).file?.path, '/usr/lib/locale/C.utf8/LC_IDENTIFICATION');
  });

  it('resolves relative names against CWD, but not names relative to another dirfd', () => {
    assert.equal(ev(95170).file?.path, '/tmp/auditwatch/nobody'); // mkdir("nobody") in /tmp/auditwatch
    assert.equal(ev(96200).file?.path, '/tmp/auditwatch/dir with space/ünï');
    assert.equal(ev(96200).event.action, 'created-directory');
    // openat(5, "file.txt") from cwd /root: the file is not /root/file.txt
    assert.equal(ev(138918).file?.path, 'file.txt');
    assert.equal(ev(138918).process?.working_directory, '/root');
  });

  it('chmod, chown: the new mode and owner', () => {
    const chmod = ev(95202);
    assert.equal(chmod.event.action, 'changed-file-permissions-of');
    assert.equal(chmod.file?.mode, '1777');
    assert.equal(chmod.file?.path, '/tmp/awork/nobody');
    const chown = ev(97263); // fchownat(AT_FDCWD, "/etc/passwd", 65534, -1): group unchanged
    assert.equal(chown.event.action, 'changed-file-ownership-of');
    assert.equal(chown.file?.uid, '65534');
    assert.equal(chown.file?.owner, 'nobody');
    assert.equal(chown.file?.gid, '0');
    assert.equal(chown.audit?.errno, 'EPERM');
    assert.equal(chown.message, 'alice as nobody changed-file-ownership-of /etc/passwd to nobody:root (failed: EPERM)');
    const fchmod = ev(112671); // by fd: no name, the inode still says which file
    assert.equal(fchmod.file?.path, undefined);
    assert.equal(fchmod.file?.mode, '0644');
    assert.match(fchmod.message!, /changed-file-permissions-of inode \d+ to 0644$/);
  });

  it('link, symlink, unlink, mkdir, getxattr', () => {
    const link = ev(101607);
    assert.equal(link.event.action, 'linked');
    assert.equal(link.file?.path, '/tmp/auditwatch/sc_open.txt');
    assert.equal(link.file?.target_path, '/tmp/auditwatch/sc_open.hard');
    const sym = ev(101608);
    assert.equal(sym.event.action, 'symlinked');
    assert.equal(sym.file?.path, '/tmp/auditwatch/sc_open.sym');
    assert.equal(sym.file?.target_path, '/tmp/auditwatch/sc_open.txt');
    assert.equal(sym.file?.type, 'symlink');
    const del = ev(97087);
    assert.equal(del.event.action, 'deleted');
    assert.deepEqual(del.event.type, ['deletion']);
    assert.equal(del.file?.path, '/etc/hostname');
    assert.equal(ev(101611).file?.path, '/tmp/auditwatch/sc_dir');
    assert.equal(ev(132721).event.action, 'checked-metadata-of');
    assert.equal(ev(132721).audit?.errno, 'ENODATA');
  });

  it('setresuid / setresgid: the target user and group; keys split on 0x01', () => {
    const u = ev(96706);
    assert.equal(u.event.action, 'changed-identity-of');
    assert.deepEqual(json(u.user?.target), { id: '65534', name: 'nobody' });
    assert.deepEqual(u.audit?.keys, ['id_change', 'T1548']);
    const g = ev(96707);
    assert.deepEqual(json(g.group), { id: '65534', name: 'nogroup' });
  });

  it('execveat: relative to a dirfd, and AT_EMPTY_PATH (no name, only an inode)', () => {
    const rel = ev(101588);
    assert.equal(rel.audit?.syscall, 'execveat');
    assert.equal(rel.file?.path, 'true');
    const empty = ev(101592);
    assert.equal(empty.file?.path, undefined);
    assert.equal(empty.file?.inode, '260249');
    assert.equal(empty.message, 'alice as root executed /usr/bin/echo execveat-empty-path (cwd /root)');
  });

  it('LOGIN, USER_CMD, PAM and CONFIG_CHANGE records', () => {
    const login = ev(94990);
    assert.equal(login.event.action, 'changed-login-id-to');
    assert.deepEqual(login.event.category, ['authentication']);
    assert.equal(login.event.outcome, 'success');
    assert.deepEqual(json(login.user?.audit), { id: '4242', name: 'alice' });
    assert.equal(login.audit?.session, '5');
    assert.equal(login.audit?.data?.old_auid, '4294967295');
    assert.equal(login.audit?.syscall, 'write');
    assert.equal(login.message, 'alice as root changed-login-id-to alice');

    const cmd = ev(99960);
    assert.equal(cmd.event.action, 'ran-command');
    assert.equal(cmd.audit?.data?.cmd, 'true');
    assert.equal(cmd.process?.working_directory, '/root');
    assert.equal(cmd.process?.executable, '/usr/bin/sudo');
    assert.equal(cmd.message, 'alice as root ran-command true');

    const auth = ev(100100);
    assert.equal(auth.event.action, 'authenticated');
    assert.deepEqual(json(auth.user?.target), { id: '65534', name: 'nobody' });
    assert.equal(auth.audit?.data?.op, 'PAM:authentication');
    assert.equal(auth.audit?.data?.grantors, 'pam_rootok');
    assert.equal(auth.source, undefined); // addr=?
    assert.equal(auth.event.outcome, 'success');

    const rule = ev(94976);
    assert.equal(rule.event.action, 'changed-audit-configuration');
    assert.deepEqual(rule.event.category, ['process', 'configuration']);
    assert.equal(rule.audit?.data?.op, 'add_rule');
    assert.equal(rule.audit?.data?.key, 'exec');
    assert.equal(rule.audit?.data?.list, '4');
    assert.equal(rule.audit?.syscall, 'sendto');
    assert.equal(rule.event.outcome, 'success');
    assert.equal(ev(94972).audit?.data?.audit_backlog_limit, '8192');
  });

  it('ANOM_ABEND and auditd DAEMON_* records', () => {
    const crash = ev(102199);
    assert.equal(crash.event.action, 'crashed-program');
    assert.equal(crash.process?.pid, 13737);
    assert.equal(crash.process?.executable, '/usr/bin/bash');
    assert.equal(crash.audit?.data?.sig, '11');
    const start = ev(9936);
    assert.equal(start.event.action, 'started-audit');
    assert.equal(start.audit?.data?.ver, '3.0.9');
    assert.equal(start.user?.audit?.id, '4294967295');
    assert.equal(start.user?.audit?.name, undefined); // unset auid has no name
    assert.equal(start.message, 'root started-audit');
  });
});

describe('normalize: options and bad input', () => {
  const lines = sampleText.split('\n').filter((l) => l.includes(':96740)'));
  const recs = lines.map(parse);

  it('event.original is the raw records joined by newlines, when asked for', () => {
    const r = createNormalizer({ includeOriginal: true, resolveNames: false }).normalize(recs);
    assert.equal(r.event.original, lines.join('\n'));
    assert.equal(createNormalizer({ resolveNames: false }).normalize(recs).event.original, undefined);
  });

  it('resolveNames: false leaves ids unnamed', () => {
    const r = createNormalizer({ resolveNames: false }).normalize(recs);
    assert.deepEqual(json(r.user), { id: '65534', audit: { id: '4242' }, effective: { id: '65534' }, group: { id: '65534' } });
    assert.equal(r.message, '4242 as 65534 opened-file /etc/shadow (failed: EACCES)');
  });

  it('never throws: an empty event, a SYSCALL of nonsense, EXECVE records without their SYSCALL', () => {
    const n = createNormalizer({ resolveNames: false });
    const empty = n.normalize([]);
    assert.equal(empty.error?.type, 'AF_ERR_PARSE');
    assert.equal(n.errors, 1);

    const junk = n.normalize([parse('type=SYSCALL msg=audit(1.001:7): arch=zz syscall=banana success=maybe exit=x a0=qq items=? pid=- uid=')]);
    assert.equal(junk.event.sequence, 7);
    assert.equal(junk.audit?.syscall, 'banana');
    assert.equal(junk.audit?.arch, 'zz');
    assert.equal(junk.event.outcome, 'unknown');
    assert.equal(junk.process, undefined);

    const orphan = n.normalize([
      parse('type=EXECVE msg=audit(1795395185.716:95723): argc=3 a0="/bin/echo" a2="x"'),
      parse('type=CWD msg=audit(1795395185.716:95723): cwd="/tmp"'),
    ]);
    // an exec whose SYSCALL was lost: still an exec, args as far as they go, outcome unknown
    assert.equal(orphan.event.action, 'executed');
    assert.equal(orphan.event.outcome, 'unknown');
    assert.deepEqual(orphan.process?.args, ['/bin/echo', 'x']);
    assert.equal(orphan.process?.args_count, 3);
    assert.equal(orphan.process?.working_directory, '/tmp');

    const unknownType = n.normalize([parse('type=UNKNOWN[1999] msg=audit(5.000:9): foo=bar res=success')]);
    assert.equal(unknownType.event.action, 'unknown[1999]');
    assert.equal(unknownType.audit?.data?.foo, 'bar');
    assert.equal(unknownType.event.outcome, 'success');
    assert.equal(n.errors, 1);
  });

  it('argc larger than the arguments that arrived: args_count says argc, args what arrived', () => {
    const n = createNormalizer({ resolveNames: false });
    const r = n.normalize([
      parse(
        'type=SYSCALL msg=audit(10.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="ls" exe="/bin/ls" key=(null)',
      ),
      parse('type=EXECVE msg=audit(10.000:1): argc=4 a0="ls" a1="-l"'),
    ]);
    assert.deepEqual(r.process?.args, ['ls', '-l']);
    assert.equal(r.process?.args_count, 4);
    assert.equal(r.audit?.data?.execve_incomplete, true);
    assert.equal(r.audit?.keys, undefined);
    assert.deepEqual(json(r.process?.tty), { char_device: { major: 136, minor: 0 } });
    assert.equal(r.audit?.data?.tty, 'pts0');
  });

  it('an arch without a syscall table falls back to the ENRICHED names of the origin host', () => {
    const r = createNormalizer({ resolveNames: false }).normalize([
      parse(
        'type=SYSCALL msg=audit(10.000:3): arch=c00000f3 syscall=221 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="ls" exe="/bin/ls" key=(null)\x1dARCH=riscv64 SYSCALL=execve AUID="root" UID="root"',
      ),
      parse('type=EXECVE msg=audit(10.000:3): argc=1 a0="ls"'),
    ]);
    assert.equal(r.audit?.arch, 'riscv64');
    assert.equal(r.audit?.syscall, 'execve');
    assert.equal(r.event.action, 'executed');
    assert.equal(r.user?.name, 'root');
  });

  it('kernel modules: finit_module names the module from KERN_MODULE; delete_module too (constructed records)', () => {
    const n = createNormalizer({ resolveNames: false });
    const sc = (serial: number, nr: number) =>
      parse(
        `type=SYSCALL msg=audit(20.000:${serial}): arch=c000003e syscall=${nr} success=yes exit=0 a0=3 a1=5581 a2=0 a3=0 items=0 ppid=1 pid=900 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="modprobe" exe="/usr/bin/kmod" key="modules"`,
      );
    const load = n.normalize([sc(1, 313), parse('type=KERN_MODULE msg=audit(20.000:1): name="nf_tables"')]);
    assert.equal(load.audit?.syscall, 'finit_module');
    assert.equal(load.event.action, 'loaded-kernel-module');
    assert.deepEqual(load.event.category, ['driver']);
    assert.equal(load.audit?.data?.module, 'nf_tables');
    assert.equal(load.message, '1000 as 0 loaded-kernel-module nf_tables');
    const unload = n.normalize([sc(2, 176), parse('type=KERN_MODULE msg=audit(20.000:2): name="nf_tables"')]);
    assert.equal(unload.event.action, 'unloaded-kernel-module');
    assert.deepEqual(unload.event.type, ['end']);
    assert.equal(unload.audit?.data?.module, 'nf_tables');
  });

  it('an EOE record (netlink delivers them) changes nothing', () => {
    const n = createNormalizer({ resolveNames: false });
    const with_ = n.normalize([...recs, parse('type=EOE msg=audit(1795395185.804:96740): ')]);
    const without = n.normalize(recs);
    assert.deepEqual(json(with_), json(without));
  });

  it('a corrupt argc (4294967295) is reported, not iterated', () => {
    const r = createNormalizer({ resolveNames: false }).normalize([parse('type=EXECVE msg=audit(10.000:2): argc=4294967295 a0="ls"')]);
    assert.deepEqual(r.process?.args, ['ls']);
    assert.equal(r.process?.args_count, 4294967295);
  });

  it('abstract and v4-mapped sockaddrs (constructed records: the sample has neither)', () => {
    const n = createNormalizer({ resolveNames: false });
    const sc = (serial: number, syscall: number) =>
      parse(
        `type=SYSCALL msg=audit(10.000:${serial}): arch=c000003e syscall=${syscall} success=yes exit=0 a0=3 a1=7ffd a2=10 a3=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/x" key=(null)`,
      );
    // connect(fd, {AF_UNIX, "\0/tmp/.X11-unix/X0"}, 21)
    const abs = n.normalize([sc(1, 42), parse('type=SOCKADDR msg=audit(10.000:1): saddr=0100002F746D702F2E5831312D756E69782F5830')]);
    assert.deepEqual(json(abs.destination), { path: '@/tmp/.X11-unix/X0' });
    // connect(fd6, {AF_INET6, ::ffff:10.0.0.2 port 22})
    const mapped = n.normalize([sc(2, 42), parse('type=SOCKADDR msg=audit(10.000:2): saddr=0A0000160000000000000000000000000000FFFF0A00000200000000')]);
    assert.deepEqual(json(mapped.destination), { ip: '10.0.0.2', port: 22 });
    assert.equal(mapped.network?.family, 'inet6');
    // a plain IPv6 address gets RFC 5952 text
    const v6 = n.normalize([sc(3, 42), parse('type=SOCKADDR msg=audit(10.000:3): saddr=0A0001BB0000000020010DB800000000000000000000000100000000')]);
    assert.deepEqual(json(v6.destination), { ip: '2001:db8::1', port: 443 });
  });
});
