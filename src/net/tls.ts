// TLS settings shared by the fleet components (redis, relp): one schema, one way to turn the
// files into node:tls options, loaded and checked as check-config checks them.
import type tls from 'node:tls';
import { configError } from '../errors.js';
import { checkTlsMaterial } from '../config/preflight.js';

export interface TlsConfig {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  server_name?: string;
  verify?: boolean;
}

export const tlsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ca_file: { type: 'string', minLength: 1, description: "PEM CA bundle the peer's certificate must chain to (default: the system's)" },
    cert_file: { type: 'string', minLength: 1, description: 'our certificate (client auth / server certificate)' },
    key_file: { type: 'string', minLength: 1 },
    server_name: { type: 'string', minLength: 1, description: 'name the server certificate must carry (default: the host)' },
    verify: { type: 'boolean', default: true, description: 'false accepts any certificate (testing only)' },
  },
  dependencies: { cert_file: ['key_file'], key_file: ['cert_file'] },
} as const;

/** Options for tls.connect (client side). */
export function clientTlsOptions(cfg: TlsConfig, where: string, host: string): tls.ConnectionOptions {
  return {
    ...checkTlsMaterial(where, cfg),
    servername: cfg.server_name ?? (/^[\d.]+$|:/.test(host) ? undefined : host),
    rejectUnauthorized: cfg.verify !== false,
  };
}

/** Options for tls.createServer: the certificate is required; a CA means clients must present one. */
export function serverTlsOptions(cfg: TlsConfig, where: string): tls.TlsOptions {
  if (!cfg.cert_file || !cfg.key_file) throw configError(where, 'a TLS listener needs cert_file and key_file');
  const { ca, cert, key } = checkTlsMaterial(where, cfg);
  return {
    cert,
    key,
    ca,
    requestCert: ca !== undefined,
    rejectUnauthorized: ca !== undefined && cfg.verify !== false,
  };
}
