// `type: snoopy` — tails snoopy's log (its own file output, or a syslog file it lands in) and
// turns each exec into a record. The tailer gives lines; one parser per file keeps the entry
// whose continuation lines may still come, and the checkpoint never passes it.

import type { ComponentDef, Input } from '../../pipeline/types.js';
import { createTailInput, tailSchemaProperties, type LineReader, type TailInputConfig } from '../tail/input.js';
import { createSnoopyParser } from './parse.js';

export interface SnoopyInputConfig extends TailInputConfig {
  type: 'snoopy';
  keep_original?: boolean;
}

export const snoopySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'path'],
  properties: {
    type: { const: 'snoopy' },
    ...tailSchemaProperties,
    keep_original: { type: 'boolean', default: false, description: 'keep the raw line(s) as event.original' },
  },
} as const;

export function createSnoopyInput(cfg: SnoopyInputConfig, ctx: Parameters<ComponentDef<Input>['build']>[1]): Input {
  return createTailInput(cfg, ctx, (_file, onError): LineReader => {
    const p = createSnoopyParser({ onError, keepOriginal: cfg.keep_original });
    return {
      line(line, where, out) {
        const recs = p.line(line.text, where, line.start);
        for (let i = 0; i < recs.length; i++) out.push(recs[i]);
      },
      // snoopy writes a message (continuation lines included) in one write(2): at a pause the
      // held entry is complete.
      idle(_idleMs, out) {
        const recs = p.end();
        for (let i = 0; i < recs.length; i++) out.push(recs[i]);
      },
      heldFrom: () => p.heldFrom(),
    };
  });
}

export const snoopyInput: ComponentDef<Input> = {
  type: 'snoopy',
  schema: snoopySchema,
  build: (cfg: SnoopyInputConfig, ctx) => createSnoopyInput(cfg, ctx),
};
