#!/usr/bin/env node
import { main } from '../dist/src/cli.js';

// `auditflow normalize ... | head`: a reader that has seen enough is not an error
process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(0); throw err; });
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // the daemon has closed what it opened; a library handle left behind must not keep it alive
  if (process.argv[2] === 'run') setTimeout(() => process.exit(code), 2000).unref();
}, (err) => {
  process.stderr.write(`auditflow: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 70;
});
