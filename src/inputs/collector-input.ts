// What the collector inputs (audit_remote, relp) share: the keys that govern who may connect and
// how received events are journaled and reassembled, and the Input made of a protocol server in
// front of a Collector (src/net/collector.ts). Each protocol adds only its server and its keys.
import type { BuildContext, Input, InputSink } from '../pipeline/types.js';
import { parseHostPort } from '../net/address.js';
import { ClientGate } from '../net/allow.js';
import { Collector, journalDirFor } from '../net/collector.js';

export interface CollectorInputConfig {
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

export function collectorSchemaProperties(o: { listen: string; maxPerAddr: number }) {
  return {
    name: { type: 'string', minLength: 1 },
    listen: { type: 'string', minLength: 3, description: o.listen },
    allow: {
      type: 'array',
      items: { type: 'string' },
      description: 'client addresses or CIDR blocks allowed to connect; absent: anyone who can reach the port',
    },
    max_per_addr: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: o.maxPerAddr,
      description: 'connections per client address (auditd tcp_max_per_addr)',
    },
    max_connections: { type: 'integer', minimum: 1, maximum: 65536, default: 1024 },
    keep_original: { type: 'boolean', default: false, description: 'keep the raw records as event.original' },
    max_in_flight: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000, description: 'open events per origin host' },
    reassembly_timeout_ms: { type: 'integer', minimum: 0, maximum: 600000, default: 2000 },
    journal_fsync: { type: 'boolean', default: false, description: 'fsync the journal before acknowledging (survives power loss, slower)' },
  } as const;
}

export function checkCollectorConfig(cfg: CollectorInputConfig, where: string): void {
  parseHostPort(cfg.listen, `${where}.listen`);
  new ClientGate(cfg.allow, cfg.max_per_addr, where);
}

/** What a protocol server needs from the collector input, and what it offers back. */
export interface CollectorServerParts {
  name: string;
  listen: ReturnType<typeof parseHostPort>;
  gate: ClientGate;
  maxConnections: number;
  collector: Collector;
  log: BuildContext['log'];
}
export interface CollectorServer {
  start(sink: InputSink): Promise<void>;
  stop(): Promise<void>;
  readonly counters: Record<string, number>;
  readonly connections: number;
}

export function createCollectorInput(
  type: string,
  cfg: CollectorInputConfig,
  ctx: BuildContext,
  server: (parts: CollectorServerParts) => CollectorServer,
): Input {
  const name = cfg.name ?? `${type} ${cfg.listen}`;
  const collector = new Collector({
    name,
    journalDir: journalDirFor(ctx.stateDir, type, cfg.name ?? cfg.listen),
    keepOriginal: cfg.keep_original,
    maxInFlight: cfg.max_in_flight,
    reassemblyTimeoutMs: cfg.reassembly_timeout_ms,
    fsync: cfg.journal_fsync,
  });
  const srv = server({
    name,
    listen: parseHostPort(cfg.listen, 'listen'),
    gate: new ClientGate(cfg.allow, cfg.max_per_addr, type),
    maxConnections: cfg.max_connections,
    collector,
    log: ctx.log,
  });
  return {
    name,
    async start(sink: InputSink) {
      collector.start(sink);
      await srv.start(sink);
    },
    async stop() {
      await srv.stop();
      await collector.stop(Date.now() + 3000);
    },
    stats: () => ({ ...collector.stats(), ...srv.counters, open_connections: srv.connections }),
  };
}
