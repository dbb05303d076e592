import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBashHistoryParser, looksLikeBashHistory, RecentCommands, SeenSet } from '../src/inputs/bash/parse.js';
import type { NormalizedRecord } from '../src/record.js';

function linesOf(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function parseAll(lines: string[], opts: Partial<Parameters<typeof createBashHistoryParser>[0]> = {}) {
  const p = createBashHistoryParser({
    file: '/home/alice/.bash_history',
    user: { id: '1000', name: 'alice' },
    fallbackTime: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    ...opts,
  });
  const recs: NormalizedRecord[] = [];
  lines.forEach((l, i) => recs.push(...p.line(l, `h:${i + 1}`, i)));
  recs.push(...p.end());
  return { recs, counts: p.counts, parser: p };
}

describe('bash history parser', () => {
  it('reads the real sample: #epoch times, lithist multi-line commands, history -a/-w duplicates once', () => {
    const { recs, counts } = parseAll(linesOf(readFileSync(new URL('./fixtures/samples/bash_history.sample', import.meta.url))));
    assert.deepEqual(
      recs.map((r) => r.process!.command_line),
      [
        'ls -la /etc | head -3',
        'cd /tmp && pwd',
        'echo "hello world" > /tmp/hist-test.txt',
        'cat /tmp/hist-test.txt',
        'grep -r "PermitRootLogin" /etc/ssh 2>/dev/null | head -1',
        'for f in /etc/hostname /etc/os-release; do\n  wc -l "$f"\ndone',
        'if [ -d /tmp ]; then\n  echo "tmp exists"\nelse\n  echo "no tmp"\nfi',
        'cat <<EOT > /tmp/hist-heredoc.txt\nline one\nline two with $HOME\nEOT',
        'echo "a string with an\nembedded newline"',
        'ls /usr/bin   | head -2',
        'history -a',
        'mysql -uroot -pSecret123 -h 127.0.0.1 -e "select 1"',
        'curl -s -u admin:hunter2 http://127.0.0.1:9/',
        'export API_TOKEN=abcdef0123456789',
        'echo "héllo wörld 日本語 🚀"',
        "printf '%s\\n' 'single quoted; with | pipes & ampersands'",
        'sudo -u nobody id',
        'id; whoami; uname -a',
        'function greet() {\n  echo "hi $1"\n}',
        'greet there',
        'sleep 0.1 && echo done || echo failed',
        'echo $(( 6 * 7 ))',
        'history -w',
        'cd ~',
        'rm -f /tmp/hist-test.txt /tmp/hist-heredoc.txt',
        'exit',
      ],
    );
    assert.equal(counts.duplicates, 12);
    const first = recs[0];
    assert.deepEqual(first, {
      '@timestamp': '2026-11-23T00:56:00.000Z',
      event: { module: 'bash', kind: 'event', category: ['process'], type: ['start'], action: 'executed-command', outcome: 'unknown' },
      process: { command_line: 'ls -la /etc | head -3', args: ['ls', '-la', '/etc', '|', 'head', '-3'] },
      bash: { history_file: '/home/alice/.bash_history' },
      user: { id: '1000', name: 'alice' },
      message: 'alice ran in bash: ls -la /etc | head -3',
    });
    assert.equal(new Date(first['@timestamp']).getTime(), 1795395360 * 1000);
  });

  it('without HISTTIMEFORMAT: one command per line, time from fallbackTime', () => {
    const { recs } = parseAll(['ls', 'cd /tmp', '', 'ls']);
    assert.deepEqual(
      recs.map((r) => r.process!.command_line),
      ['ls', 'cd /tmp', 'ls'],
    );
    assert.equal(recs[0]['@timestamp'], '2026-01-02T03:04:05.000Z');
  });

  it('holds a timestamped entry until the next #epoch or end(), from its #epoch line', () => {
    const p = createBashHistoryParser({ file: 'h' });
    assert.deepEqual(p.line('#1795395360', 'h:1', 0), []);
    assert.equal(p.heldFrom(), 0);
    assert.deepEqual(p.line('for x in a; do', 'h:2', 12), []);
    assert.deepEqual(p.line('done', 'h:3', 27), []);
    const out = p.line('#1795395361', 'h:4', 32);
    assert.equal(out.length, 1);
    assert.equal(out[0].process!.command_line, 'for x in a; do\ndone');
    assert.equal(p.heldFrom(), 32);
  });

  it('deduplicates across parsers sharing a SeenSet (a rewritten file)', () => {
    const seen = new SeenSet();
    const a = parseAll(['#100', 'ls', '#101', 'pwd'], { seen });
    const b = parseAll(['#101', 'pwd', '#102', 'id'], { seen });
    assert.deepEqual(
      a.recs.map((r) => r.process!.command_line),
      ['ls', 'pwd'],
    );
    assert.deepEqual(
      b.recs.map((r) => r.process!.command_line),
      ['id'],
    );
  });

  describe('untimestamped rewrites (HISTFILESIZE trim, history -w)', () => {
    const cmds = (r: { recs: NormalizedRecord[] }) => r.recs.map((x) => x.process!.command_line);
    it('drops the leading run of already-reported commands, reports what follows', () => {
      const recent = new RecentCommands();
      assert.deepEqual(cmds(parseAll(['a', 'b', 'c', 'd'], { recent })), ['a', 'b', 'c', 'd']);
      const trimmed = parseAll(['c', 'd', 'e'], { recent, rewrite: true });
      assert.deepEqual(cmds(trimmed), ['e']);
      assert.equal(trimmed.counts.duplicates, 2);
      assert.deepEqual(cmds(parseAll(['d', 'e', 'f'], { recent, rewrite: true })), ['f']);
    });
    it('finds the run among repeated commands', () => {
      const recent = new RecentCommands();
      parseAll(['ls', 'pwd', 'ls', 'pwd'], { recent });
      assert.deepEqual(cmds(parseAll(['ls', 'pwd', 'id'], { recent, rewrite: true })), ['id']);
    });
    it('reports everything when the new file is not a continuation', () => {
      const recent = new RecentCommands();
      parseAll(['a', 'b', 'c'], { recent });
      assert.deepEqual(cmds(parseAll(['b', 'z'], { recent, rewrite: true })), ['b', 'z']);
      assert.deepEqual(cmds(parseAll(['x', 'y'], { recent, rewrite: true })), ['x', 'y']);
    });
    it('holds the run (heldFrom) until it is decided', () => {
      const recent = new RecentCommands();
      parseAll(['a', 'b', 'c'], { recent });
      const p = createBashHistoryParser({ file: 'h', recent, rewrite: true });
      assert.deepEqual(p.line('b', 'h:1', 0), []);
      assert.equal(p.heldFrom(), 0);
      assert.deepEqual(p.line('c', 'h:2', 2), []);
      assert.equal(p.heldFrom(), undefined, 'run reached the end of the old content: duplicates');
      assert.equal(p.line('d', 'h:3', 4)[0].process!.command_line, 'd');
    });
  });

  it('sniffs timestamped history', () => {
    assert.equal(looksLikeBashHistory(linesOf(readFileSync(new URL('./fixtures/samples/bash_history.sample', import.meta.url))).slice(0, 8)), true);
    assert.equal(looksLikeBashHistory(['type=SYSCALL msg=audit(1.2:3): x=1']), false);
    assert.equal(looksLikeBashHistory(['[uid:0 sid:1 tty:(none) cwd:/]: ls']), false);
  });

  describe('real bash through a pty', function () {
    let dir: string;
    before(function () {
      try {
        execFileSync('python3', ['-c', 'import pty']);
        execFileSync('bash', ['--version']);
      } catch {
        if (process.env.CI === 'true') throw new Error('python3 and bash are required in CI');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'af-bash-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('reads exactly what an interactive bash 5 wrote with HISTTIMEFORMAT and lithist', function () {
      this.timeout(30000);
      const hist = join(dir, '.bash_history');
      const t0 = Math.floor(Date.now() / 1000);
      execFileSync(
        'python3',
        [
          new URL('./fixtures/bash/drive-bash.py', import.meta.url).pathname,
          hist,
          'echo one',
          'for i in 1 2; do',
          'echo $i',
          'done',
          'history -a',
          'echo "two  spaces"',
          'ls /nonexistent-dir',
        ],
        { timeout: 25000 },
      );
      const t1 = Math.ceil(Date.now() / 1000);
      const { recs, counts } = parseAll(linesOf(readFileSync(hist)), { file: hist });
      assert.deepEqual(
        recs.map((r) => r.process!.command_line),
        [
          'shopt -s cmdhist lithist histappend',
          'echo one',
          'for i in 1 2; do\necho $i\ndone',
          'history -a',
          'echo "two  spaces"',
          'ls /nonexistent-dir',
          'exit',
        ],
      );
      assert.equal(counts.duplicates, 0);
      for (const r of recs) {
        const t = Date.parse(r['@timestamp']) / 1000;
        assert.ok(t >= t0 && t <= t1, `${r['@timestamp']} within the session`);
      }
    });
  });
});
