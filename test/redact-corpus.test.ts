// Every secret shape of test/fixtures/redact/corpus.jsonl, from all three sources, through the
// default filter chain: an exec event in auditd's exact format (the command as its own argv and as
// `sh -c LINE`, arguments hex-encoded where the kernel does it, PROCTITLE cut at 128 bytes), a
// snoopy line (argv joined by spaces, as snoopy writes it) and a bash history line. The secret
// must be in no field and no raw form (JSON, message, event.original, the audit records the
// auditlog output and the spool write, their hex); the readable parts must still be there.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { AuditStream } from '../src/audit/stream.js';
import { decode, type AuditRecord } from '../src/audit/record.js';
import { createSnoopyParser } from '../src/inputs/snoopy/parse.js';
import { createBashHistoryParser } from '../src/inputs/bash/parse.js';
import { buildFilterChain } from '../src/filters/index.js';
import { kRaw, type NormalizedRecord } from '../src/record.js';
import { silentLogger } from '../src/log.js';
import { shellArgs, shellWords, WordKind } from '../src/shell-words.js';
import type { AuditflowError } from '../src/errors.js';
import { auditExecLines, bashLines, corpus, hex, snoopyLines, type Shape } from './fixtures/redact/sources.js';

const ctx = { stateDir: '/tmp', hostName: 'test', log: silentLogger };
const chain = buildFilterChain([], ctx);
const filter = (r: NormalizedRecord): NormalizedRecord => {
  let x: NormalizedRecord | null = r;
  for (const f of chain) x = x && f.apply(x);
  assert.ok(x);
  return x;
};

let serial = 1000;
function auditExec(argv: string[]): NormalizedRecord {
  const lines = auditExecLines(argv, ++serial);
  const out: NormalizedRecord[] = [];
  const s = new AuditStream({ onRecord: (r) => out.push(r), onError: (w, m) => assert.fail(`${w}: ${m}`), includeOriginal: true });
  for (const l of lines) s.line(l, 'corpus');
  s.flush();
  assert.equal(out.length, 1);
  return filter(out[0]);
}

function snoopy(cmd: string): NormalizedRecord {
  const p = createSnoopyParser({ keepOriginal: true, isDirectory: () => true });
  const out = snoopyLines(cmd).flatMap((l) => p.line(l, 'corpus'));
  out.push(...p.end());
  assert.equal(out.length, 1);
  return filter(out[0]);
}

function bash(line: string): NormalizedRecord {
  const p = createBashHistoryParser({ file: '/root/.bash_history', keepOriginal: true, user: { id: '0', name: 'root' } });
  const out = bashLines(line).flatMap((l) => p.line(l, 'corpus'));
  out.push(...p.end());
  assert.equal(out.length, 1);
  return filter(out[0]);
}

/** Everything an output could write: the JSON, the raw records or line, their decoded values. */
function everything(rec: NormalizedRecord): string {
  const raw = rec[kRaw];
  const decoded = (r: AuditRecord): string =>
    Object.values(r.fields)
      .map((v) => decode(v) ?? '')
      .join(' ')
      .replace(/\0/g, ' ');
  const rawText = raw === undefined ? '' : typeof raw === 'string' ? raw : raw.map((r) => `${r.body}\n${JSON.stringify(r.fields)}\n${decoded(r)}`).join('\n');
  return JSON.stringify(rec) + '\n' + rawText;
}

function assertClean(rec: NormalizedRecord, shape: Shape, form: string): void {
  const all = everything(rec);
  for (const s of shape.secrets) {
    assert.ok(!all.includes(s), `${form}: secret ${JSON.stringify(s)} left in ${all}`);
    assert.ok(!all.includes(hex(s)), `${form}: secret ${JSON.stringify(s)} left hex-encoded`);
    // a secret cut by the kernel's 128-byte proctitle or split across words leaves no 6-byte piece
    if (s.length >= 8) assert.ok(!all.includes(s.slice(0, 6) + s.slice(6, 8)), `${form}: part of ${s} left`);
  }
}

