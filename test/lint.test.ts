// The lint and format check is a test like any other, so CI counts it: Biome over the sources,
// tests, benches and tools, with the rules and formatting of biome.json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('lint and format (biome check)', function () {
  this.timeout(60_000);

  it('finds nothing to fix', () => {
    const r = spawnSync(process.execPath, [`${root}node_modules/@biomejs/biome/bin/biome`, 'check', '--colors=off', '--max-diagnostics=30'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`.slice(-12_000));
  });
});
