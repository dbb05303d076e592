// An input sink that keeps what an input pushes and acknowledges each batch at once, as a
// pipeline whose outputs took everything would.
import type { AuditflowError } from '../../src/errors.js';
import type { InputSink } from '../../src/pipeline/types.js';
import type { NormalizedRecord } from '../../src/record.js';

export function collectInto(records: NormalizedRecord[], errors?: AuditflowError[]): InputSink {
  return {
    push: async (b) => {
      records.push(...b.records);
      b.ack?.();
    },
    error: (e) => {
      errors?.push(e);
    },
  };
}
