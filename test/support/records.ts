// Normalized records shaped like the normalizer's exec output, numbered so tests can tell which
// ones arrived. Values are taken from the Debian samples (shared/samples).
import type { NormalizedRecord } from '../../src/record.js';

export function execRecord(i: number, over: { args?: string[]; host?: string } = {}): NormalizedRecord {
  const args = over.args ?? ['/usr/bin/scp', `f${i}.txt`, 'root@10.0.0.2:/root'];
  const t = Date.UTC(2026, 10, 23, 11, 0, 0) + i;
  return {
    '@timestamp': new Date(t).toISOString(),
    event: { module: 'auditd', kind: 'event', category: ['process'], type: ['start'], action: 'executed', outcome: 'success', sequence: 1000 + i },
    message: `alice as root executed ${args.join(' ')} (cwd /home/alice)`,
    process: {
      pid: 4242 + i,
      parent: { pid: 4200 },
      name: 'scp',
      executable: '/usr/bin/scp',
      args,
      args_count: args.length,
      command_line: args.join(' '),
      working_directory: '/home/alice',
      tty: { char_device: { major: 136, minor: 0 } },
    },
    user: { id: '0', name: 'root', audit: { id: '1000', name: 'alice' }, effective: { id: '0', name: 'root' } },
    audit: {
      syscall: 'execve',
      arch: 'x86_64',
      exit: 0,
      keys: ['exec'],
      record_types: ['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PROCTITLE'],
      node: 'debian12',
      session: '3',
    },
    host: { name: over.host ?? 'debian12' },
  };
}

export function records(n: number, from = 0): NormalizedRecord[] {
  const out: NormalizedRecord[] = [];
  for (let i = from; i < from + n; i++) out.push(execRecord(i));
  return out;
}
