// The one place output types are registered: `type:` in config → factory + schema.
import type { ComponentDef, Output } from '../pipeline/types.js';
import { stdoutOutput } from './stdout.js';
import { fileOutput } from './file.js';
import { auditlogOutput } from './auditlog.js';
import { syslogOutput } from './syslog/index.js';
import { elasticsearchOutput } from './elasticsearch/index.js';

export const outputDefs: ComponentDef<Output>[] = [
  stdoutOutput,
  fileOutput,
  auditlogOutput,
  syslogOutput,
  elasticsearchOutput,
];
