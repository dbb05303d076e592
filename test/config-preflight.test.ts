// check-config does everything run does short of starting, and run refuses the same configs with
// exit 78 and one line naming the key, never a stack trace or a spin.
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './support/io.js';
import { makePki, needTool } from './support/rsyslog.js';

const dir = tempDir('af-preflight-');
const state = join(dir, 'state');

function config(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, `state_dir: ${state}\n${yaml}`);
  return path;
}

/** Both commands refuse the config with exit 78 and a message matching `expect`, no stack trace. */
async function refusedByBoth(path: string, expect: RegExp): Promise<void> {
  for (const cmd of ['check-config', 'run']) {
    const r = await runCli(cmd === 'run' ? ['run', '--config', path] : [cmd, path]);
    assert.equal(r.code, 78, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, expect, cmd);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${cmd} printed a stack trace`);
  }
}

describe('check-config and run check what the config points at', function () {
  this.timeout(30_000);

  it('refuses a state_dir and output paths under /proc and /sys', async () => {
    const p1 = join(dir, 'proc-state.yaml');
    writeFileSync(p1, 'state_dir: /proc/auditflow\noutputs:\n  - type: stdout\n');
    await refusedByBoth(p1, /state_dir: \/proc\/auditflow is under \/proc/);
    await refusedByBoth(
      config('sys-out.yaml', 'outputs:\n  - type: elasticsearch\n    url: http://127.0.0.1:9\n    dead_letter_path: /sys/kernel/x.jsonl\n'),
      /outputs\[0\]\.dead_letter_path: \/sys\/kernel\/x\.jsonl is under \/sys/,
    );
    await refusedByBoth(
      config('proc-out.yaml', 'outputs:\n  - type: file\n    path: /proc/self/events.jsonl\n  - type: auditlog\n    path: /sys/audit.log\n'),
      /outputs\[0\]\.path: \/proc\/self\/events\.jsonl is under \/proc/,
    );
    await refusedByBoth(
      config('sys-auditlog.yaml', 'outputs:\n  - type: auditlog\n    path: /sys/audit.log\n'),
      /outputs\[0\]\.path: \/sys\/audit\.log is under \/sys/,
    );
  });

  it('refuses a path it cannot write, naming the directory', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    writeFileSync(join(ro, 'file'), '');
    await refusedByBoth(config('notdir.yaml', `pid_file: ${join(ro, 'file', 'af.pid')}\n`), /pid_file: .*\/ro\/file is not a directory/);
  });

  it('refuses an Elasticsearch URL that does not parse or is not http(s)', async () => {
    // the schema's pattern lets `http://[::1` through; the URL parser does not
    await refusedByBoth(config('bad-url.yaml', 'outputs:\n  - type: elasticsearch\n    url: "http://[::1"\n'), /outputs\[0\]\.url: not a URL/);
  });

  it("refuses missing and garbage TLS material, and a key that is not the certificate's", async function () {
    needTool(this, 'openssl', 'the test makes its own CA');
    const pkiDir = join(dir, 'pki');
    mkdirSync(pkiDir);
    const pki = makePki(pkiDir);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    const syslogTls = (tls: string) => `outputs:\n  - type: syslog\n    protocol: tls\n    host: 127.0.0.1\n    port: 6514\n    tls:\n${tls}`;
    await refusedByBoth(
      config('missing-ca.yaml', syslogTls(`      ca_file: ${join(dir, 'nope.pem')}\n`)),
      /outputs\[0\]\.tls\.ca_file: cannot read .*nope\.pem: ENOENT/,
    );
    await refusedByBoth(
      config('garbage-ca.yaml', syslogTls(`      ca_file: ${garbage}\n`)),
      /outputs\[0\]\.tls\.ca_file: .*garbage\.pem: not a usable PEM certificate/,
    );
    await refusedByBoth(
      config('wrong-key.yaml', syslogTls(`      ca_file: ${pki.ca}\n      cert_file: ${pki.clientCert}\n      key_file: ${pki.serverKey}\n`)),
      /outputs\[0\]\.tls\.cert_file: .*client\.pem with .*server\.key: not a usable certificate and key/,
    );

    const good = await runCli([
      'check-config',
      config('good-tls.yaml', syslogTls(`      ca_file: ${pki.ca}\n      cert_file: ${pki.clientCert}\n      key_file: ${pki.clientKey}\n`)),
    ]);
    assert.equal(good.code, 0, good.stderr);
  });
});
