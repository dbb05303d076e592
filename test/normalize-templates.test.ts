// Record templates (NormalizerOptions.templates): an event's shape (record types, node, bodies)
// keeps whether redaction changed such a record and its JSON around the time and serial.
// They must change nothing: the same bytes, the same redactions and counts as without them.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditStream } from '../src/audit/stream.js';
import { recordCopier } from '../src/audit/normalize/record-copier.js';
import { RedactFilter } from '../src/filters/redact/filter.js';
import { JsonLinesEncoder } from '../src/outputs/json-lines.js';
import { kTemplate, type NormalizedRecord } from '../src/record.js';
import { createContext, defaultEnrichConfig } from '../src/context/index.js';
import { runCli, tempDir } from './support/io.js';

const auditSample = fileURLToPath(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url));
const hex = (s: string) => Buffer.from(s).toString('hex').toUpperCase();

// single-record events that carry secrets (sudo's command, a password typed as the user name,
// a TTY record's keystrokes), and a clean one, beside the real capture
const crafted = [
  `type=USER_CMD msg=audit(1795395190.001:200001): pid=1 uid=0 auid=1000 ses=5 msg='cwd="/root" cmd=${hex('mysql -u root -pSecret123 db')} exe="/usr/bin/sudo" terminal=pts/0 res=success'`,
  `type=USER_AUTH msg=audit(1795395190.002:200002): pid=2 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct="password=hunter2" exe="/usr/sbin/sshd" hostname=10.0.0.9 addr=10.0.0.9 terminal=ssh res=failed'`,
  `type=TTY msg=audit(1795395190.003:200003): tty pid=3 uid=0 auid=1000 ses=5 major=136 minor=0 comm="bash" data=${hex('export TOKEN=ghp_FAKEtoken1234567890\r')}`,
  `type=USER_ACCT msg=audit(1795395190.004:200004): pid=4 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:accounting grantors=pam_unix acct="alice" exe="/usr/sbin/sshd" hostname=10.0.0.9 addr=10.0.0.9 terminal=ssh res=success'`,
];

/** The lines `copies` times over, serials and times moved on per copy, so every event is new. */
function replicated(lines: string[], copies: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < copies; k++) {
    for (const l of lines) {
      out.push(l.replace(/audit\((\d+)\.(\d+):(\d+)\)/, (_, sec, ms, serial) => `audit(${Number(sec) + k * 100}.${ms}:${Number(serial) + k * 300_000})`));
    }
  }
  return out;
}

function run(lines: string[], templates: boolean) {
  const records: NormalizedRecord[] = [];
  const stream = new AuditStream({ templates, onRecord: (r) => records.push(r), onError: () => assert.fail('no bad line here') });
  lines.forEach((l, i) => stream.line(l, `test:${i + 1}`));
  stream.flush();
  const filter = new RedactFilter();
  for (const r of records) filter.apply(r);
  const encoder = new JsonLinesEncoder();
  const bytes = encoder.encode(records);
  return { records, bytes, stats: filter.stats() };
}

