import assert from 'node:assert/strict';
import { buildFilterChain } from '../src/filters/index.js';
import { RedactFilter } from '../src/filters/redact/filter.js';
import { Redactor } from '../src/filters/redact/redactor.js';
import { redactAuditRecords } from '../src/filters/redact/audit-records.js';
import { parseLine, isFailure, decode, type AuditRecord } from '../src/audit/record.js';
import { kRaw, type NormalizedRecord } from '../src/record.js';
import { silentLogger } from '../src/log.js';
import type { Filter } from '../src/pipeline/types.js';
import { auditRecords, bashRecords, snoopyRecords } from './fixtures/filters/records.js';

const ctx = { stateDir: '/tmp', hostName: 'test', log: silentLogger };

function run(filters: Filter[], rec: NormalizedRecord): NormalizedRecord | null {
  let r: NormalizedRecord | null = rec;
  for (const f of filters) if (r) r = f.apply(r);
  return r;
}

/** Everything an output could write: the JSON and the raw records or line behind it. */
function everything(rec: NormalizedRecord): string {
  const raw = rec[kRaw];
  const rawText = raw === undefined ? '' : typeof raw === 'string' ? raw : raw.map((r) => `${r.body}\n${JSON.stringify(r.fields)}\n${decodeAll(r)}`).join('\n');
  return JSON.stringify(rec) + '\n' + rawText;
}

/** Raw records hold secrets hex-encoded too: search the decoded values as well. */
function decodeAll(r: AuditRecord): string {
  return Object.values(r.fields)
    .map((v) => decode(v) ?? '')
    .join(' ')
    .replace(/\0/g, ' ');
}

function assertNoSecret(rec: NormalizedRecord, secrets: string[]): void {
  const all = everything(rec);
  for (const s of secrets) {
    assert.ok(!all.includes(s), `secret ${JSON.stringify(s)} left in ${rec.event.module} record: ${all.slice(0, 400)}`);
    // audit text keeps argv and proctitle hex-encoded: the secret must not survive that way either
    assert.ok(
      !all.includes(Buffer.from(s).toString('hex').toUpperCase()),
      `secret ${JSON.stringify(s)} left hex-encoded in ${rec.event.module} record ${rec.event.sequence}`,
    );
  }
}

// Every secret the sample workloads typed, as it would leak (with enough context to be unique).
const SAMPLE_SECRETS = [
  'Secret123',
  'P@ss;word!',
  'user:pass ',
  'user:pass"',
  'user:pass\u0000',
  'wgetpass',
  'ghp_FAKEtoken1234567890',
  'ghp_FAKE1234567890',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2ln',
  'pgpass',
  'wJalrXUtnFEMI/K7MDENG',
  'b0bpass',
  'abcdef123456',
  'api_key=XYZ',
  'token=abc123',
  'S3cr3t',
  'pass4',
  'pass5',
  'pass6',
  'pass7',
  'PlainTextPassw0rd',
  'hunter2',
  'abcdef0123456789',
];

