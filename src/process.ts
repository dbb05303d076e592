// `auditflow` as a process: exit code from the command, quiet end on a closed stdout pipe,
// and a daemon that has stopped is not kept alive by a stray library handle.
import { main } from './cli.js';

export function runAsProcess(argv: string[]): void {
  // `auditflow normalize ... | head`: a reader that has seen enough is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
      if (argv[0] === 'run') setTimeout(() => process.exit(code), 2000).unref();
    },
    (err) => {
      process.stderr.write(`auditflow: ${err?.stack ? err.stack : err}\n`);
      process.exitCode = 70;
    },
  );
}
