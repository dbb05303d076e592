// `type: audit_remote` — auditflow as the central collector auditd's remote logging sends to
// (audisp-remote's `remote_server`, auditd's `tcp_listen_port`): see server.ts for the protocol,
// src/net/collector.ts for journaling, per-host reassembly and acknowledgement.
import type { ComponentDef, Input, InputSink } from '../../pipeline/types.js';
import { parseHostPort } from '../../net/address.js';
import { ClientGate } from '../../net/allow.js';
import { Collector, journalDirFor } from '../../net/collector.js';
import { AuditRemoteServer } from './server.js';

export interface AuditRemoteInputConfig {
  type: 'audit_remote';
  name?: string;
  listen: string;
  allow?: string[];
  max_per_addr: number;
  max_connections: number;
  keep_original: boolean;
  max_in_flight: number;
  reassembly_timeout_ms: number;
  journal_fsync: boolean;
}

export const auditRemoteInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'listen'],
  properties: {
    type: { const: 'audit_remote' },
    name: { type: 'string', minLength: 1 },
    listen: { type: 'string', minLength: 3, description: 'HOST:PORT to listen on ([::]:60 for every address; auditd uses port 60)' },
    allow: { type: 'array', items: { type: 'string' }, description: 'client addresses or CIDR blocks allowed to connect; absent: anyone who can reach the port' },
    max_per_addr: { type: 'integer', minimum: 1, maximum: 1024, default: 4, description: 'connections per client address (auditd tcp_max_per_addr)' },
    max_connections: { type: 'integer', minimum: 1, maximum: 65536, default: 1024 },
    keep_original: { type: 'boolean', default: false, description: 'keep the raw records as event.original' },
    max_in_flight: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000, description: 'open events per origin host' },
    reassembly_timeout_ms: { type: 'integer', minimum: 0, maximum: 600000, default: 2000 },
    journal_fsync: { type: 'boolean', default: false, description: 'fsync the journal before acknowledging (survives power loss, slower)' },
  },
} as const;

export const auditRemoteInput: ComponentDef<Input> = {
  type: 'audit_remote',
  schema: auditRemoteInputSchema,
  preflight: (cfg: AuditRemoteInputConfig, where) => {
    parseHostPort(cfg.listen, `${where}.listen`);
    new ClientGate(cfg.allow, cfg.max_per_addr, where);
  },
  build: (cfg: AuditRemoteInputConfig, ctx): Input => {
    const name = cfg.name ?? `audit_remote ${cfg.listen}`;
    const collector = new Collector({
      name,
      journalDir: journalDirFor(ctx.stateDir, 'audit_remote', cfg.name ?? cfg.listen),
      keepOriginal: cfg.keep_original,
      maxInFlight: cfg.max_in_flight,
      reassemblyTimeoutMs: cfg.reassembly_timeout_ms,
      fsync: cfg.journal_fsync,
    });
    const server = new AuditRemoteServer({
      name,
      listen: parseHostPort(cfg.listen, 'listen'),
      gate: new ClientGate(cfg.allow, cfg.max_per_addr, 'audit_remote'),
      maxConnections: cfg.max_connections,
      collector,
      log: ctx.log,
    });
    return {
      name,
      async start(sink: InputSink) {
        collector.start(sink);
        await server.start(sink);
      },
      async stop() {
        await server.stop();
        await collector.stop(Date.now() + 3000);
      },
      stats: () => ({ ...collector.stats(), ...server.counters, open_connections: server.connections }),
    };
  },
};
