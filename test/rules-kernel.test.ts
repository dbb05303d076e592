import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { AuditClient } from '../src/netlink/client.js';
import { listKernelRules, loadRulesIntoKernel, rulesCommand } from '../src/commands/rules.js';
import { requireKernel, auditctlList, auditctlStatus } from './fixtures/netlink/kernel-guard.js';
import { prepareKernel, restoreKernel, type SavedAudit } from './fixtures/netlink/audit-state.js';

const examples = '/usr/share/doc/auditd/examples/rules';
const quiet = { stdout: () => {}, stderr: () => {} };

/**
 * Kernel settings are stripped from the example files before both loads: -e 2 would lock the
 * audit configuration until reboot, --loginuid-immutable locks loginuids until reboot, and
 * --backlog_wait_time 60000 / -b / -f / -r would override the test-safety settings. What is
 * compared is the rules the kernel ends up holding, with auditing disabled (enabled 0).
 */
function rulesOnly(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(-e|-b|-f|-r|--backlog_wait_time|--loginuid-immutable|--reset)/.test(l))
    .join('\n');
}

describe('rules against the kernel: same `auditctl -l` as auditctl -R (auditing disabled)', function () {
  this.timeout(120000);
  let saved: SavedAudit | undefined;
  let tmp: string;

  before(function () {
    requireKernel(this);
    saved = prepareKernel();
    assert.equal(auditctlStatus().enabled, 0, 'comparisons run with auditing disabled');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'af-rules-'));
  });

  after(function () {
    if (saved) restoreKernel(saved);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const files = existsSync(examples)
    ? readdirSync(examples)
        .filter((f) => f.endsWith('.rules'))
        .sort()
    : [];
  if (files.length === 0) {
    it('Debian example rules', function () {
      if (process.env.CI === 'true') throw new Error(`${examples} missing: install auditd`);
      this.skip();
    });
  }

  for (const name of files) {
    it(name, () => {
      const file = path.join(tmp, name);
      writeFileSync(file, rulesOnly(readFileSync(path.join(examples, name), 'utf8')));
      const ref = spawnSync('auditctl', ['-R', file], { encoding: 'utf8' });
      const want = auditctlList();
      spawnSync('auditctl', ['-D']);
      assert.equal(auditctlList(), 'No rules\n');

      const client = new AuditClient();
      try {
        const res = loadRulesIntoKernel(client, [file], {}, quiet);
        assert.equal(auditctlList(), want, 'auditctl -l after auditflow rules load');
        assert.equal(listKernelRules(client), want, 'auditflow rules list');
        assert.equal(res.ok ? 0 : 1, ref.status === 0 ? 0 : 1, `same success as auditctl -R (auditctl said: ${ref.stderr.trim()})`);
      } finally {
        for (const b of client.listRules()) client.deleteRule(b);
        client.close();
      }
      assert.equal(auditctlList(), 'No rules\n');
    });
  }

  it('delete-all removes every rule and prints "No rules" like auditctl -D; -k deletes only matching keys', async () => {
    const file = path.join(tmp, 'two.rules');
    writeFileSync(file, '-a always,exit -F arch=b64 -S execve -F auid=60001 -k keep-me\n-w /etc/hostname -p wa -k drop-me\n');
    assert.equal(await rulesCommand(['load', file], quiet), 0);
    let out = '';
    assert.equal(
      await rulesCommand(['delete-all', '-k', 'drop'], {
        stdout: (s) => {
          out += s;
        },
        stderr: () => {},
      }),
      0,
    );
    assert.equal(out, 'No rules\n');
    assert.equal(auditctlList(), '-a always,exit -F arch=b64 -S execve -F auid=60001 -F key=keep-me\n');
    out = '';
    assert.equal(
      await rulesCommand(['delete-all'], {
        stdout: (s) => {
          out += s;
        },
        stderr: () => {},
      }),
      0,
    );
    assert.equal(out, 'No rules\n');
    assert.equal(auditctlList(), 'No rules\n');
  });

  it('stops at the first bad line naming file:line, and -c goes on but still fails', async () => {
    const file = path.join(tmp, 'bad.rules');
    writeFileSync(
      file,
      '-a always,exit -F arch=b64 -S execve -F auid=60001 -k one\n-a always,exit -S nosuchcall\n-a always,exit -F arch=b64 -S open -F auid=60001 -k two\n',
    );
    let err = '';
    assert.equal(
      await rulesCommand(['load', file], {
        stdout: () => {},
        stderr: (s) => {
          err += s;
        },
      }),
      1,
    );
    assert.match(err, new RegExp(`${file}:2: Syscall name unknown: nosuchcall`));
    assert.equal(auditctlList(), '-a always,exit -F arch=b64 -S execve -F auid=60001 -F key=one\n');
    await rulesCommand(['delete-all'], quiet);
    assert.equal(await rulesCommand(['load', '-c', file], quiet), 1);
    assert.equal(auditctlList().split('\n').length - 1, 2, 'both good lines loaded');
    await rulesCommand(['delete-all'], quiet);
    // a rule the kernel already has: EEXIST, reported like auditctl does
    const dup = path.join(tmp, 'dup.rules');
    writeFileSync(dup, '-a always,exit -F arch=b64 -S execve -F auid=60001\n-a always,exit -F arch=b64 -S execve -F auid=60001\n');
    err = '';
    assert.equal(
      await rulesCommand(['load', dup], {
        stdout: () => {},
        stderr: (s) => {
          err += s;
        },
      }),
      1,
    );
    assert.match(err, /dup\.rules:2: Error sending add rule data request \(Rule exists\)/);
    await rulesCommand(['delete-all'], quiet);
  });

  it('refuses -e 2 without --force-immutable and leaves enabled untouched', async () => {
    let err = '';
    assert.equal(
      await rulesCommand(['apply', '-e', '2'], {
        stdout: () => {},
        stderr: (s) => {
          err += s;
        },
      }),
      1,
    );
    assert.match(err, /-e 2 makes the audit configuration immutable/);
    assert.equal(auditctlStatus().enabled, 0);
  });

  it('applies kernel settings like auditctl (-b, --backlog_wait_time, -r, -f)', async () => {
    const before = auditctlStatus();
    try {
      assert.equal(await rulesCommand(['apply', '-b', '9000'], quiet), 0);
      assert.equal(await rulesCommand(['apply', '-r', '77'], quiet), 0);
      assert.equal(await rulesCommand(['apply', '-f', '0'], quiet), 0);
      const s = auditctlStatus();
      assert.deepEqual([s.backlog_limit, s.rate_limit, s.failure, s.backlog_wait_time], [9000, 77, 0, 0]);
    } finally {
      spawnSync('auditctl', ['-b', String(Math.max(before.backlog_limit, 8192))]);
      spawnSync('auditctl', ['-r', String(before.rate_limit)]);
      spawnSync('auditctl', ['-f', String(before.failure)]);
    }
  });
});
