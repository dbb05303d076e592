// Runs a CLI command in-process with captured streams.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], stdin = ''): Promise<Captured> {
  const out = new PassThrough(),
    err = new PassThrough();
  let stdout = '',
    stderr = '';
  out.on('data', (d) => {
    stdout += d;
  });
  err.on('data', (d) => {
    stderr += d;
  });
  const code = await main(args, { stdout: out, stderr: err, stdin: Readable.from([stdin]) });
  return { code, stdout, stderr };
}

/** NDJSON text → objects (throws on a line that is not JSON, which is what tests want). */
export function jsonLines(text: string): any[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the system temp dir, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
