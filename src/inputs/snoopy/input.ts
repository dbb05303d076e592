// `type: snoopy` — tails snoopy's log (its own file output, or a syslog file it lands in) and
// turns each exec into a record. The tailer gives lines; one parser per file keeps the entry
// whose continuation lines may still come, and the checkpoint never passes it.

import type { ComponentDef, Input } from '../../pipeline/types.js';
import { createTailInput, holdingLineReader, tailSchemaProperties, type LineReader, type TailInputConfig } from '../tail/input.js';
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
  // snoopy writes a message (continuation lines included) in one write(2)
  return createTailInput(cfg, ctx, (_file, onError): LineReader => holdingLineReader(createSnoopyParser({ onError, keepOriginal: cfg.keep_original })));
}

export const snoopyInput: ComponentDef<Input> = {
  type: 'snoopy',
  schema: snoopySchema,
  build: (cfg: SnoopyInputConfig, ctx) => createSnoopyInput(cfg, ctx),
};
