#!/usr/bin/env -S node --max-semi-space-size=8
// A young generation of 8 MiB semi-spaces instead of V8's 16: tailing audit.log, peak RSS 91 MiB
// against 105-111 at the same CPU; normalize 79-80 against 92-94 at 0.95-0.99x the CPU
// (bench/PROFILE.md, fifth round). Benches that start this file with node pass the same flags.
import { runAsProcess } from '../dist/src/process.js';

runAsProcess(process.argv.slice(2));
