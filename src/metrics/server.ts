// The daemon's HTTP endpoint: /metrics (Prometheus text), /status (the same numbers as JSON, read
// by `auditflow status`), /healthz. Loopback by default; it serves counters, never records.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { AuditflowError } from '../errors.js';
import { DEFAULT_LISTEN, parseListen, type MetricsConfig } from './config.js';
import { SnapshotCollector } from './collect.js';

export interface MetricsServer {
  /** base URL, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

export interface StatusDocument {
  pid: number;
  started: string;
  uptime_s: number;
  [k: string]: unknown;
}

/**
 * Starts the endpoint. `snapshot` is called on every scrape (e.g. `() => daemon.stats()`), so the
 * numbers are always the live ones; nothing is sampled in the background.
 */
export async function startMetrics(cfg: MetricsConfig, snapshot: () => Record<string, unknown>, log: Logger): Promise<MetricsServer | null> {
  if (cfg.enabled === false) return null;
  const { host, port } = parseListen(cfg.listen ?? DEFAULT_LISTEN);
  const collector = new SnapshotCollector();
  const started = new Date();
  const server = http.createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        collector.update(snapshot());
        const text = await collector.render();
        res.writeHead(200, { 'content-type': collector.contentType }).end(text);
      } else if (path === '/status') {
        const doc: StatusDocument = {
          pid: process.pid,
          started: started.toISOString(),
          uptime_s: Math.round((Date.now() - started.getTime()) / 1000),
          ...snapshot(),
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /status, /healthz\n');
      }
    } catch (err) {
      log.error(`metrics endpoint: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new AuditflowError('AF_ERR_CONFIG', `cannot listen: ${err.message}`, 'metrics.listen', { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log.info('metrics endpoint listening', { url });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
