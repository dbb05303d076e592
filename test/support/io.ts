// Runs a CLI command in-process with captured streams.
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli.js';

export interface Captured { code: number; stdout: string; stderr: string }

export async function runCli(args: string[], stdin = ''): Promise<Captured> {
  const out = new PassThrough(), err = new PassThrough();
  let stdout = '', stderr = '';
  out.on('data', (d) => { stdout += d; });
  err.on('data', (d) => { stderr += d; });
  const code = await main(args, { stdout: out, stderr: err, stdin: Readable.from([stdin]) });
  return { code, stdout, stderr };
}

/** NDJSON text → objects (throws on a line that is not JSON, which is what tests want). */
export function jsonLines(text: string): any[] {
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}
