// `type: relp` input — a RELP collector for rsyslog (omrelp) and auditflow agents (relp output).
// Each syslog message carries an audit record (reassembled per sending host) or an auditflow JSON
// record (passed through); both are journaled before the `rsp 200` (src/net/collector.ts).
import type { ComponentDef, Input } from '../../pipeline/types.js';
import { serverTlsOptions, tlsSchema, type TlsConfig } from '../../net/tls.js';
import { checkCollectorConfig, collectorSchemaProperties, createCollectorInput, type CollectorInputConfig } from '../collector-input.js';
import { RelpServer } from './server.js';

export interface RelpInputConfig extends CollectorInputConfig {
  type: 'relp';
  tls?: TlsConfig;
}

export const relpInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'listen'],
  properties: {
    type: { const: 'relp' },
    ...collectorSchemaProperties({ listen: "HOST:PORT (RELP's customary port is 2514)", maxPerAddr: 16 }),
    tls: { ...tlsSchema, description: 'cert_file/key_file serve TLS; ca_file also requires client certificates signed by it' },
  },
} as const;

export const relpInput: ComponentDef<Input> = {
  type: 'relp',
  schema: relpInputSchema,
  preflight: (cfg: RelpInputConfig, where) => {
    checkCollectorConfig(cfg, where);
    if (cfg.tls) serverTlsOptions(cfg.tls, `${where}.tls`);
  },
  build: (cfg: RelpInputConfig, ctx): Input =>
    createCollectorInput('relp', cfg, ctx, (parts) => new RelpServer({ ...parts, tls: cfg.tls ? serverTlsOptions(cfg.tls, 'relp.tls') : undefined })),
};