function assertReadable(rec: NormalizedRecord, shape: Shape, form: string, argvForm: boolean): void {
  const cl = rec.process!.command_line!;
  for (const k of shape.keep) {
    const inArgs = argvForm ? rec.process!.args!.join(' ').includes(k) : false;
    assert.ok(cl.includes(k) || inArgs, `${form}: ${JSON.stringify(k)} no longer readable in ${JSON.stringify(cl)}`);
  }
  assert.ok(rec.message!.length > 0);
}

/** a line that is one simple command with no expansion: it can be an exec's argv as it stands */
function simpleArgv(line: string): string[] | undefined {
  const words = shellWords(line);
  if (words.some((w) => w.kind !== WordKind.Word || w.subs !== undefined || w.value.includes('$'))) return undefined;
  const argv = words.map((w) => w.value);
  // NAME=value before a command goes to its environment, not its argv: `env` puts it in argv
  return /^[A-Za-z_]\w*=/.test(argv[0]) ? ['env', ...argv] : argv;
}

describe('redaction corpus: every shape, every source, every field', () => {
  it(`has at least 100 secret shapes (${corpus.filter((c) => c.secrets.length > 0).length})`, () => {
    assert.ok(corpus.filter((c) => c.secrets.length > 0).length >= 100);
  });

  for (const shape of corpus) {
    const label = shape.line.split('\n')[0];
    it(label, () => {
      const argv = simpleArgv(shape.line);
      if (argv !== undefined) {
        const a = auditExec(argv);
        assertClean(a, shape, 'auditd argv');
        assert.equal(a.process!.args![0], argv[0]);
        if (shape.secrets.length > 0) assert.ok(a.redacted?.includes('process.args'), 'auditd argv: redacted[] names process.args');
        if (!shape.secret_has_space) {
          const s = snoopy(argv.join(' '));
          assertClean(s, shape, 'snoopy argv');
          assert.equal(s.process!.name, argv[0].slice(argv[0].lastIndexOf('/') + 1));
        }
      }
      const shc = auditExec(['sh', '-c', shape.line]);
      assertClean(shc, shape, 'auditd sh -c');
      assertReadable(shc, shape, 'auditd sh -c', true);
      const s = snoopy(`sh -c ${shape.line}`);
      assertClean(s, shape, 'snoopy sh -c');
      assertReadable(s, shape, 'snoopy sh -c', false);
      const b = bash(shape.line);
      assertClean(b, shape, 'bash');
      assertReadable(b, shape, 'bash', false);
      if (shape.secrets.length === 0) assert.equal(b.redacted, undefined, 'a clean command is left alone');
    });
  }
});

describe('redaction around the command', () => {
  it('keeps the cwd of an htpasswd -b summary and hides the password', () => {
    const a = auditExec(['htpasswd', '-b', '/etc/nginx/htpasswd', 'alice', 'HtSecret1']);
    assert.equal(a.message, '4242 as 0 executed /usr/bin/htpasswd -b /etc/nginx/htpasswd alice **** (cwd /root)');
    assert.equal(a.process!.command_line, 'htpasswd -b /etc/nginx/htpasswd alice ****');
    assert.equal(a.process!.title, 'htpasswd -b /etc/nginx/htpasswd alice ****');
    const s = snoopy('htpasswd -b /etc/nginx/htpasswd alice HtSecret1');
    assert.equal(s.message, 'alice as root executed htpasswd -b /etc/nginx/htpasswd alice **** (cwd /root)');
  });

  it('hides a whole multi-word value in the title and summary, made from the exact argv', () => {
    const a = auditExec(['sshpass', '-p', 'a b c', 'ssh', 'root@h']);
    assert.deepEqual(a.process!.args, ['sshpass', '-p', '****', 'ssh', 'root@h']);
    assert.equal(a.process!.title, 'sshpass -p **** ssh root@h');
    assert.equal(a.message, '4242 as 0 executed /usr/bin/sshpass -p **** ssh root@h (cwd /root)');
  });

  it('splits snoopy and bash lines into argv like the shell, quotes kept in the line', () => {
    const b = bash(`sshpass -p 'a b c' ssh root@h && mysql -vp"x y" db`);
    assert.deepEqual(b.process!.args, ['sshpass', '-p', '****', 'ssh', 'root@h', '&&', 'mysql', '-vp****', 'db']);
    assert.equal(b.process!.command_line, `sshpass -p '****' ssh root@h && mysql -vp"****" db`);
  });
});

