import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditlogInput } from '../src/inputs/auditlog.js';
import { silentLogger } from '../src/log.js';
import type { NormalizedRecord } from '../src/record.js';
import type { Input } from '../src/pipeline/types.js';
import { waitFor } from './support/wait.js';
import { collectInto } from './support/collect.js';

const syscall = (serial: number, pid: number, comm: string) =>
  `type=SYSCALL msg=audit(1795395190.${String(serial % 1000).padStart(3, '0')}:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0 items=2 ppid=1 pid=${pid} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="${comm}" exe="/usr/bin/${comm}" key=(null)\n`;
const rest = (serial: number, args: string[]) => {
  const stamp = `1795395190.${String(serial % 1000).padStart(3, '0')}:${serial}`;
  return (
    `type=EXECVE msg=audit(${stamp}): argc=${args.length} ${args.map((a, i) => `a${i}="${a}"`).join(' ')}\n` +
    `type=CWD msg=audit(${stamp}): cwd="/home/alice"\n` +
    `type=PROCTITLE msg=audit(${stamp}): proctitle=${Buffer.from(args.join('\0')).toString('hex').toUpperCase()}\n`
  );
};

describe('auditlog input at shutdown', function () {
  this.timeout(30000);
  let dir: string;
  let input: Input | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-auditlog-stop-'));
  });
  afterEach(async () => {
    await input?.stop();
    input = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(records: NormalizedRecord[]) {
    input = createAuditlogInput(
      { type: 'auditlog', path: join(dir, 'audit.log'), poll_interval_ms: 20, checkpoint_interval_ms: 20, resolve_names: false, reassembly_timeout_ms: 600000 },
      { stateDir: join(dir, 'state'), hostName: 'h', log: silentLogger },
    );
    await input.start(collectInto(records));
  }
  const checkpointOffset = (): number => {
    const d = join(dir, 'state', 'checkpoints');
    const name = existsSync(d) ? readdirSync(d).find((n) => n.endsWith('.json')) : undefined;
    return name ? JSON.parse(readFileSync(join(d, name), 'utf8')).checkpoints[0].offset : -1;
  };

  it('leaves an event in flight unemitted, checkpointed before it, and the next run reads it whole', async () => {
    const log = join(dir, 'audit.log');
    const whole = syscall(500, 10, 'id') + rest(500, ['id']);
    const head = syscall(501, 11, 'scp');
    writeFileSync(log, whole + head);
    const first: NormalizedRecord[] = [];
    await start(first);
    await waitFor('the whole event', () => first.length === 1);
    await waitFor('checkpoint at the open event', () => checkpointOffset() === Buffer.byteLength(whole));
    await input!.stop();
    input = undefined;
    assert.deepEqual(
      first.map((r) => r.process!.name),
      ['id'],
      'the half event is not emitted at stop',
    );
    assert.equal(checkpointOffset(), Buffer.byteLength(whole));

    appendFileSync(log, rest(501, ['scp', 'f2.txt', 'root@10.0.0.2:/root']));
    const second: NormalizedRecord[] = [];
    await start(second);
    await waitFor('the event, whole', () => second.length === 1);
    assert.deepEqual(second[0].process!.args, ['scp', 'f2.txt', 'root@10.0.0.2:/root']);
    assert.equal(second[0].process!.working_directory, '/home/alice');
    assert.equal(second[0].event.sequence, 501);
  });
});
