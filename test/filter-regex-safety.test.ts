// Regexes from config (match/drop conditions, custom redact rules) that can backtrack
// catastrophically are refused at load, by check-config too, naming the key; the rest compile.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catastrophicBacktracking } from '../src/filters/regex-safety.js';
import { buildFilterChain } from '../src/filters/index.js';
import { PredicateFilter, SLOW_MS } from '../src/filters/predicate.js';
import { silentLogger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import { runCli, tempDir } from './support/io.js';

const ctx = { stateDir: '/tmp', hostName: 'test', log: silentLogger };

describe('regexes that can backtrack catastrophically', () => {
  const refused: [string, string][] = [
    ['^(a+)+$', '(a+)+'],
    ['(a|a)*', '(a|a)*'],
    ['(.*)*x', '(.*)*'],
    ['^(\\w+\\s?)*$', '(\\w+\\s?)*'],
    ['(a*b*)*c', '(a*b*)*'],
    ['(x+x+)+y', '(x+x+)+'],
    ['(a|ab)+c', '(a|ab)+'],
    ['^(\\d+|\\d+\\.\\d+)*$', '(\\d+|\\d+\\.\\d+)*'],
    ['(?:[A-Za-z]+ ?)+$', '(?:[A-Za-z]+ ?)+'],
    ['(a+)\\1', '\\1'],
    ['(?<w>\\w+)-\\k<w>', '\\k<w>'],
    ['(A+)+', '(A+)+'],
    ['(?:a{1,3})+b', '(?:a{1,3})+'],
    ['(?:a?a?)+b', '(?:a?a?)+'],
  ];
  for (const [pattern, piece] of refused) {
    it(`refuses ${pattern}`, () =>
      assert.match(
        catastrophicBacktracking(pattern) ?? 'accepted',
        new RegExp(`^regex can backtrack catastrophically \\(${piece.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}\\)`),
      ));
  }
  // real patterns from configs and from the redaction rules: each iteration is delimited
  const accepted = [
    'employee-(\\d{6})',
    'pin (?<secret>\\d{4})\\b',
    '(["\'])code=(?<secret>\\w+)\\1',
    'BEGIN SECRET.(?<secret>.+?).END',
    '^/(?:[^/]+/)*foo$',
    '(?:\\d{1,3}\\.){3}\\d{1,3}',
    '^(?:[a-z]+\\.)+[a-z]+$',
    '(?:-{2}|\\s)+',
    '(?:foo|bar)*',
    '([^,]*,)*x',
    '^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$',
    '\\d+\\d+',
    '^(?:/usr)?/s?bin/(?:ba|da|z)?sh$',
    '[^\\s]+\\.(?:pem|key)$',
  ];
  for (const pattern of accepted) it(`accepts ${pattern}`, () => assert.equal(catastrophicBacktracking(pattern), undefined));

  it('compares letters in both cases under the i flag', () => {
    assert.equal(catastrophicBacktracking('(?:[a-z]+A)+'), undefined);
    assert.match(catastrophicBacktracking('(?:[a-z]+A)+', 'i')!, /catastrophically/);
  });

  it('refuses them in match/drop conditions and redact rules, naming the key', () => {
    assert.throws(
      () =>
        buildFilterChain(
          [
            { type: 'drop', where: { 'event.action': 'x' } },
            { type: 'match', where: { 'process.name': { regex: '^(a+)+$' } } },
          ],
          ctx,
        ),
      (e: Error) => e.message.startsWith('filters[1].where.process.name.regex: regex can backtrack catastrophically ((a+)+)'),
    );
    assert.throws(
      () => buildFilterChain([{ type: 'redact', rules: [{ pattern: 'ok-(\\d+)' }, { pattern: '(x|x)*y' }] }], ctx),
      (e: Error) => /rules\[1\]\.pattern: regex can backtrack catastrophically \(\(x\|x\)\*\)/.test(e.message),
    );
  });

  it('check-config refuses such a config and names the key', async () => {
    const dir = tempDir('af-regex-');
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `state_dir: ${dir}\ninputs: []\nfilters:\n  - type: drop\n    where:\n      process.command_line: { regex: "^(a+)+$" }\noutputs: [{ type: stdout }]\n`,
    );
    const r = await runCli(['check-config', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /filters\[0\]\.where\.process\.command_line\.regex: regex can backtrack catastrophically \(\(a\+\)\+\)/);
  });

  it('keeps a safe match filter working and counts records over the time budget as slow', () => {
    const [f] = buildFilterChain([{ type: 'match', where: { 'process.name': { regex: '^(?:ba|da)?sh$' } } }], ctx).filter((x) => x.name.startsWith('match'));
    const rec = (name: string): NormalizedRecord => ({
      '@timestamp': '2026-01-01T00:00:00.000Z',
      event: { module: 'bash', action: 'executed-command' },
      process: { name },
    });
    assert.ok(f.apply(rec('bash')));
    assert.equal(f.apply(rec('python')), null);
    assert.deepEqual(f.stats(), { kept: 1, dropped: 1, modified: 0, slow: 0 });
    // a condition that takes longer than the budget (spins past it): counted, the record still decided
    const spin = new PredicateFilter(
      'spin',
      () => {
        const t = performance.now();
        while (performance.now() - t <= SLOW_MS + 1);
        return true;
      },
      false,
      true,
    );
    assert.ok(spin.apply(rec('x')));
    assert.deepEqual(spin.stats(), { kept: 1, dropped: 0, modified: 0, slow: 1 });
  });
});
