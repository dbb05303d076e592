// What `auditflow status` uses to read a running daemon's numbers from its endpoint.

import http from 'node:http';
import { AuditflowError } from '../errors.js';
import { DEFAULT_LISTEN, parseListen } from './config.js';
import type { StatusDocument } from './server.js';

/** GET /status of the daemon listening at `listen` (host:port); rejects if none answers. */
export function fetchStatus(listen: string = DEFAULT_LISTEN, timeoutMs = 2000): Promise<StatusDocument> {
  const { host, port } = parseListen(listen);
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/status', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new AuditflowError('AF_ERR_USAGE', `daemon answered ${res.statusCode}`, `http://${listen}/status`));
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new AuditflowError('AF_ERR_USAGE', 'daemon answered something that is not JSON', `http://${listen}/status`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new AuditflowError('AF_ERR_USAGE', `no auditflow daemon answering: ${err.message}`, `http://${listen}/status`)));
  });
}
