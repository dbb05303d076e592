// The one place output types are registered: `type:` in config → factory + schema. Every output
// accepts `queue:` (src/outputs/spool): queueing wraps whatever the factory builds, so the key is
// added to each schema here rather than in each output.
import type { ComponentDef, Output } from '../pipeline/types.js';
import { stdoutOutput } from './stdout.js';
import { fileOutput } from './file.js';
import { auditlogOutput } from './auditlog.js';
import { syslogOutput } from './syslog/index.js';
import { elasticsearchOutput } from './elasticsearch/index.js';
import { auditRemoteOutput } from './audit-remote/index.js';
import { redisOutput } from './redis/index.js';
import { relpOutput } from './relp/index.js';
import { queueSchema } from './spool/config.js';

const withQueueKey = (def: ComponentDef<Output>): ComponentDef<Output> => {
  const props = (def.schema.properties ?? {}) as Record<string, unknown>;
  return 'queue' in props ? def : { ...def, schema: { ...def.schema, properties: { ...props, queue: queueSchema } } };
};

export const outputDefs: ComponentDef<Output>[] = [
  stdoutOutput,
  fileOutput,
  auditlogOutput,
  syslogOutput,
  elasticsearchOutput,
  auditRemoteOutput,
  redisOutput,
  relpOutput,
].map(withQueueKey);
