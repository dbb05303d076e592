#!/usr/bin/env node
import { main } from '../dist/src/cli.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`auditflow: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 70;
});
