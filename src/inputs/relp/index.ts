// `type: relp` input — a RELP collector for rsyslog (omrelp) and auditflow agents (relp output).
// Each syslog message carries an audit record (reassembled per sending host) or an auditflow JSON
// record (passed through); both are journaled before the `rsp 200` (src/net/collector.ts).
import type { ComponentDef, Input, InputSink } from '../../pipeline/types.js';
import { parseHostPort } from '../../net/address.js';
import { ClientGate } from '../../net/allow.js';
import { Collector, journalDirFor } from '../../net/collector.js';
import { serverTlsOptions, tlsSchema, type TlsConfig } from '../../net/tls.js';
import { RelpServer } from './server.js';

export interface RelpInputConfig {
  type: 'relp';
  name?: string;
  listen: string;
  allow?: string[];
  max_per_addr: number;
  max_connections: number;
  keep_original: boolean;
  max_in_flight: number;
  reassembly_timeout_ms: number;
  journal_fsync: boolean;
  tls?: TlsConfig;
}

export const relpInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'listen'],
  properties: {
    type: { const: 'relp' },
    name: { type: 'string', minLength: 1 },
    listen: { type: 'string', minLength: 3, description: 'HOST:PORT (RELP\'s customary port is 2514)' },
    allow: { type: 'array', items: { type: 'string' } },
    max_per_addr: { type: 'integer', minimum: 1, maximum: 1024, default: 16 },
    max_connections: { type: 'integer', minimum: 1, maximum: 65536, default: 1024 },
    keep_original: { type: 'boolean', default: false },
    max_in_flight: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000 },
    reassembly_timeout_ms: { type: 'integer', minimum: 0, maximum: 600000, default: 2000 },
    journal_fsync: { type: 'boolean', default: false },
    tls: { ...tlsSchema, description: 'cert_file/key_file serve TLS; ca_file also requires client certificates signed by it' },
  },
} as const;

export const relpInput: ComponentDef<Input> = {
  type: 'relp',
  schema: relpInputSchema,
  preflight: (cfg: RelpInputConfig, where) => {
    parseHostPort(cfg.listen, `${where}.listen`);
    new ClientGate(cfg.allow, cfg.max_per_addr, where);
    if (cfg.tls) serverTlsOptions(cfg.tls, `${where}.tls`);
  },
  build: (cfg: RelpInputConfig, ctx): Input => {
    const name = cfg.name ?? `relp ${cfg.listen}`;
    const collector = new Collector({
      name,
      journalDir: journalDirFor(ctx.stateDir, 'relp', cfg.name ?? cfg.listen),
      keepOriginal: cfg.keep_original,
      maxInFlight: cfg.max_in_flight,
      reassemblyTimeoutMs: cfg.reassembly_timeout_ms,
      fsync: cfg.journal_fsync,
    });
    const server = new RelpServer({
      name,
      listen: parseHostPort(cfg.listen, 'listen'),
      tls: cfg.tls ? serverTlsOptions(cfg.tls, 'relp.tls') : undefined,
      gate: new ClientGate(cfg.allow, cfg.max_per_addr, 'relp'),
      maxConnections: cfg.max_connections,
      collector,
      log: ctx.log,
    });
    return {
      name,
      async start(sink: InputSink) { collector.start(sink); await server.start(sink); },
      async stop() { await server.stop(); await collector.stop(Date.now() + 3000); },
      stats: () => ({ ...collector.stats(), ...server.counters, open_connections: server.connections }),
    };
  },
};
