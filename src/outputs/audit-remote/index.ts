// `type: audit_remote` output — auditflow as the agent that forwards audit records to a central
// auditd (tcp_listen_port) or an auditflow collector (audit_remote input): see client.ts. What
// goes on the wire are the event's audit records as auditd's RAW lines, each with `node=` (the
// record's own node, else `node:` from config, else this host's name) so the collector keeps
// hosts apart. Records with no audit records behind them (snoopy, bash history, auditflow's own
// notices) have no such form and are skipped, counted.
import type { ComponentDef, Output } from '../../pipeline/types.js';
import { kRaw, type NormalizedRecord } from '../../record.js';
import { parseHostPort } from '../../net/address.js';
import { RMW_MAX_MESSAGE } from '../../net/rmw.js';
import { rawLine } from '../auditlog.js';
import { RemoteClient } from './client.js';

export interface AuditRemoteOutputConfig {
  type: 'audit_remote';
  name?: string;
  servers: string[];
  node?: string;
  window: number;
  ack_timeout_ms: number;
  connect_timeout_ms: number;
  heartbeat_s: number;
  max_backoff_ms: number;
}

export const auditRemoteOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'servers'],
  properties: {
    type: { const: 'audit_remote' },
    name: { type: 'string', minLength: 1 },
    servers: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 3 },
      description: 'HOST:PORT of auditd (tcp_listen_port) or auditflow collectors, in failover order',
    },
    node: { type: 'string', minLength: 1, pattern: '^[^\\s]+$', description: 'node= for records that have none (default: the host name)' },
    window: {
      type: 'integer',
      minimum: 1,
      maximum: 4096,
      default: 128,
      description: "messages sent before their acks are back (1 = audisp-remote's stop-and-wait)",
    },
    ack_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 10000 },
    connect_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
    heartbeat_s: { type: 'integer', minimum: 0, maximum: 86400, default: 30, description: 'idle time before a HEARTBEAT checks the server (0: never)' },
    max_backoff_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
  },
} as const;

export class AuditRemoteOutput implements Output {
  readonly name: string;
  private skipped = 0;
  private tooLong = 0;
  private records = 0;
  constructor(
    private readonly client: RemoteClient,
    private readonly node: string | undefined,
    private readonly hostName: string | undefined,
    name: string,
  ) {
    this.name = name;
  }
  async start(): Promise<void> {
    this.client.start();
  }

  write(records: readonly NormalizedRecord[]): Promise<void> {
    const lines: string[] = [];
    for (const rec of records) {
      const raw = rec[kRaw];
      if (!Array.isArray(raw) || raw.length === 0) {
        this.skipped++;
        continue;
      }
      this.records++;
      const node = this.node ?? rec.host?.name ?? this.hostName;
      for (const r of raw) {
        const line = rawLine(r, r.node ?? node);
        // auditd drops what does not fit its buffer; sending it would stall the connection
        if (Buffer.byteLength(line) > RMW_MAX_MESSAGE - 1) {
          this.tooLong++;
          continue;
        }
        lines.push(line);
      }
    }
    return this.client.send(lines);
  }

  close(deadlineMs: number): Promise<void> {
    return this.client.close(deadlineMs);
  }

  stats() {
    return {
      records: this.records,
      skipped_no_audit_records: this.skipped,
      skipped_too_long: this.tooLong,
      pending: this.client.pending,
      ...this.client.counters,
    };
  }
}

export const auditRemoteOutput: ComponentDef<Output> = {
  type: 'audit_remote',
  schema: auditRemoteOutputSchema,
  preflight: (cfg: AuditRemoteOutputConfig, where) => {
    cfg.servers.forEach((s, i) => parseHostPort(s, `${where}.servers[${i}]`));
  },
  build: (cfg: AuditRemoteOutputConfig, ctx) => {
    const name = cfg.name ?? `audit_remote ${cfg.servers[0]}`;
    const client = new RemoteClient({
      name,
      servers: cfg.servers.map((s, i) => parseHostPort(s, `servers[${i}]`, 60)),
      window: cfg.window,
      ackTimeoutMs: cfg.ack_timeout_ms,
      connectTimeoutMs: cfg.connect_timeout_ms,
      heartbeatMs: cfg.heartbeat_s * 1000,
      maxBackoffMs: cfg.max_backoff_ms,
      log: ctx.log,
    });
    return new AuditRemoteOutput(client, cfg.node, ctx.hostName || undefined, name);
  },
};
