// Output types by `type:` name, each loaded on first use: the daemon imports only the outputs its
// config names (the network outputs' modules are start-up CPU and resident memory a file output
// has no use for). src/outputs/index.ts is the same list loaded at once, for check-config and the
// tests. Every output accepts `queue:` (src/outputs/spool): queueing wraps whatever the factory
// builds, so the key is added to each schema here rather than in each output.
import type { ComponentDef, Output } from '../pipeline/types.js';
import { queueSchema } from './spool/config.js';

export const withQueueKey = (def: ComponentDef<Output>): ComponentDef<Output> => {
  const props = (def.schema.properties ?? {}) as Record<string, unknown>;
  return 'queue' in props ? def : { ...def, schema: { ...def.schema, properties: { ...props, queue: queueSchema } } };
};

const loaded = (load: () => Promise<ComponentDef<Output>>) => async () => withQueueKey(await load());

export const outputLoaders: Record<string, () => Promise<ComponentDef<Output>>> = {
  stdout: loaded(async () => (await import('./stdout.js')).stdoutOutput),
  file: loaded(async () => (await import('./file.js')).fileOutput),
  auditlog: loaded(async () => (await import('./auditlog.js')).auditlogOutput),
  syslog: loaded(async () => (await import('./syslog/index.js')).syslogOutput),
  elasticsearch: loaded(async () => (await import('./elasticsearch/index.js')).elasticsearchOutput),
  audit_remote: loaded(async () => (await import('./audit-remote/index.js')).auditRemoteOutput),
  redis: loaded(async () => (await import('./redis/index.js')).redisOutput),
  relp: loaded(async () => (await import('./relp/index.js')).relpOutput),
};
