// `type: redis` — records as JSON into Redis, the classic buffer in front of Logstash: RPUSH onto
// a list (what Logstash's redis input reads with data_type => "list") or XADD to a stream capped
// by MAXLEN. A batch goes out pipelined (a list takes it as one variadic RPUSH, which Redis applies
// whole); write() resolves once Redis has answered every command. A dropped connection or an error
// reply means the batch's unconfirmed part is sent again after a reconnect with backoff
// (at-least-once: a reply lost after Redis applied the command duplicates those records).
// RESP is spoken here directly (resp.ts, ~100 lines): the output needs five commands, and no
// client library's reconnect queue may decide on its own what was delivered.
import type { ComponentDef, Output } from '../../pipeline/types.js';
import type { NormalizedRecord } from '../../record.js';
import type { Logger } from '../../log.js';
import { AuditflowError, configError } from '../../errors.js';
import { checkUrl } from '../../config/preflight.js';
import { clientTlsOptions, tlsSchema, type TlsConfig } from '../../net/tls.js';
import { toJsonLines } from '../json-lines.js';
import { RedisConnection, type RedisTarget } from './connection.js';
import { RespError } from './resp.js';

export interface RedisOutputConfig {
  type: 'redis';
  name?: string;
  url: string;
  key: string;
  data_type: 'list' | 'stream';
  maxlen: number;
  field: string;
  batch_size: number;
  password?: string;
  tls?: TlsConfig;
  connect_timeout_ms: number;
  max_backoff_ms: number;
}

export const redisOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'url', 'key'],
  properties: {
    type: { const: 'redis' },
    name: { type: 'string', minLength: 1 },
    url: { type: 'string', minLength: 1, description: 'redis://[user:password@]HOST:PORT/DB, or rediss:// for TLS' },
    key: { type: 'string', minLength: 1, description: 'list or stream key (Logstash redis input: key =>)' },
    data_type: { enum: ['list', 'stream'], default: 'list' },
    maxlen: { type: 'integer', minimum: 1, default: 1000000, description: 'streams: XADD MAXLEN ~ this many entries' },
    field: { type: 'string', minLength: 1, default: 'message', description: 'streams: the entry field holding the JSON' },
    batch_size: { type: 'integer', minimum: 1, maximum: 100000, default: 500 },
    password: { type: 'string', description: "AUTH password (overrides the URL's)" },
    tls: tlsSchema,
    connect_timeout_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
    max_backoff_ms: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
  },
} as const;

function target(cfg: RedisOutputConfig, where: string): RedisTarget {
  const u = checkUrl(`${where}.url`, cfg.url, ['redis:', 'rediss:']);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw configError(`${where}.url`, `"${dbText}" is not a database number`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const useTls = u.protocol === 'rediss:' || cfg.tls !== undefined;
  const password = cfg.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    db,
    username: u.username && password !== undefined ? decodeURIComponent(u.username) : undefined,
    password,
    tls: useTls ? clientTlsOptions(cfg.tls ?? {}, `${where}.tls`, host) : undefined,
    connectTimeoutMs: cfg.connect_timeout_ms,
  };
}

export class RedisOutput implements Output {
  readonly name: string;
  private conn: RedisConnection | null = null;
  private closing = false;
  private lastError = '';
  counters = { records: 0, commands: 0, retries: 0, reconnects: 0, error_replies: 0 };
  constructor(
    private readonly cfg: RedisOutputConfig,
    private readonly t: RedisTarget,
    private readonly log: Logger,
  ) {
    this.name = cfg.name ?? `redis ${cfg.key}`;
  }

  async start(): Promise<void> {}

  async write(records: readonly NormalizedRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += this.cfg.batch_size) {
      const lines = toJsonLines(records.slice(i, i + this.cfg.batch_size)).split('\n');
      lines.pop();
      await this.deliver(lines);
      this.counters.records += lines.length;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.conn?.close();
    this.conn = null;
  }

  stats() {
    return { ...this.counters };
  }

  /** Sends until Redis has confirmed every line; a failed part is sent again. */
  private async deliver(lines: string[]): Promise<void> {
    let todo = lines;
    for (let attempt = 0; todo.length > 0; attempt++) {
      if (attempt > 0) {
        this.counters.retries++;
        if (this.closing) throw new AuditflowError('AF_ERR_OUTPUT', 'closed with records undelivered', this.name);
        await new Promise((r) => setTimeout(r, Math.min(this.cfg.max_backoff_ms, 50 * 2 ** Math.min(attempt, 16))));
      }
      try {
        const conn = await this.connection();
        const cmds =
          this.cfg.data_type === 'list'
            ? [['RPUSH', this.cfg.key, ...todo]]
            : todo.map((l) => ['XADD', this.cfg.key, 'MAXLEN', '~', String(this.cfg.maxlen), '*', this.cfg.field, l]);
        this.counters.commands += cmds.length;
        const replies = await Promise.allSettled(conn.pipeline(cmds));
        // list: one command for all; stream: the first unconfirmed entry and everything after it
        let ok = 0;
        while (ok < replies.length && replies[ok].status === 'fulfilled' && !((replies[ok] as PromiseFulfilledResult<unknown>).value instanceof RespError))
          ok++;
        if (ok === replies.length) {
          todo = [];
          break;
        }
        const bad = replies[ok];
        const why = bad.status === 'rejected' ? (bad.reason as Error).message : (bad as PromiseFulfilledResult<RespError>).value.message;
        if (bad.status === 'fulfilled') this.counters.error_replies++;
        this.report(why);
        todo = this.cfg.data_type === 'list' ? todo : todo.slice(ok);
      } catch (err) {
        this.report((err as Error).message);
      }
    }
  }

  private async connection(): Promise<RedisConnection> {
    if (this.conn && !this.conn.broken) return this.conn;
    this.conn?.close();
    this.conn = null;
    this.counters.reconnects++;
    this.conn = await RedisConnection.open(this.t);
    return this.conn;
  }

  private report(why: string): void {
    if (why !== this.lastError) this.log.warn(`redis ${this.t.host}:${this.t.port} ${this.cfg.key}: ${why}; retrying`, { output: this.name });
    this.lastError = why;
  }
}

export const redisOutput: ComponentDef<Output> = {
  type: 'redis',
  schema: redisOutputSchema,
  preflight: (cfg: RedisOutputConfig, where) => {
    target(cfg, where);
  },
  build: (cfg: RedisOutputConfig, ctx) => new RedisOutput(cfg, target(cfg, 'redis'), ctx.log),
};
