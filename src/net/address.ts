// "HOST:PORT" as config writes it: 127.0.0.1:60, [::1]:60, collector.example:60.
import { configError } from '../errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, where: string, defaultPort?: number): HostPort {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) throw configError(where, `"${text}": unterminated [IPv6] address`);
    host = text.slice(1, end);
    if (text.length > end + 1) {
      if (text[end + 1] !== ':') throw configError(where, `"${text}": expected ":PORT" after ]`);
      portText = text.slice(end + 2);
    }
  } else {
    const colon = text.lastIndexOf(':');
    // a bare IPv6 address has several colons and no port
    if (colon >= 0 && text.indexOf(':') === colon) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw configError(where, `"${text}": needs a port 1-65535 (HOST:PORT, [IPv6]:PORT)`);
  }
  if (host.length === 0) throw configError(where, `"${text}": empty host`);
  return { host, port };
}

export const formatHostPort = (hp: HostPort) => (hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`);
