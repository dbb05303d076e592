// `type: audit_remote` — auditflow as the central collector auditd's remote logging sends to
// (audisp-remote's `remote_server`, auditd's `tcp_listen_port`): see server.ts for the protocol,
// src/net/collector.ts for journaling, per-host reassembly and acknowledgement.
import type { ComponentDef, Input } from '../../pipeline/types.js';
import { checkCollectorConfig, collectorSchemaProperties, createCollectorInput, type CollectorInputConfig } from '../collector-input.js';
import { AuditRemoteServer } from './server.js';

export interface AuditRemoteInputConfig extends CollectorInputConfig {
  type: 'audit_remote';
}

export const auditRemoteInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'listen'],
  properties: {
    type: { const: 'audit_remote' },
    ...collectorSchemaProperties({ listen: 'HOST:PORT to listen on ([::]:60 for every address; auditd uses port 60)', maxPerAddr: 4 }),
  },
} as const;

export const auditRemoteInput: ComponentDef<Input> = {
  type: 'audit_remote',
  schema: auditRemoteInputSchema,
  preflight: (cfg: AuditRemoteInputConfig, where) => checkCollectorConfig(cfg, where),
  build: (cfg: AuditRemoteInputConfig, ctx): Input => createCollectorInput('audit_remote', cfg, ctx, (parts) => new AuditRemoteServer(parts)),
};
