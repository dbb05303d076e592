// Builds one syslog message (header + JSON record) per record. The constant parts of the header
// are computed once per output; per record only the timestamp, the MSGID and the structured data
// vary, so the hot path is a handful of string concatenations around JSON.stringify.

import type { NormalizedRecord } from '../../record.js';
import type { ResolvedSyslogConfig } from './config.js';

export interface SyslogFormatter {
  /** Everything of the message before the JSON: PRI, header fields, structured data. */
  header(rec: NormalizedRecord): string;
  /** Text between the header and the JSON (`@cee:` cookie or nothing). */
  readonly cookie: string;
}

// RFC 5424 §6.2.4/§6.2.5: HOSTNAME/APP-NAME/PROCID/MSGID are PRINTUSASCII without spaces.
function printable(s: string, max: number): string {
  const cleaned = s.replace(/[^!-~]/g, '_').slice(0, max);
  return cleaned.length ? cleaned : '-';
}

// RFC 5424 §6.3.3: '"', '\' and ']' are escaped in PARAM-VALUE. Control characters are not
// forbidden there, but a raw newline would break newline-framed TCP, so they become spaces.
function escapeSd(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\\"\]]/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, ' ');
}

// host, module and action come from small sets: each distinct value is escaped once
const sdCache = new Map<string, string>();
function sdValue(s: string): string {
  let v = sdCache.get(s);
  if (v === undefined) {
    v = escapeSd(s);
    if (sdCache.size < 4096) sdCache.set(s, v);
  }
  return v;
}

const msgIds = new Map<string, string>();
function msgId(module: string): string {
  let v = msgIds.get(module);
  if (v === undefined) {
    v = printable(module, 32);
    if (msgIds.size < 256) msgIds.set(module, v);
  }
  return v;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? '0' + n : '' + n);

/** RFC 3164 TIMESTAMP ("Mmm dd hh:mm:ss", day space-padded) in the daemon's local time. */
export function bsdTimestamp(ms: number): string {
  const d = new Date(ms);
  const day = d.getDate();
  return `${MONTHS[d.getMonth()]} ${day < 10 ? ' ' + day : day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

// Records carry ISO 8601 UTC with milliseconds, which is a valid RFC 5424 TIMESTAMP as it is.
function isIsoUtc(ts: unknown): ts is string {
  return typeof ts === 'string' && ts.length >= 20 && ts.length <= 32 && ts.charCodeAt(10) === 84 /* T */ && ts.endsWith('Z');
}

export function createFormatter(cfg: ResolvedSyslogConfig, hostName: string): SyslogFormatter {
  const pri = `<${cfg.facility * 8 + cfg.severity}>`;
  const host = printable(hostName, 255);
  const app = printable(cfg.appName, 48);
  const cookie = cfg.ceeCookie ? '@cee:' : '';
  if (cfg.format === 'rfc3164') {
    // TAG is alphanumeric up to 32 chars; the pid in brackets is the sender's (ours).
    const tag = cfg.appName.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32) || 'auditflow';
    const tail = ` ${host} ${tag}[${process.pid}]: `;
    return {
      cookie,
      header(rec) {
        const ms = Date.parse(rec['@timestamp']);
        return pri + bsdTimestamp(Number.isNaN(ms) ? Date.now() : ms) + tail;
      },
    };
  }
  const middle = ` ${host} ${app} ${process.pid} `;
  const sdOpen = `[${cfg.sdId} host="`;
  return {
    cookie,
    header(rec) {
      const ts = rec['@timestamp'];
      const module = rec.event?.module;
      const recHost = typeof rec.host?.name === 'string' ? rec.host.name : hostName;
      const action = typeof rec.event?.action === 'string' ? rec.event.action : '';
      return (
        pri +
        '1 ' +
        (isIsoUtc(ts) ? ts : '-') +
        middle +
        (module ? msgId(module) : '-') +
        ' ' +
        sdOpen +
        sdValue(recHost) +
        '" module="' +
        sdValue(module ?? '') +
        '" action="' +
        sdValue(action) +
        '"] '
      );
    },
  };
}

/** RFC 6587 §3.4.1 octet counting: "LEN SP MSG", LEN in bytes. */
export function frameOctetCounted(msg: string, bytes: number): string {
  return bytes + ' ' + msg;
}
