// Config of the syslog output: the JSON Schema (validated once at load) and the resolved runtime
// settings with defaults applied. Unknown keys are rejected.

import { queueSchema, type QueueConfig } from '../spool/config.js';

export type SyslogProtocol = 'udp' | 'tcp' | 'tls';
export type SyslogFormat = 'rfc5424' | 'rfc3164';
export type SyslogFraming = 'octet_counting' | 'newline';
export type OversizePolicy = 'truncate_fields' | 'drop';

export interface SyslogTlsConfig {
  /** PEM file(s) of the CA that signed the receiver's certificate; system CAs when absent. */
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  /** Name the receiver's certificate must carry; defaults to `host`. */
  server_name?: string;
  /** Turning this off accepts any certificate: for labs only, and logged loudly. */
  verify?: boolean;
}

export interface SyslogConfig {
  type: 'syslog';
  name?: string;
  host?: string;
  port?: number;
  protocol?: SyslogProtocol;
  format?: SyslogFormat;
  framing?: SyslogFraming;
  facility?: string | number;
  severity?: string | number;
  app_name?: string;
  /** SD-ID of the structured data element carrying host/module/action (RFC 5424 only). */
  sd_id?: string;
  /** Prefix the JSON with `@cee:` for rsyslog's mmjsonparse. */
  cee_cookie?: boolean;
  /** Largest whole syslog message (header + JSON) the receiver accepts; rsyslog's default is 8k. */
  max_message_bytes?: number;
  on_oversize?: OversizePolicy;
  tls?: SyslogTlsConfig;
  reconnect?: { initial_ms?: number; max_ms?: number };
  /**
   * Bytes of sent messages kept in doubt and sent again after a dropped TCP/TLS connection;
   * default: this host's largest send plus receive socket buffers, below which loss is possible.
   */
  resend_bytes?: number;
  queue?: QueueConfig;
}

export const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  security: 13,
  console: 14,
  solaris_cron: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};
export const SEVERITIES: Record<string, number> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

export const syslogSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'syslog' },
    name: { type: 'string', minLength: 1 },
    host: { type: 'string', minLength: 1, default: '127.0.0.1' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    protocol: { enum: ['udp', 'tcp', 'tls'], default: 'udp' },
    format: { enum: ['rfc5424', 'rfc3164'], default: 'rfc5424' },
    framing: { enum: ['octet_counting', 'newline'] },
    facility: { anyOf: [{ enum: Object.keys(FACILITIES) }, { type: 'integer', minimum: 0, maximum: 23 }] },
    severity: { anyOf: [{ enum: Object.keys(SEVERITIES) }, { type: 'integer', minimum: 0, maximum: 7 }] },
    // RFC 5424 APP-NAME: 1*48 PRINTUSASCII
    app_name: { type: 'string', pattern: '^[!-~]{1,48}$' },
    // RFC 5424 SD-NAME: printable ASCII except '=', ' ', ']', '"'; custom ids carry @<PEN>
    sd_id: { type: 'string', pattern: '^[!#-<>-\\\\^-~]{1,32}$' },
    cee_cookie: { type: 'boolean' },
    max_message_bytes: { type: 'integer', minimum: 480, maximum: 1048576 },
    on_oversize: { enum: ['truncate_fields', 'drop'] },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca_file: { type: 'string' },
        cert_file: { type: 'string' },
        key_file: { type: 'string' },
        server_name: { type: 'string' },
        verify: { type: 'boolean' },
      },
      dependencies: { cert_file: ['key_file'], key_file: ['cert_file'] },
    },
    reconnect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initial_ms: { type: 'integer', minimum: 10 },
        max_ms: { type: 'integer', minimum: 10 },
      },
    },
    resend_bytes: { type: 'integer', minimum: 0 },
    // applied by the daemon around this output (src/outputs/spool)
    queue: queueSchema,
  },
} as const;

export interface ResolvedSyslogConfig {
  name: string;
  host: string;
  port: number;
  protocol: SyslogProtocol;
  format: SyslogFormat;
  framing: SyslogFraming;
  facility: number;
  severity: number;
  appName: string;
  sdId: string;
  ceeCookie: boolean;
  maxMessageBytes: number;
  onOversize: OversizePolicy;
  tls: SyslogTlsConfig;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** undefined: sized from the socket buffers (stream.ts) */
  resendBytes: number | undefined;
}

const DEFAULT_PORT: Record<SyslogProtocol, number> = { udp: 514, tcp: 514, tls: 6514 };

export function resolveSyslogConfig(c: SyslogConfig): ResolvedSyslogConfig {
  const protocol = c.protocol ?? 'udp';
  const host = c.host ?? '127.0.0.1';
  const port = c.port ?? DEFAULT_PORT[protocol];
  return {
    name: c.name ?? `syslog:${protocol}://${host}:${port}`,
    host,
    port,
    protocol,
    format: c.format ?? 'rfc5424',
    // RFC 5425 mandates octet counting over TLS; RFC 6587 calls it the one to prefer over TCP
    framing: c.framing ?? 'octet_counting',
    facility: typeof c.facility === 'number' ? c.facility : FACILITIES[c.facility ?? 'authpriv'],
    severity: typeof c.severity === 'number' ? c.severity : SEVERITIES[c.severity ?? 'info'],
    appName: c.app_name ?? 'auditflow',
    sdId: c.sd_id ?? 'auditflow@32473',
    ceeCookie: c.cee_cookie ?? false,
    maxMessageBytes: c.max_message_bytes ?? 8192,
    onOversize: c.on_oversize ?? 'truncate_fields',
    tls: c.tls ?? {},
    reconnectInitialMs: c.reconnect?.initial_ms ?? 200,
    reconnectMaxMs: c.reconnect?.max_ms ?? 30000,
    resendBytes: c.resend_bytes,
  };
}