describe('normalize record templates', () => {
  // enough copies for a repeated shape's records to be copied rather than built (COPY_AFTER);
  // the capture's 1,232 lines outrun the parser's body cache, so its lone shapes seldom come
  // back while cached: the crafted records follow again back to back (times and serials after
  // the rest), as a server's repeated messages do
  const lines = [
    ...replicated([...readFileSync(auditSample, 'utf8').split('\n').filter(Boolean), ...crafted], 20),
    ...replicated(crafted, 20).map((l) =>
      l.replace(/audit\((\d+)\.(\d+):(\d+)\)/, (_, sec, ms, serial) => `audit(${Number(sec) + 5000}.${ms}:${Number(serial) + 7_000_000})`),
    ),
  ];

  it('give the same bytes, redactions and redaction counts as records without them', () => {
    const plain = run(lines, false);
    const fast = run(lines, true);
    assert.deepEqual(fast.bytes, plain.bytes);
    const { slow: _a, ...fastStats } = fast.stats;
    const { slow: _b, ...plainStats } = plain.stats;
    assert.deepEqual(fastStats, plainStats);
    // and they were used: lone records from the third of their shape on carry a learned template
    const learned = fast.records.filter((r) => r[kTemplate]?.tail !== undefined).length;
    assert.ok(learned >= 20, `${learned} records with a learned template`);
    assert.equal(plain.records.filter((r) => r[kTemplate] !== undefined).length, 0);
  });

  it('redact every record of a secret-bearing shape, not only the first, and leave the template off them', () => {
    const { records, bytes } = run(replicated(crafted, 4), true);
    const text = bytes.toString();
    for (const secret of ['Secret123', 'hunter2', 'ghp_FAKEtoken1234567890']) assert.ok(!text.includes(secret), `${secret} leaked`);
    const cmds = records.filter((r) => r.audit?.record_types?.[0] === 'USER_CMD');
    assert.equal(cmds.length, 4);
    for (const r of cmds) {
      assert.ok(r.redacted !== undefined && r.redacted.length > 0);
      assert.equal(r[kTemplate], undefined);
    }
    const clean = records.filter((r) => r.audit?.record_types?.[0] === 'USER_ACCT');
    assert.equal(clean.length, 4);
    assert.ok(clean.every((r) => r[kTemplate]?.cleanFor !== undefined && r.redacted === undefined));
  });

  it('let a shape found clean by one redact filter be screened again by another with its own rules', () => {
    const acct = replicated([crafted[3]], 3);
    const first = run(acct, true);
    assert.ok(!first.bytes.toString().includes('****'));
    // the same shapes (the parser's body cache is shared), another filter: its rule must apply
    const records: NormalizedRecord[] = [];
    const stream = new AuditStream({ templates: true, onRecord: (r) => records.push(r), onError: () => assert.fail('no bad line here') });
    for (const l of acct) stream.line(l, 'test');
    stream.flush();
    const own = new RedactFilter({ rules: [{ pattern: '\\balice\\b', name: 'alice' }] });
    for (const r of records) own.apply(r);
    const text = new JsonLinesEncoder().encode(records).toString();
    assert.ok(!text.includes('alice'), text);
    assert.equal(own.stats().modified, 3);
  });

  it('through the context stage: each record gets the context its process has then, in the same bytes as without templates', () => {
    // pid 300 opens /etc/hosts again and again (the same bodies every time); between runs of those
    // its parent, pid 200, execs another program: records of one shape with three different parents
    const at = (n: number) => `msg=audit(1795395200.${String(n).padStart(3, '0')}:${500000 + n}):`;
    const sc = (n: number, nr: number, pid: number, ppid: number, comm: string, items: number) =>
      `type=SYSCALL ${at(n)} arch=c000003e syscall=${nr} success=yes exit=${nr === 59 ? 0 : 3} a0=ffffff9c a1=5581e8a0 a2=0 a3=0 items=${items} ppid=${ppid} pid=${pid} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=5 comm="${comm}" exe="/usr/bin/${comm}" key=(null)`;
    const exec = (n: number, pid: number, ppid: number, comm: string) => [
      sc(n, 59, pid, ppid, comm, 1),
      `type=EXECVE ${at(n)} argc=2 a0="${comm}" a1="--serve"`,
      `type=CWD ${at(n)} cwd="/srv"`,
      `type=PATH ${at(n)} item=0 name="/usr/bin/${comm}" inode=${pid} dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0`,
      `type=PROCTITLE ${at(n)} proctitle=${hex(`${comm}\0--serve`)}`,
      `type=EOE ${at(n)}`,
    ];
    const open = (n: number) => [
      sc(n, 257, 300, 200, 'worker', 1),
      `type=CWD ${at(n)} cwd="/srv"`,
      `type=PATH ${at(n)} item=0 name="/etc/hosts" inode=77 dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0`,
      `type=PROCTITLE ${at(n)} proctitle=${hex('worker')}`,
      `type=EOE ${at(n)}`,
    ];
    // under a login (pid 100, the session's entry leader), so that the parent's exec changes the
    // parent's fields alone
    const lines = [...exec(1, 100, 1, 'login'), ...exec(2, 200, 100, 'server'), ...exec(3, 300, 200, 'worker')];
    let n = 4;
    for (let k = 0; k < 20; k++) lines.push(...open(n++));
    lines.push(...exec(n++, 200, 100, 'reloaded'));
    for (let k = 0; k < 20; k++) lines.push(...open(n++));
    lines.push(...exec(n++, 200, 100, 'again'));
    for (let k = 0; k < 20; k++) lines.push(...open(n++));
    const through = (templates: boolean) => {
      const records: NormalizedRecord[] = [];
      const stream = new AuditStream({ templates, onRecord: (r) => records.push(r), onError: () => assert.fail('no bad line here') });
      lines.forEach((l, i) => stream.line(l, `test:${i + 1}`));
      stream.flush();
      const context = createContext(defaultEnrichConfig(), { live: false });
      const filter = new RedactFilter();
      for (const r of records) {
        context.apply(r);
        filter.apply(r);
      }
      return { records, bytes: new JsonLinesEncoder().encode(records) };
    };
    const plain = through(false);
    const fast = through(true);
    assert.equal(fast.bytes.toString(), plain.bytes.toString());
    const opens = plain.bytes
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.audit.syscall === 'openat');
    assert.equal(opens.length, 60);
    const parents = opens.map((r) => r.process.parent.executable);
    assert.deepEqual([...new Set(parents)], ['/usr/bin/server', '/usr/bin/reloaded', '/usr/bin/again']);
    assert.deepEqual(
      [0, 19, 20, 39, 40, 59].map((i) => parents[i]),
      ['/usr/bin/server', '/usr/bin/server', '/usr/bin/reloaded', '/usr/bin/reloaded', '/usr/bin/again', '/usr/bin/again'],
    );
    const learned = fast.records.filter((r) => r[kTemplate]?.tail !== undefined).length;
    assert.ok(learned >= 45, `${learned} records written from a learned template`);
  });

  it('copy a record all through, with its own time and serial, keys in the same order', () => {
    const rec = {
      '@timestamp': '2016-12-07T02:16:25.414Z',
      event: { module: 'auditd', kind: 'event', action: 'x', sequence: 6, category: ['iam'] },
      audit: { data: { '10': 'ten', b: 'bee', '2': 'two', socket: { port: 22 } } },
      message: 'm "quoted" \u2028',
      skipped: undefined,
    };
    const copy = recordCopier(rec)!;
    const a = copy('2020-01-01T00:00:00.000Z', 4294967295) as typeof rec;
    const b = copy('2021-01-01T00:00:00.000Z', 0) as typeof rec;
    assert.equal(JSON.stringify(a), JSON.stringify({ ...rec, '@timestamp': '2020-01-01T00:00:00.000Z', event: { ...rec.event, sequence: 4294967295 } }));
    assert.equal(b.event.sequence, 0);
    assert.notEqual(a.audit, b.audit);
    assert.notEqual(a.audit.data.socket, rec.audit.data.socket);
    assert.notEqual(a.event.category, b.event.category);
    assert.equal(recordCopier({ ...rec, when: new Date(0) }), undefined);
    assert.equal(recordCopier(JSON.parse('{"audit":{"data":{"__proto__":"x"}}}')), undefined);
  });

  it('normalize prints what the template-free path gives, also with host fields configured', async () => {
    const dir = tempDir('af-templates-');
    const file = join(dir, 'audit.log');
    writeFileSync(file, lines.join('\n') + '\n');
    const { code, stdout, stderr } = await runCli(['normalize', '--threads', '0', file]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, run(lines, false).bytes.toString());
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ host: { fields: { env: 'test' } } }));
    const decorated = await runCli(['normalize', '--threads', '0', '--config', config, file]);
    assert.equal(decorated.code, 0, decorated.stderr);
    const recs = decorated.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(recs.length, run(lines, false).records.length);
    assert.ok(recs.every((r) => r.labels?.env === 'test' && r.host?.name !== undefined));
  });
});
