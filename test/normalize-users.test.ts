import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdNameTable, UNSET_ID } from '../src/users.js';

describe('normalize: uid/gid names from passwd and group files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-users-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names ids both ways; first entry wins; comments and junk lines are skipped', () => {
    const f = join(dir, 'passwd');
    writeFileSync(
      f,
      [
        '# local users',
        'root:x:0:0:root:/root:/bin/bash',
        'toor:x:0:0:second root:/root:/bin/sh',
        'alice:x:4242:4242:Alice:/home/alice:/bin/bash',
        'not a passwd line',
        '',
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      ].join('\n'),
    );
    const t = createIdNameTable(f);
    assert.equal(t.name('0'), 'root');
    assert.equal(t.name('4242'), 'alice');
    assert.equal(t.name('65534'), 'nobody');
    assert.equal(t.name('1000'), undefined);
    assert.equal(t.id('toor'), '0');
    assert.equal(t.id('alice'), '4242');
    assert.equal(t.id('bob'), undefined);
    assert.equal(t.loads, 1);
  });

  it('the unset id (4294967295) never has a name, even if a file lists it', () => {
    const f = join(dir, 'passwd');
    writeFileSync(f, `weird:x:${UNSET_ID}:0::/:/bin/false\n`);
    assert.equal(createIdNameTable(f).name(UNSET_ID), undefined);
  });

  it('re-reads the file when it changes, not before', () => {
    const f = join(dir, 'group');
    writeFileSync(f, 'root:x:0:\nstaff:x:50:\n');
    let now = 1_000;
    const t = createIdNameTable(f, { checkIntervalMs: 1000, now: () => now });
    assert.equal(t.name('50'), 'staff');
    writeFileSync(f, 'root:x:0:\nadmins:x:50:\ndev:x:60:\n');
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    now += 10; // within the interval: the old table stands
    assert.equal(t.name('50'), 'staff');
    for (let i = 0; i < 300; i++) t.name('0'); // past the lookup stride too
    now += 2000;
    for (let i = 0; i < 300; i++) t.name('0');
    assert.equal(t.name('50'), 'admins');
    assert.equal(t.name('60'), 'dev');
    assert.equal(t.loads, 2);
  });

  it('a missing file names nobody and does not throw; names kept if the file goes away', () => {
    const missing = createIdNameTable(join(dir, 'nope'), { checkIntervalMs: 0 });
    assert.equal(missing.name('0'), undefined);
    const f = join(dir, 'passwd');
    writeFileSync(f, 'root:x:0:0::/:/bin/sh\n');
    const t = createIdNameTable(f, { checkIntervalMs: 0 });
    assert.equal(t.name('0'), 'root');
    rmSync(f);
    assert.equal(t.name('0'), 'root');
  });
});