describe('raw audit records typed at a terminal or a login prompt', () => {
  const stream = (lines: string[]): NormalizedRecord[] => {
    const out: NormalizedRecord[] = [];
    const s = new AuditStream({ onRecord: (r) => out.push(r), onError: (w, m) => assert.fail(`${w}: ${m}`), includeOriginal: true });
    for (const l of lines) s.line(l, 'tty');
    s.flush();
    return out.map(filter);
  };

  it('redacts TTY and USER_TTY data and a PAM acct in the JSON, the records and event.original', () => {
    const recs = stream([
      `type=TTY msg=audit(1700000001.000:11): tty pid=1 uid=0 auid=0 ses=1 major=136 minor=0 comm="bash" data=${hex('mysql -pTtySecret1 db\r')}`,
      `type=USER_TTY msg=audit(1700000002.000:12): pid=1 uid=0 auid=0 ses=1 msg='data=${hex('export API_TOKEN=UserTty2')}'`,
      `type=USER_ERR msg=audit(1700000000.000:10): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:bad_ident grantors=? acct=${hex('password=Acct3 x')} exe="/usr/sbin/sshd" hostname=1.2.3.4 addr=1.2.3.4 terminal=ssh res=failed'`,
    ]);
    const secrets = ['TtySecret1', 'UserTty2', 'Acct3'];
    for (const r of recs)
      for (const s of secrets) {
        const all = everything(r);
        assert.ok(!all.includes(s) && !all.includes(hex(s)), `${s} left in ${r.audit!.record_types}: ${all}`);
      }
    const tty = recs.find((r) => r.event.sequence === 11)!;
    assert.equal(tty.audit!.data!.data, 'mysql -p**** db\r');
    assert.equal(decode((tty[kRaw] as AuditRecord[])[0].fields.data), 'mysql -p**** db\r');
    assert.ok(tty.redacted!.includes('event.original'));
    const err = recs.find((r) => r.event.sequence === 10)!;
    assert.equal(err.user!.target!.name, 'password=**** x');
  });
});

describe('snoopy parse errors', () => {
  it('name the line without quoting it (the daemon logs them as they are)', () => {
    const errors: AuditflowError[] = [];
    const p = createSnoopyParser({ onError: (e) => errors.push(e) });
    p.line('garbage mysql -pLeakMe1 db', 'snoopy.log:7');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].where, 'snoopy.log:7');
    assert.ok(!errors[0].message.includes('LeakMe1'), errors[0].message);
  });
});

describe('shell words', () => {
  // bash itself splits these lines (eval 'set -- LINE', no $ so nothing expands): our words must match
  const lines = [
    `sshpass -p 'a b c' ssh root@h`,
    `mysql -p"x y"'z' db`,
    String.raw`echo a\ b "c\"d" 'e\f'`,
    `curl -H "X-Api-Key: k1" https://h/`,
    `printf 'bob:pw\\n'`,
    String.raw`a "b\\c" d\\e`,
    `x=$'tab\\there' y`,
    `"" ''`,
    `git commit -m "it's" -q`,
    `a=b c=d e`,
  ];
  it('match bash on quotes and escapes', () => {
    const script = 'for l; do eval "set -- $l"; printf "%s\\0" "$@"; printf "\\1"; done';
    const out = execFileSync('bash', ['-c', script, '_', ...lines]).toString('latin1');
    const want = out
      .split('\x01')
      .slice(0, -1)
      .map((chunk) => chunk.split('\0').slice(0, -1));
    assert.deepEqual(
      lines.map((l) => shellArgs(l)),
      want,
    );
  });

  it('make operators and redirections words of their own and keep $(...) in its word', () => {
    assert.deepEqual(shellArgs('a|b&&c;d 2>&1 >out <<<x $(e f)g'), ['a', '|', 'b', '&&', 'c', ';', 'd', '2>&', '1', '>', 'out', '<<<', 'x', '$(e f)g']);
  });
});
