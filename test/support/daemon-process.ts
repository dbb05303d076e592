// `auditflow run --config FILE` as a child process, for tests that kill and restart the daemon.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('./run-cli.ts', import.meta.url));

export interface DaemonProcess {
  child: ChildProcess;
  exited: Promise<number>;
  stderr: () => string;
}

export function startDaemon(config: string): DaemonProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, exited, stderr: () => err };
}
