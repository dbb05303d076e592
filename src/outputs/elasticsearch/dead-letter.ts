// Records Elasticsearch will never accept (mapping conflicts, bad values: 4xx other than 409/429)
// go to a JSON-lines file with the reason, so nothing is dropped silently and they can be fixed
// and replayed by hand.

import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DeadLetter {
  status: number;
  type?: string;
  reason?: string;
  index: string;
  id: string;
  doc: string;
}

export class DeadLetterFile {
  private chain: Promise<void> = Promise.resolve();
  private dirMade = false;
  private modeFixed = false;
  constructor(
    readonly path: string,
    private readonly output: string,
  ) {}

  /** Appends in order; resolves when the lines are in the file. */
  write(items: DeadLetter[]): Promise<void> {
    const now = new Date().toISOString();
    let text = '';
    for (const d of items) {
      text +=
        `{"@timestamp":"${now}","output":${JSON.stringify(this.output)},"status":${d.status},` +
        `"error":${JSON.stringify({ type: d.type, reason: d.reason })},"index":${JSON.stringify(d.index)},"_id":"${d.id}","record":${d.doc}}\n`;
    }
    const next = this.chain.then(async () => {
      // a directory made here is private; a configured existing one is left as it is
      if (!this.dirMade) {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        this.dirMade = true;
      }
      await appendFile(this.path, text, { mode: 0o600 });
      // the records are as private as audit.log: a file an older version made is fixed once
      if (!this.modeFixed) {
        await chmod(this.path, 0o600);
        this.modeFixed = true;
      }
    });
    // one failed append does not fail every later one
    this.chain = next.catch(() => {});
    return next;
  }
}
