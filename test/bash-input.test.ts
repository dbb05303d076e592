// The bash input tailing history files that real interactive bash sessions write: the user is
// the file's owner, and a `history -w` (bash writes a temp file and renames it over the history)
// plus the histappend at exit do not report any command twice.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createBashInput } from '../src/inputs/bash/input.js';
import { silentLogger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import type { Input } from '../src/pipeline/types.js';
import { sleep, waitFor } from './support/wait.js';

const driver = new URL('./fixtures/bash/drive-bash.py', import.meta.url).pathname;

describe('bash input', function () {
  this.timeout(60000);
  let dir: string;
  let input: Input | undefined;
  let records: NormalizedRecord[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-bashin-'));
    records = [];
  });
  afterEach(async () => {
    await input?.stop();
    input = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(path: string) {
    input = createBashInput(
      { type: 'bash', path, poll_interval_ms: 20, checkpoint_interval_ms: 50 },
      { stateDir: join(dir, 'state'), hostName: 'h', log: silentLogger },
    );
    await input.start({
      push: async (b) => {
        records.push(...b.records);
        b.ack?.();
      },
      error: (e) => {
        throw e;
      },
    });
  }

  it('names the owner, and a rewrite by history -w reports nothing twice', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'alice'), { recursive: true });
    const hist = join(home, 'alice', '.bash_history');
    writeFileSync(hist, '#1795395360\nls -la /etc\n');
    chownSync(hist, 65534, 65534);
    await start(join(home, '*', '.bash_history'));
    await waitFor('the existing command', () => records.length === 1);
    assert.deepEqual(records[0].user, { id: '65534', name: 'nobody' });
    assert.equal(records[0].bash!.history_file, hist);
    assert.equal(records[0]['@timestamp'], '2026-11-23T00:56:00.000Z');

    try {
      execFileSync('python3', ['-c', 'import pty']);
    } catch {
      if (process.env.CI === 'true') throw new Error('python3 is required in CI');
      console.log('      skipped the real-bash part: no python3');
      return;
    }
    execFileSync('python3', [driver, hist, 'echo one'], { timeout: 20000 });
    const commands = () => records.map((r) => `${r['@timestamp']} ${r.process!.command_line}`);
    await waitFor('session 1', () => records.length === 4, 10000, commands);
    // both sessions start with the same shopt line, and entries dedupe on epoch+command: typed
    // within the same second it would be one entry (see parse.ts), so session 2 starts a second later
    const lastSecond = Date.parse(records[3]['@timestamp']);
    await sleep(Math.max(0, lastSecond + 1000 - Date.now())); // time is the point: the next wall-clock second
    execFileSync('python3', [driver, hist, 'echo s2a', 'history -w', 'echo s2b'], { timeout: 20000 });
    await waitFor('session 2', () => records.length >= 9, 10000, commands);
    await sleep(500); // time is the point: nothing reported twice, so nothing more arrives
    assert.deepEqual(
      records.map((r) => r.process!.command_line),
      [
        'ls -la /etc',
        'shopt -s cmdhist lithist histappend',
        'echo one',
        'exit',
        'shopt -s cmdhist lithist histappend',
        'echo s2a',
        'history -w',
        'echo s2b',
        'exit',
      ],
    );
    const stats = input!.stats!();
    assert.equal(stats.rotations, 1, 'history -w replaced the file');
  });

  it('untimestamped history trimmed by HISTFILESIZE at exit (real bash): nothing reported twice', async function () {
    try {
      execFileSync('python3', ['-c', 'import pty']);
    } catch {
      if (process.env.CI === 'true') throw new Error('python3 is required in CI');
      this.skip();
    }
    const hist = join(dir, '.bash_history');
    writeFileSync(hist, '');
    await start(hist);
    const env = { ...process.env, AF_NO_TIMESTAMPS: '1', HISTFILESIZE: '4' };
    execFileSync('python3', [driver, hist, 'echo a1', 'echo a2'], { timeout: 20000, env });
    await waitFor('session 1', () => records.length === 4);
    execFileSync('python3', [driver, hist, 'echo b1', 'echo b2'], { timeout: 20000, env });
    await waitFor('session 2', () => records.length >= 8);
    await sleep(500); // time is the point: nothing reported twice, so nothing more arrives
    assert.deepEqual(
      records.map((r) => r.process!.command_line),
      ['shopt -s cmdhist lithist histappend', 'echo a1', 'echo a2', 'exit', 'shopt -s cmdhist lithist histappend', 'echo b1', 'echo b2', 'exit'],
    );
    assert.equal(input!.stats!().rotations, 1, 'the trim replaced the file');
  });

  it('untimestamped history: one record per line, time from the file mtime', async () => {
    const hist = join(dir, '.bash_history');
    writeFileSync(hist, 'ls\ncd /tmp\n');
    await start(hist);
    await waitFor('2 commands', () => records.length === 2);
    assert.deepEqual(
      records.map((r) => r.process!.command_line),
      ['ls', 'cd /tmp'],
    );
    assert.ok(Math.abs(Date.parse(records[0]['@timestamp']) - Date.now()) < 60000);
    assert.deepEqual(records[0].user, { id: String(userInfo().uid), name: userInfo().username }, 'the owner of the history file');
  });
});
