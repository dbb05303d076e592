// Record templates (kTemplate, src/record.ts) through the context stage. A template stands for
// records alike but for their time and serial, so that their JSON is written once; what the
// context stage writes comes from the process table, not from the record, and two records of
// one shape may get different context (the parent exec'd meanwhile, the executable's hash came
// in). So each template keeps variants, one per set of values the stage wrote, and a record
// leaves the stage with its variant. The values are compared by identity: the table hands the
// same strings and frozen objects (leaders, ancestry, argv, hash, container) to every record of
// a process until they change.
import type { NormalizedRecord, RecordTemplate } from '../record.js';
import type { ProcEntry } from './process-table.js';

interface Variant {
  key: unknown[];
  template: RecordTemplate;
}

/** variants kept per template, most recent first */
const VARIANTS = 4;
const KEY_LENGTH = 20;

/** the values of the record at hand, before they are known to be new */
const scratch: unknown[] = new Array(KEY_LENGTH).fill(undefined);

/**
 * The template for `rec` (of template `t`) as the context stage left it: every field the stage
 * writes (ContextStage.writeProcess, writeContainer) is read back here; tags come from the
 * entry's labels. None for the first record of `t`: most shapes are never seen again.
 */
export function contextVariant(t: RecordTemplate, rec: NormalizedRecord, e: ProcEntry): RecordTemplate | undefined {
  if (t.contexts === undefined) {
    t.contexts = [];
    return undefined;
  }
  const p = rec.process;
  const pp = p?.parent;
  const k = rec.kubernetes;
  scratch[0] = p?.entity_id;
  scratch[1] = p?.start;
  scratch[2] = pp?.pid;
  scratch[3] = pp?.entity_id;
  scratch[4] = pp?.executable;
  scratch[5] = pp?.name;
  scratch[6] = pp?.args;
  scratch[7] = pp?.start;
  scratch[8] = p?.session_leader;
  scratch[9] = p?.group_leader;
  scratch[10] = p?.entry_leader;
  scratch[11] = p?.Ext?.ancestry;
  scratch[12] = p?.hash;
  scratch[13] = e.labels;
  scratch[14] = rec.container?.id;
  scratch[15] = rec.container?.runtime;
  scratch[16] = k?.pod?.uid;
  scratch[17] = k?.pod?.name;
  scratch[18] = k?.namespace;
  scratch[19] = rec.systemd?.unit;
  const variants = t.contexts as Variant[];
  for (let v = 0; v < variants.length; v++) {
    const key = variants[v].key;
    let i = 0;
    while (i < KEY_LENGTH && key[i] === scratch[i]) i++;
    if (i < KEY_LENGTH) continue;
    const found = variants[v];
    if (v > 0) {
      variants.splice(v, 1);
      variants.unshift(found);
    }
    return found.template;
  }
  const made: Variant = { key: scratch.slice(), template: {} };
  variants.unshift(made);
  if (variants.length > VARIANTS) variants.length = VARIANTS;
  return made.template;
}
