// One JSON object per line. Symbol-keyed internals (kRaw) are skipped by JSON.stringify,
// and JSON escapes newlines, so a multi-line argv never splits a record across lines.
import type { NormalizedRecord } from '../record.js';

export function toJsonLines(records: readonly NormalizedRecord[]): string {
  let out = '';
  for (let i = 0; i < records.length; i++) out += JSON.stringify(records[i]) + '\n';
  return out;
}

/** The same lines one per element, for a writer that may rotate between records. */
export function toJsonLineUnits(records: readonly NormalizedRecord[]): string[] {
  const out = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = JSON.stringify(records[i]) + '\n';
  return out;
}
