// Real snoopy (Debian's libsnoopy.so via LD_PRELOAD) writes the log the snoopy input tails.
// Debian's snoopy 2.5.1 ignores $SNOOPY_INI (it always reads /etc/snoopy.ini), so each run gets a
// private mount namespace in which the test's ini is bind-mounted over /etc/snoopy.ini: the host's
// file is never touched and nobody else sees the test config. Never /etc/ld.so.preload.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSnoopyInput } from '../src/inputs/snoopy/input.js';
import { silentLogger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import type { AuditflowError } from '../src/errors.js';
import type { Input } from '../src/pipeline/types.js';
import type { Tailer } from '../src/inputs/tail/tail.js';
import { waitFor } from './support/wait.js';
import { SNOOPY_LIB, underSnoopy } from './support/snoopy.js';
import { collectInto } from './support/collect.js';

function snoopyUsable(): string | undefined {
  if (!existsSync(SNOOPY_LIB)) return `${SNOOPY_LIB} missing (apt-get install snoopy)`;
  if (!existsSync('/etc/snoopy.ini')) return '/etc/snoopy.ini missing (needed as a bind-mount target)';
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind /dev/null /etc/snoopy.ini'], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot make a private mount namespace (needs root): ${r.stderr.trim()}`;
  return undefined;
}

/** Runs `script` under sh with snoopy preloaded and `ini` as its configuration. */
function runUnderSnoopy(ini: string, script: string, cwd: string): void {
  const [cmd, ...args] = underSnoopy(ini, script);
  execFileSync(cmd, args, { cwd, timeout: 20000 });
}

describe('snoopy input with real snoopy', function () {
  this.timeout(60000);
  let dir: string;
  before(function () {
    const why = snoopyUsable();
    if (why) {
      if (process.env.CI === 'true') throw new Error(`real snoopy test cannot run in CI: ${why}`);
      console.log(`      skipped: ${why}`);
      this.skip();
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-snoopy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Tails `log` with the snoopy input while `act` runs; returns the records once the whole log is delivered. */
  async function tail(log: string, n: number, act: () => void) {
    const records: NormalizedRecord[] = [];
    const errors: AuditflowError[] = [];
    const input = createSnoopyInput(
      { type: 'snoopy', path: log, poll_interval_ms: 20 },
      { stateDir: join(dir, 'state'), hostName: 'h', log: silentLogger },
    ) as Input & { tailer(): Tailer | undefined };
    await input.start(collectInto(records, errors));
    try {
      act();
      // act() has returned, so the log is complete: done once every byte of it is acknowledged
      await waitFor(
        `${n} records and the log delivered to its end`,
        () => records.length >= n && input.tailer()?.openFiles()[0]?.committed === statSync(log).size,
        10_000,
        () => ({ records: records.length, size: statSync(log).size, files: input.tailer()?.openFiles() }),
      );
    } finally {
      await input.stop();
    }
    return { records, errors };
  }

  it('default 2.5 format: odd cwd, "]: " in argv, newline in argv, bytes that are not UTF-8, another user, a cut-off command line', async () => {
    const log = join(dir, 'snoopy.log');
    const ini = join(dir, 'snoopy.ini');
    writeFileSync(ini, `[snoopy]\noutput = file:${log}\n`);
    // the exec done as nobody is logged by a process running as nobody: it must be able to append
    chmodSync(dir, 0o755);
    writeFileSync(log, '', { mode: 0o666 });
    chmodSync(log, 0o666);
    const odd = join(dir, 'we]: ird');
    mkdirSync(odd);
    const script = [
      `cd '${odd}' && /bin/echo 'a]: b' >/dev/null`,
      `cd '${dir}'`,
      `/bin/printf '%s' 'multi\nline' >/dev/null`,
      `/bin/true "$(printf '\\377\\376')"`,
      // setpriv's own exec goes through execvp (not interposed); the sh it starts logs as nobody
      `setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '/bin/true nobody-ran'`,
      `/bin/true ${'L'.repeat(3000)}`,
    ].join('\n');
    const { records, errors } = await tail(log, 6, () => runUnderSnoopy(ini, script, dir));
    assert.deepEqual(errors, []);
    assert.deepEqual(
      records.map((r) => r.process!.command_line),
      [
        '/bin/echo a]: b',
        '/bin/printf %s multi\nline',
        '/bin/true \\xff\\xfe',
        'setpriv --reuid=65534 --regid=65534 --clear-groups sh -c /bin/true nobody-ran',
        '/bin/true nobody-ran',
        '/bin/true ' + 'L'.repeat(2047 - 10),
      ],
    );
    assert.equal(records[0].process!.working_directory, odd);
    assert.equal(records[1].process!.working_directory, dir);
    assert.deepEqual(records[0].user, { id: '0', name: 'root', effective: { id: '0', name: 'root' } });
    assert.deepEqual(records[4].user, { id: '65534', name: 'nobody', effective: { id: '65534', name: 'nobody' } });
    assert.equal(records[5].snoopy!.cmdline_truncated, 'true');
    assert.equal(records[4].process!.tty, undefined, 'tty:(none)');
    for (const r of records) {
      assert.equal(r.event.module, 'snoopy');
      assert.equal(r.event.action, 'executed');
      assert.equal(r.snoopy!.login, '(unknown)', 'no login uid in this session');
    }
  });

  it('a custom message_format (2.4-style with filename, pid and ppid)', async () => {
    const log = join(dir, 'custom.log');
    const ini = join(dir, 'snoopy.ini');
    writeFileSync(
      ini,
      `[snoopy]\noutput = file:${log}\nmessage_format = "[pid:%{pid} ppid:%{ppid} uid:%{uid} username:%{username} sid:%{sid} tty:%{tty} cwd:%{cwd} filename:%{filename}]: %{cmdline}"\n`,
    );
    const { records } = await tail(log, 2, () => runUnderSnoopy(ini, '/bin/echo hello world >/dev/null; /usr/bin/env true', dir));
    assert.deepEqual(
      records.map((r) => [r.process!.command_line, r.process!.executable, r.process!.name, r.process!.working_directory]),
      [
        ['/bin/echo hello world', '/bin/echo', 'echo', dir],
        ['/usr/bin/env true', '/usr/bin/env', 'env', dir],
      ],
    );
    assert.deepEqual(records[0].user, { id: '0', name: 'root' });
    assert.equal(typeof records[0].process!.pid, 'number');
    assert.equal(typeof records[0].process!.parent?.pid, 'number');
  });
});