describe('redaction of the sample logs (default chain)', () => {
  it('leaves no secret in any audit record, its JSON or its raw records, and keeps the other arguments exactly', () => {
    const filters = buildFilterChain([], ctx);
    const recs = auditRecords().map((r) => run(filters, r)!);
    for (const r of recs) assertNoSecret(r, SAMPLE_SECRETS);
    const exec = (serial: number) => recs.find((r) => r.event.sequence === serial)!;
    assert.deepEqual(exec(98763).process!.args, ['mysql', '-uroot', '-p****', '-h', '127.0.0.1', '-P', '3306', '-e', 'select 1']);
    assert.deepEqual(exec(99084).process!.args, ['curl', '-s', '-m', '2', '-u', 'user:****', 'http://127.0.0.1:9/']);
    assert.deepEqual(exec(99375).process!.args, ['wget', '-q', '-T', '2', '-t', '1', '--user=u', '--password=****', 'http://127.0.0.1:9/', '-O', '/dev/null']);
    assert.deepEqual(exec(99429).process!.args, ['git', 'ls-remote', 'https://user:****@127.0.0.1:9/repo.git']);
    assert.deepEqual(exec(152259).process!.args, ['/usr/lib/postgresql/15/bin/psql', 'postgresql://pguser:****@127.0.0.1:9/db', '-c', 'select 1']);
    assert.ok(exec(98763).redacted!.includes('process.args'));
    assert.ok(!JSON.stringify(exec(98763).redacted).includes('Secret'));
  });

  it('rewrites the EXECVE and PROCTITLE records for the auditlog output, encoded as they were', () => {
    const filters = buildFilterChain([], ctx);
    const rec = run(filters, auditRecords().find((r) => r.event.sequence === 98763)!)!;
    const raw = rec[kRaw] as AuditRecord[];
    const execve = raw.find((r) => r.type === 'EXECVE')!;
    assert.equal(execve.fields.a2, '"-p****"');
    assert.equal(execve.fields.a8, '73656C6563742031', 'untouched hex argument kept byte for byte');
    assert.equal(execve.body, 'argc=9 a0="mysql" a1="-uroot" a2="-p****" a3="-h" a4="127.0.0.1" a5="-P" a6="3306" a7="-e" a8=73656C6563742031');
    const title = raw.find((r) => r.type === 'PROCTITLE')!;
    assert.match(title.fields.proctitle, /^[0-9A-F]+$/);
    assert.equal(
      Buffer.from(title.fields.proctitle, 'hex').toString('latin1'),
      ['mysql', '-uroot', '-p****', '-h', '127.0.0.1', '-P', '3306', '-e', 'select 1'].join('\x00'),
    );
    assert.equal(title.body, `proctitle=${title.fields.proctitle}`);
    // what the auditlog output prints must still parse as an audit record
    const reparsed = parseLine(`type=EXECVE msg=audit(1795395185.940:98763): ${execve.body}`);
    assert.ok(!isFailure(reparsed));
    assert.equal(decode(reparsed.fields.a2), '-p****');
  });

  it('keeps every raw audit record readable, its EXECVE arguments equal to the redacted process.args', () => {
    const filters = buildFilterChain([], ctx);
    let checked = 0;
    for (const rec of auditRecords().map((r) => run(filters, r)!)) {
      const raw = rec[kRaw] as AuditRecord[];
      for (const r of raw) {
        const again = parseLine(`type=${r.type} msg=audit(${Math.floor(r.time / 1000)}.${String(r.time % 1000).padStart(3, '0')}:${r.serial}): ${r.body}`);
        assert.ok(!isFailure(again), `${r.type} ${r.serial} no longer parses: ${r.body}`);
        assert.deepEqual(again.fields, r.fields, `${r.type} ${r.serial}: body and fields disagree`);
      }
      const execve = raw.filter((r) => r.type === 'EXECVE');
      if (execve.length === 0 || rec.process?.args === undefined || !rec.redacted?.includes('process.args')) continue;
      const argc = Number(execve[0].fields.argc);
      const argv: string[] = [];
      for (let i = 0; i < argc; i++) {
        const whole = execve.map((r) => r.fields[`a${i}`]).find((v) => v !== undefined);
        argv.push(
          whole !== undefined
            ? decode(whole)!
            : execve
                .flatMap((r) =>
                  Object.keys(r.fields)
                    .filter((k) => k.startsWith(`a${i}[`))
                    .map((k) => decode(r.fields[k])!),
                )
                .join(''),
        );
      }
      assert.deepEqual(argv, rec.process.args, `event ${rec.event.sequence}`);
      checked++;
    }
    assert.ok(checked >= 4, `${checked} redacted exec events checked`);
  });

  it('leaves no secret in the snoopy file and syslog samples', () => {
    const filters = buildFilterChain([], ctx);
    for (const name of ['snoopy-file.sample.log', 'snoopy-authlog.sample.log']) {
      const recs = snoopyRecords(name).map((r) => run(filters, r)!);
      for (const r of recs) assertNoSecret(r, SAMPLE_SECRETS);
      const curl = recs.find((r) => r.process?.command_line?.startsWith('curl -s -m 1 -H'))!;
      assert.equal(curl.process!.command_line, 'curl -s -m 1 -H Authorization: Bearer **** http://bob:****@127.0.0.1:9/x?token=****');
      const mysql = recs.find((r) => r.process?.command_line?.startsWith('mysql --user=admin'))!;
      assert.equal(mysql.process!.command_line, 'mysql --user=admin --password=**** pass --host=127.0.0.1 --port=9 appdb');
      const openssl = recs.find((r) => r.process?.command_line?.startsWith('openssl passwd'))!;
      assert.equal(openssl.process!.command_line, 'openssl passwd -6 -salt saltsalt ****');
      const git = recs.find((r) => r.process?.command_line?.startsWith('git -c'))!;
      assert.equal(git.process!.command_line, 'git -c http.extraHeader=Authorization: token **** ls-remote https://127.0.0.1:9/r.git');
      assert.ok(git.redacted!.includes('event.original'));
    }
  });

  it('leaves no secret in the bash history sample and keeps the quoting around it', () => {
    const filters = buildFilterChain([], ctx);
    const recs = bashRecords().map((r) => run(filters, r)!);
    for (const r of recs) assertNoSecret(r, SAMPLE_SECRETS);
    const lines = recs.map((r) => r.process!.command_line);
    assert.ok(lines.includes('mysql -uroot -p**** -h 127.0.0.1 -e "select 1"'));
    assert.ok(lines.includes('curl -s -u admin:**** http://127.0.0.1:9/'));
    assert.ok(lines.includes('export API_TOKEN=****'));
    assert.ok(lines.includes('ls -la /etc | head -3'), 'clean commands untouched');
  });
});

