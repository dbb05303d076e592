// Every output type loaded at once (check-config, status, the tests); the daemon loads only the
// ones its config names through src/outputs/registry.ts, which also adds the `queue:` key.
import type { ComponentDef, Output } from '../pipeline/types.js';
import { stdoutOutput } from './stdout.js';
import { fileOutput } from './file.js';
import { auditlogOutput } from './auditlog.js';
import { syslogOutput } from './syslog/index.js';
import { elasticsearchOutput } from './elasticsearch/index.js';
import { auditRemoteOutput } from './audit-remote/index.js';
import { redisOutput } from './redis/index.js';
import { relpOutput } from './relp/index.js';
import { withQueueKey } from './registry.js';

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
