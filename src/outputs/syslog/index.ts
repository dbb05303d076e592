// syslog output: RFC 5424 / RFC 3164 over UDP, TCP or TLS (RFC 5425).
import type { ComponentDef, Output } from '../../pipeline/types.js';
import { syslogSchema, type SyslogConfig } from './config.js';
import { SyslogOutput } from './sink.js';
import { checkTlsMaterial } from '../../config/preflight.js';

export { SyslogOutput } from './sink.js';
export { syslogSchema, resolveSyslogConfig, type SyslogConfig } from './config.js';

export const syslogOutput: ComponentDef<Output> = {
  type: 'syslog',
  schema: syslogSchema as unknown as Record<string, unknown>,
  build: (config: SyslogConfig, ctx) => new SyslogOutput(config, ctx),
  preflight(config: SyslogConfig, where) {
    if (config.protocol === 'tls' && config.tls) checkTlsMaterial(`${where}.tls`, config.tls);
  },
};
