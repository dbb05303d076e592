import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { syscallTables } from '../src/audit/tables/syscalls.js';
import { errnoNames } from '../src/audit/tables/errno.js';
import { ioUringOps } from '../src/audit/tables/io-uring.js';
import { archOf } from '../src/audit/tables/arch.js';
import { syscallActions } from '../src/audit/normalize/actions.js';

function hasAusyscall(): boolean {
  try {
    execFileSync('ausyscall', ['x86_64', '--dump'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('normalize: generated tables', () => {
  it('know the numbers the sample and the peers use', () => {
    assert.equal(syscallTables.x86_64[59], 'execve');
    assert.equal(syscallTables.x86_64[257], 'openat');
    assert.equal(syscallTables.i386[102], 'socketcall');
    assert.equal(syscallTables.i386[302], 'renameat');
    assert.equal(syscallTables.aarch64[221], 'execve');
    assert.equal(syscallTables.aarch64[37], 'linkat');
    assert.equal(syscallTables.ppc64[327], 'bind');
    assert.equal(syscallTables.x86_64[9999], undefined);
    assert.equal(errnoNames[13], 'EACCES');
    assert.equal(errnoNames[11], 'EAGAIN'); // not its alias EWOULDBLOCK
    assert.equal(errnoNames[115], 'EINPROGRESS');
    assert.equal(ioUringOps[18], 'openat');
    assert.equal(archOf('c000003e')?.name, 'x86_64');
    assert.equal(archOf('40000003')?.name, 'i386');
    assert.equal(archOf('C00000B7')?.name, 'aarch64');
    assert.equal(archOf('80000015')?.littleEndian, false);
  });

  it('every syscall the action table names exists on some arch (no typos in the data)', () => {
    const known = new Set<string>();
    for (const t of Object.values(syscallTables)) for (const n of t) if (n) known.add(n);
    // old or libc-level names some arches had and auditd's tables may lack
    const notInTables = new Set(['send', 'recv', 'stime', 'fstatat', 'fstatat64', 'setxattrat', 'removexattrat', 'fchmodat2', 'seteuid', 'setegid']);
    const missing = Object.keys(syscallActions).filter((n) => !known.has(n) && !notInTables.has(n));
    assert.deepEqual(missing, []);
  });

  it('match ausyscall --dump for every arch (regenerate with tools/gen-tables.ts if not)', function () {
    if (!hasAusyscall()) {
      if (process.env.CI === 'true') throw new Error('ausyscall (Debian package auditd) is required in CI');
      this.skip();
    }
    for (const arch of ['x86_64', 'i386', 'aarch64', 'ppc64', 's390x', 'arm']) {
      const out = execFileSync('ausyscall', [arch, '--dump'], { encoding: 'utf8' });
      let n = 0;
      for (const line of out.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab <= 0) continue;
        assert.equal(syscallTables[arch][Number(line.slice(0, tab))], line.slice(tab + 1).trim(), `${arch} ${line}`);
        n++;
      }
      assert.ok(n > 200, `${arch}: ${n} syscalls`);
    }
  });

  it('match the errno and io_uring headers of this machine', function () {
    const errnoH = '/usr/include/asm-generic/errno.h';
    if (!existsSync(errnoH) || !existsSync('/usr/include/linux/io_uring.h')) this.skip();
    for (const m of readFileSync(errnoH, 'utf8').matchAll(/^#define\s+(E[A-Z0-9]+)\s+(\d+)/gm)) {
      assert.equal(errnoNames[Number(m[2])], m[1], m[0]);
    }
    const h = readFileSync('/usr/include/linux/io_uring.h', 'utf8');
    assert.equal(ioUringOps[ioUringOps.length - 1], 'sendmsg_zc');
    assert.ok(h.includes(`IORING_OP_${ioUringOps[ioUringOps.length - 1].toUpperCase()},`));
  });
});
