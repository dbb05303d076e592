// `type: relp` output — records to rsyslog (imrelp) or an auditflow collector (relp input) over
// RELP, each as one RFC 5424 syslog message whose HOSTNAME is the record's host.name (so a relay
// keeps the origin) and whose MSG is the record's JSON. Delivered means answered `200 OK`; see
// client.ts for sessions, windows and failover.
import type { ComponentDef, Output } from '../../pipeline/types.js';
import type { NormalizedRecord } from '../../record.js';
import { parseHostPort } from '../../net/address.js';
import { clientTlsOptions, tlsSchema, type TlsConfig } from '../../net/tls.js';
import { RelpClient } from './client.js';

export interface RelpOutputConfig {
  type: 'relp';
  name?: string;
  servers: string[];
  app_name: string;
  facility: number;
  window: number;
  ack_timeout_ms: number;
  connect_timeout_ms: number;
  max_backoff_ms: number;
  tls?: TlsConfig;
}

export const relpOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'servers'],
  properties: {
    type: { const: 'relp' },
    name: { type: 'string', minLength: 1 },
    servers: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 3 },
      description: 'HOST:PORT of RELP receivers, in failover order (port default 2514)',
    },
    app_name: { type: 'string', pattern: '^[!-~]{1,48}$', default: 'auditflow' },
    facility: { type: 'integer', minimum: 0, maximum: 23, default: 13, description: 'syslog facility number (13: log audit)' },
    window: { type: 'integer', minimum: 1, maximum: 4096, default: 128, description: "messages in flight (rsyslog omrelp's default window is 128)" },
    ack_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 10000 },
    connect_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
    max_backoff_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
    tls: tlsSchema,
  },
} as const;

const printable = (s: string, max: number) => s.replace(/[^!-~]/g, '_').slice(0, max) || '-';

export class RelpOutput implements Output {
  readonly name: string;
  private records = 0;
  constructor(
    private readonly client: RelpClient,
    private readonly cfg: RelpOutputConfig,
    private readonly hostName: string,
    name: string,
  ) {
    this.name = name;
  }
  async start(): Promise<void> {
    this.client.start();
  }

  write(records: readonly NormalizedRecord[]): Promise<void> {
    const pri = `<${this.cfg.facility * 8 + 6}>1 `;
    const app = printable(this.cfg.app_name, 48);
    const msgs = records.map((r) => {
      const host = printable(typeof r.host?.name === 'string' ? r.host.name : this.hostName, 255);
      return Buffer.from(`${pri}${r['@timestamp'] ?? '-'} ${host} ${app} - ${printable(r.event?.module ?? '-', 32)} - ${JSON.stringify(r)}`, 'utf8');
    });
    this.records += msgs.length;
    return this.client.send(msgs);
  }

  close(deadlineMs: number): Promise<void> {
    return this.client.close(deadlineMs);
  }
  stats() {
    return { records: this.records, pending: this.client.pending, ...this.client.counters };
  }
}

export const relpOutput: ComponentDef<Output> = {
  type: 'relp',
  schema: relpOutputSchema,
  preflight: (cfg: RelpOutputConfig, where) => {
    cfg.servers.forEach((s, i) => parseHostPort(s, `${where}.servers[${i}]`, 2514));
    if (cfg.tls) clientTlsOptions(cfg.tls, `${where}.tls`, 'localhost');
  },
  build: (cfg: RelpOutputConfig, ctx) => {
    const name = cfg.name ?? `relp ${cfg.servers[0]}`;
    const tlsCfg = cfg.tls;
    const client = new RelpClient({
      name,
      servers: cfg.servers.map((s, i) => parseHostPort(s, `servers[${i}]`, 2514)),
      tls: tlsCfg ? (host) => clientTlsOptions(tlsCfg, 'relp.tls', host) : undefined,
      window: cfg.window,
      ackTimeoutMs: cfg.ack_timeout_ms,
      connectTimeoutMs: cfg.connect_timeout_ms,
      maxBackoffMs: cfg.max_backoff_ms,
      log: ctx.log,
    });
    return new RelpOutput(client, cfg, ctx.hostName, name);
  },
};