// Real command lines, argv as the kernel sees them: [argv, secrets, expected argv].
const COMMANDS: [string[], string[], string[]][] = [
  [['mysql', '-h', 'db', '-u', 'app', '-pTopS3cret!', 'shop'], ['TopS3cret!'], ['mysql', '-h', 'db', '-u', 'app', '-p****', 'shop']],
  [['mysqldump', '--password=dump pw', '--all-databases'], ['dump pw'], ['mysqldump', '--password=****', '--all-databases']],
  [['mysql', '--password', 'sepPw1', '-e', 'show tables'], ['sepPw1'], ['mysql', '--password', '****', '-e', 'show tables']],
  [['mysql', '-p', 'appdb'], [], ['mysql', '-p', 'appdb']],
  [
    ['psql', 'host=db.internal port=5432 dbname=app user=app password=Pg-kw-secret'],
    ['Pg-kw-secret'],
    ['psql', 'host=db.internal port=5432 dbname=app user=app password=****'],
  ],
  [['psql', 'postgres://app:Pg-url-secret@db:5432/app?sslmode=require'], ['Pg-url-secret'], ['psql', 'postgres://app:****@db:5432/app?sslmode=require']],
  [['curl', '-fsSL', '--user', 'deploy:CurlPw9', 'https://repo/x'], ['CurlPw9'], ['curl', '-fsSL', '--user', 'deploy:****', 'https://repo/x']],
  [['curl', '-uadmin:AttachedPw', 'https://h/'], ['AttachedPw'], ['curl', '-uadmin:****', 'https://h/']],
  [
    ['curl', '-H', 'X-Api-Key: k-123456789', '-H', 'Accept: application/json', 'https://api/v1?api_key=qk-99&page=2'],
    ['k-123456789', 'qk-99'],
    ['curl', '-H', 'X-Api-Key: ****', '-H', 'Accept: application/json', 'https://api/v1?api_key=****&page=2'],
  ],
  [
    ['curl', '-H', 'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'https://h/'],
    ['YWxhZGRpbjpvcGVuc2VzYW1l'],
    ['curl', '-H', 'Authorization: Basic ****', 'https://h/'],
  ],
  [
    ['wget', '--http-password=WgetHttp1', '--ftp-password', 'WgetFtp2', 'ftp://h/f'],
    ['WgetHttp1', 'WgetFtp2'],
    ['wget', '--http-password=****', '--ftp-password', '****', 'ftp://h/f'],
  ],
  [
    ['git', 'clone', 'https://oauth2:glpat-AbCdEfGhIj1234567890@gitlab.example/g/r.git'],
    ['glpat-AbCdEfGhIj1234567890', 'AbCdEfGhIj1234567890'],
    ['git', 'clone', 'https://oauth2:****@gitlab.example/g/r.git'],
  ],
  [
    ['git', 'push', 'https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r'],
    ['16C7e42F292c6912E7710c838347Ae178B4a'],
    ['git', 'push', 'https://x-access-token:****@github.com/o/r'],
  ],
  [
    ['openssl', 'enc', '-aes-256-cbc', '-pass', 'pass:EncPass1', '-in', 'a', '-out', 'b'],
    ['EncPass1'],
    ['openssl', 'enc', '-aes-256-cbc', '-pass', 'pass:****', '-in', 'a', '-out', 'b'],
  ],
  [
    ['openssl', 'pkcs12', '-export', '-passout', 'pass:P12out', '-passin', 'env:KEYPW'],
    ['P12out'],
    ['openssl', 'pkcs12', '-export', '-passout', 'pass:****', '-passin', 'env:KEYPW'],
  ],
  [['openssl', 'passwd', '-6', '-salt', 'NaCl', 'ShadowPw'], ['ShadowPw'], ['openssl', 'passwd', '-6', '-salt', 'NaCl', '****']],
  [['sshpass', '-p', 'SshPw#1', 'ssh', 'root@10.0.0.2', 'uptime'], ['SshPw#1'], ['sshpass', '-p', '****', 'ssh', 'root@10.0.0.2', 'uptime']],
  [['sshpass', '-pSshPw2', 'scp', 'f', 'h:'], ['SshPw2'], ['sshpass', '-p****', 'scp', 'f', 'h:']],
  [
    ['redis-cli', '-h', '127.0.0.1', '-a', 'RedisPw', '--no-auth-warning', 'ping'],
    ['RedisPw'],
    ['redis-cli', '-h', '127.0.0.1', '-a', '****', '--no-auth-warning', 'ping'],
  ],
  [['redis-cli', '-u', 'redis://default:RedisUrlPw@127.0.0.1:6379/0'], ['RedisUrlPw'], ['redis-cli', '-u', 'redis://default:****@127.0.0.1:6379/0']],
  [
    ['mongo', '-u', 'admin', '-p', 'MongoPw', '--authenticationDatabase', 'admin'],
    ['MongoPw'],
    ['mongo', '-u', 'admin', '-p', '****', '--authenticationDatabase', 'admin'],
  ],
  [['mongosh', 'mongodb+srv://app:MongoSrvPw@cluster0.example.net/db'], ['MongoSrvPw'], ['mongosh', 'mongodb+srv://app:****@cluster0.example.net/db']],
  [
    ['env', 'PGPASSWORD=EnvPg', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE', 'psql'],
    ['EnvPg', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'IOSFODNN7EXAMPLE'],
    ['env', 'PGPASSWORD=****', 'AWS_SECRET_ACCESS_KEY=****', 'AWS_ACCESS_KEY_ID=AKIA****', 'psql'],
  ],
  [['docker', 'login', '-u', 'bot', '-p', 'DockerPw', 'registry.example'], ['DockerPw'], ['docker', 'login', '-u', 'bot', '-p', '****', 'registry.example']],
  [['htpasswd', '-bc', '/etc/nginx/.htpasswd', 'alice', 'HtPw1'], ['HtPw1'], ['htpasswd', '-bc', '/etc/nginx/.htpasswd', 'alice', '****']],
  [
    ['ldapsearch', '-x', '-D', 'cn=admin,dc=ex', '-w', 'LdapPw', '-b', 'dc=ex'],
    ['LdapPw'],
    ['ldapsearch', '-x', '-D', 'cn=admin,dc=ex', '-w', '****', '-b', 'dc=ex'],
  ],
  [['smbclient', '//srv/share', '-U', 'bob%SmbPw'], ['SmbPw'], ['smbclient', '//srv/share', '-U', 'bob%****']],
  [
    ['curl', '-X', 'POST', '--data', 'payload', 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX'],
    ['T000/B000/XXXXXXXXXXXXXXXX'],
    ['curl', '-X', 'POST', '--data', 'payload', 'https://hooks.slack.com/services/****'],
  ],
  [['sh', '-c', 'mysql -uroot -pInnerPw -e "select 1" | tee out'], ['InnerPw'], ['sh', '-c', 'mysql -uroot -p**** -e "select 1" | tee out']],
  [['sudo', 'mysql', '-pSudoPw'], ['SudoPw'], ['sudo', 'mysql', '-p****']],
  [
    ['aws', 'configure', 'set', 'aws_secret_access_key', 'wJalrXUtnFEMIK7MDENGbPxRfiCY', '--profile', 'prod'],
    ['wJalrXUtnFEMIK7MDENGbPxRfiCY'],
    ['aws', 'configure', 'set', 'aws_secret_access_key', '****', '--profile', 'prod'],
  ],
  [['aws', 'configure', 'set', 'region', 'eu-west-1'], [], ['aws', 'configure', 'set', 'region', 'eu-west-1']],
  [['git', '-c', 'user.password=GitCfgPw', 'push'], ['GitCfgPw'], ['git', '-c', 'user.password=****', 'push']],
  [
    ['helm', 'install', 'db', 'bitnami/postgresql', '--set', 'auth.postgresPassword=HelmPw1'],
    ['HelmPw1'],
    ['helm', 'install', 'db', 'bitnami/postgresql', '--set', 'auth.postgresPassword=****'],
  ],
  [['vault', 'login', 'hvs.CAESIJlWh3Jcd4E5nBzVqjBw1xYz2e3'], ['CAESIJlWh3Jcd4E5nBzVqjBw1xYz2e3'], ['vault', 'login', 'hvs.****']],
  [
    ['kubectl', 'create', 'secret', 'generic', 'db', '--from-literal=password=KubePw1'],
    ['KubePw1'],
    ['kubectl', 'create', 'secret', 'generic', 'db', '--from-literal=password=****'],
  ],
  [
    ['docker', 'run', '-e', 'MYSQL_ROOT_PASSWORD=DockEnv1', '--env=REDIS_PASSWORD=DockEnv2', 'mariadb:11'],
    ['DockEnv1', 'DockEnv2'],
    ['docker', 'run', '-e', 'MYSQL_ROOT_PASSWORD=****', '--env=REDIS_PASSWORD=****', 'mariadb:11'],
  ],
  [
    ['curl', '-d', '{"username":"svc","password":"JsonPw1","api_key":"JsonKey2"}', 'https://h/login'],
    ['JsonPw1', 'JsonKey2'],
    ['curl', '-d', '{"username":"svc","password":"****","api_key":"****"}', 'https://h/login'],
  ],
];

// Lines as typed into bash (history), with the shell's quoting: [line, secrets, expected].
const BASH_LINES: [string, string[], string][] = [
  ['export DB_PASSWORD="two words"', ['two words'], 'export DB_PASSWORD="****"'],
  ["export GITHUB_TOKEN='ghp_abcdefghijklmnopqrstuvwxyz0123456789'", ['abcdefghijklmnopqrstuvwxyz0123456789'], "export GITHUB_TOKEN='****'"],
  ['MYSQL_PWD=EnvMy mysql -uroot -e "show databases"; echo ok', ['EnvMy'], 'MYSQL_PWD=**** mysql -uroot -e "show databases"; echo ok'],
  ["mysql -uroot -p'Quoted Pw' app", ['Quoted Pw'], "mysql -uroot -p'****' app"],
  ['curl -H "Authorization: Bearer abc.def.ghi-123" https://api/', ['abc.def.ghi-123'], 'curl -H "Authorization: Bearer ****" https://api/'],
  ['echo $PWD; cd /tmp && ls -p /etc', [], 'echo $PWD; cd /tmp && ls -p /etc'],
  ['mysql -pA1 db && curl -u u:B2 h | sshpass -p C3 ssh h', ['-pA1', 'u:B2', ' C3 '], 'mysql -p**** db && curl -u u:**** h | sshpass -p **** ssh h'],
  [
    'cat <<EOF > k.pem\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\n-----END RSA PRIVATE KEY-----\nEOF',
    ['MIIEowIBAAKCAQEA7x'],
    'cat <<EOF > k.pem\n-----BEGIN RSA PRIVATE KEY-----****-----END RSA PRIVATE KEY-----\nEOF',
  ],
  [
    'SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx ./notify',
    ['123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
    'SLACK=xoxb-**** ./notify',
  ],
];

describe('redaction of real command lines', () => {
  const r = new Redactor();
  for (const [argv, secrets, expected] of COMMANDS) {
    it(`argv: ${argv.join(' ')}`, () => {
      const out = r.args(argv) ?? argv;
      assert.deepEqual(out, expected);
      const joined = r.text(argv.join(' ')) ?? argv.join(' ');
      for (const s of secrets) {
        assert.ok(!out.join('\0').includes(s), `${s} left in argv`);
        assert.ok(!joined.includes(s), `${s} left in the joined command line: ${joined}`);
      }
    });
  }
  for (const [line, secrets, expected] of BASH_LINES) {
    it(`bash: ${line.split('\n')[0]}`, () => {
      const out = r.text(line) ?? line;
      assert.equal(out, expected);
      for (const s of secrets) assert.ok(!out.includes(s), `${s} left`);
    });
  }

  it('leaves clean command lines alone and reports no change', () => {
    for (const line of ['ls -la /etc', 'mkdir -p /tmp/x', 'ssh -p 2222 host uptime', 'grep -r PermitRootLogin /etc/ssh', 'cd $OLDPWD', 'tar -czf a.tgz dir']) {
      assert.equal(r.text(line), undefined, line);
      assert.equal(r.args(line.split(' ')), undefined, line);
    }
  });

  it('applies user rules, replacing the `secret` group, group 1 or the whole match', () => {
    const u = new Redactor({
      rules: [{ pattern: 'employee-(\\d{6})' }, { pattern: 'pin (?<secret>\\d{4})\\b' }, { pattern: 'CASE-[A-Z]{3}', flags: 'i' }],
      builtin: false,
    });
    assert.equal(u.text('lookup employee-123456 with pin 9876 for case-abc'), 'lookup employee-**** with pin **** for ****');
    assert.equal(u.text('mysql -pNotMine'), undefined, 'built-in rules off');
  });

  it('uses the configured marker', () => {
    assert.equal(new Redactor({ marker: '[REDACTED]' }).text('curl -u a:b h'), 'curl -u a:[REDACTED] h');
  });
});

function auditEvent(lines: string[]): AuditRecord[] {
  return lines.map((l) => {
    const r = parseLine(l);
    if (isFailure(r)) throw new Error(`${r.error}: ${l}`);
    return r;
  });
}

describe('redaction of raw audit records', () => {
  const r = new Redactor();

  it('rewrites an argument the kernel split across EXECVE records, secret across the cut', () => {
    // like the kernel: a1_len = hex length, pieces of at most 7500 hex chars spread over records
    const arg = 'A'.repeat(3733) + ' --password=SplitSecret ' + 'B'.repeat(3000);
    const hex = Buffer.from(arg).toString('hex').toUpperCase();
    const p0 = hex.slice(0, 7500);
    const p1 = hex.slice(7500);
    assert.ok(
      !Buffer.from(p0, 'hex').toString().includes('SplitSecret') && !Buffer.from(p1, 'hex').toString().includes('SplitSecret'),
      'the cut runs through the secret',
    );
    const recs = auditEvent([
      `type=EXECVE msg=audit(1795395185.716:95723): argc=2 a0="/bin/echo" a1_len=${hex.length} a1[0]=${p0}`,
      `type=EXECVE msg=audit(1795395185.716:95723):  a1[1]=${p1}`,
      'type=PROCTITLE msg=audit(1795395185.716:95723): proctitle=2F62696E2F6563686F',
    ]);
    assert.equal(redactAuditRecords(recs, r), true);
    const joined = recs[0].fields['a1[0]'] + recs[1].fields['a1[1]'];
    assert.equal(Buffer.from(joined, 'hex').toString(), 'A'.repeat(3733) + ' --password=**** ' + 'B'.repeat(3000));
    assert.equal(recs[0].fields.a1_len, String(joined.length));
    assert.ok(recs[0].fields['a1[0]'].length <= 7500);
    assert.ok(recs[0].body.endsWith(`a1[0]=${recs[0].fields['a1[0]']}`));
    assert.equal(recs[1].body, ` a1[1]=${recs[1].fields['a1[1]']}`);
    assert.equal(recs[2].fields.proctitle, '2F62696E2F6563686F', 'clean proctitle untouched');
  });

  it('keeps bytes that are not UTF-8 exactly, and quoted values quoted', () => {
    const bad = Buffer.from([0xff, 0xfe, 0x41]).toString('hex').toUpperCase();
    const recs = auditEvent([
      `type=EXECVE msg=audit(1.000:7): argc=4 a0="sshpass" a1="-p" a2="Pw1" a3=${bad}`,
      `type=USER_CMD msg=audit(1.000:7): pid=1 uid=0 auid=1000 ses=1 msg='cwd="/root" cmd=6D7973716C202D704D795077 exe="/usr/bin/sudo" terminal=pts/0 res=success'`,
    ]);
    redactAuditRecords(recs, r);
    assert.equal(recs[0].fields.a2, '"****"');
    assert.equal(recs[0].fields.a3, bad);
    assert.equal(recs[0].body, `argc=4 a0="sshpass" a1="-p" a2="****" a3=${bad}`);
    assert.equal(Buffer.from(recs[1].fields.cmd, 'hex').toString(), 'mysql -p****');
    assert.ok(recs[1].body.includes(`cmd=${recs[1].fields.cmd} exe=`));
  });
});

describe('the redact filter in the chain', () => {
  it('is appended by default and can be turned off', () => {
    assert.ok(buildFilterChain([], ctx).some((f) => f instanceof RedactFilter));
    assert.ok(buildFilterChain([{ type: 'throttle' }], ctx).at(-1) instanceof RedactFilter);
    assert.ok(!buildFilterChain([{ type: 'redact', enabled: false }], ctx).some((f) => f instanceof RedactFilter));
    const listed = buildFilterChain([{ type: 'redact', marker: 'XX' }, { type: 'throttle' }], ctx);
    assert.equal(listed.filter((f) => f instanceof RedactFilter).length, 1);
    assert.ok(listed[0] instanceof RedactFilter);
  });

  it('counts what it changed and leaves clean records as they were', () => {
    const f = new RedactFilter();
    const clean: NormalizedRecord = {
      '@timestamp': '2026-01-01T00:00:00.000Z',
      event: { module: 'bash', action: 'executed-command' },
      process: { command_line: 'ls -la' },
      message: 'ls -la',
    };
    const before = JSON.stringify(clean);
    f.apply(clean);
    assert.equal(JSON.stringify(clean), before);
    assert.equal(clean.redacted, undefined);
    const dirty: NormalizedRecord = {
      '@timestamp': '2026-01-01T00:00:00.000Z',
      event: { module: 'snoopy', action: 'executed' },
      process: { args: ['redis-cli', '-a', 'x1y2'] },
      snoopy: { cmdline: 'redis-cli -a x1y2' },
    };
    f.apply(dirty);
    assert.deepEqual(dirty.redacted, ['process.args', 'snoopy.cmdline']);
    assert.deepEqual(f.stats(), { kept: 2, dropped: 0, modified: 1, slow: 0, fields: { 'process.args': 1, 'snoopy.cmdline': 1 } });
    const bad: NormalizedRecord = {
      '@timestamp': '2026-01-01T00:00:00.000Z',
      event: { module: 'auditd', kind: 'pipeline_error', action: 'unreadable' },
      error: { message: 'audit.log:7: not an audit record: "mysql -pLeaked1 db"', input: 'audit.log' },
    };
    f.apply(bad);
    assert.equal(bad.error!.message, 'audit.log:7: not an audit record: "mysql -p**** db"');
    assert.deepEqual(bad.redacted, ['error.message']);
  });
});

describe('redaction robustness', () => {
  it('is idempotent: a second pass over the redacted samples changes nothing', () => {
    const f = new RedactFilter();
    const recs = [...auditRecords(), ...snoopyRecords(), ...bashRecords()];
    for (const r of recs) f.apply(r);
    const first = f.stats().modified;
    assert.ok(first > 30, `${first} records redacted`);
    const before = recs.map((r) => everything(r));
    for (const r of recs) f.apply(r);
    assert.equal(f.stats().modified, first);
    assert.deepEqual(
      recs.map((r) => everything(r)),
      before,
    );
  });

  it('never throws and never changes strings without a trigger, on random bytes', () => {
    const r = new Redactor();
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 80);
      let s = '';
      for (let j = 0; j < len; j++) s += String.fromCharCode(Math.floor(rnd() * 256));
      const out = r.text(s);
      const args = r.args(s.split(/[ \0]/));
      if (!r.suspect(s)) {
        assert.equal(out, undefined, JSON.stringify(s));
        assert.equal(args, undefined, JSON.stringify(s));
      }
    }
  });

  it('handles a megabyte argument and an unterminated private key block', () => {
    const r = new Redactor();
    const big = 'x'.repeat(1 << 20);
    assert.equal(r.text(big), undefined);
    const blob = `--password=${'y'.repeat(1 << 20)} https://u:${'p'.repeat(5000)}@h/ -----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn`;
    const out = r.text(blob)!;
    assert.equal(out, '--password=**** https://u:****@h/ -----BEGIN OPENSSH PRIVATE KEY-----****');
  });
});

describe('user rules with their own flags', () => {
  it("keeps each rule's flags and backreferences when looking for candidates", () => {
    const r = new Redactor({
      builtin: false,
      rules: [
        { pattern: 'BEGIN SECRET.(?<secret>.+?).END', flags: 's' },
        { pattern: '(["\'])code=(?<secret>\\w+)\\1' },
        { pattern: 'ticket-(\\d+)', flags: 'i' },
      ],
    });
    assert.equal(r.text('x BEGIN SECRET\nabc\ndef\nEND y'), 'x BEGIN SECRET\n****\nEND y');
    assert.equal(r.text(`say 'code=s3cr3t' now`), `say 'code=****' now`);
    assert.equal(r.text('TICKET-991'), 'TICKET-****');
    assert.equal(r.text('nothing here'), undefined);
  });
});
