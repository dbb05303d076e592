// HTTP(S) to the cluster: one keep-alive agent, auth header, CA, a timeout per request. Answers
// are returned whatever their status; only transport failures reject.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { AuditflowError } from '../../errors.js';
import type { ResolvedElasticsearchConfig } from './config.js';

export interface HttpAnswer {
  status: number;
  body: string;
}

export class EsService {
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly requests = new Set<http.ClientRequest>();

  constructor(private readonly cfg: ResolvedElasticsearchConfig) {
    const isHttps = cfg.url.protocol === 'https:';
    this.mod = isHttps ? https : http;
    if (isHttps) {
      let ca: Buffer | undefined;
      if (cfg.caFile) {
        try {
          ca = readFileSync(cfg.caFile);
        } catch (err) {
          throw new AuditflowError('AF_ERR_CONFIG', `cannot read CA file ${cfg.caFile}: ${(err as Error).message}`, `${cfg.name}.tls.ca_file`);
        }
      }
      this.agent = new https.Agent({ keepAlive: true, maxSockets: cfg.concurrency, ca, rejectUnauthorized: cfg.verify });
    } else {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: cfg.concurrency });
    }
  }

  request(method: string, path: string, body: string | Buffer | undefined, contentType = 'application/json'): Promise<HttpAnswer> {
    const url = new URL(path, this.cfg.url);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (this.cfg.authorization) headers.authorization = this.cfg.authorization;
    return new Promise((resolve, reject) => {
      const req = this.mod.request(url, { method, headers, agent: this.agent, timeout: this.cfg.requestTimeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          this.requests.delete(req);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => {
          this.requests.delete(req);
          reject(err);
        });
      });
      this.requests.add(req);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.cfg.requestTimeoutMs} ms`)));
      req.on('error', (err) => {
        this.requests.delete(req);
        reject(err);
      });
      req.end(body);
    });
  }

  /** Aborts requests still waiting (shutdown deadline) and closes idle connections. */
  destroy(): void {
    for (const r of this.requests) r.destroy(new Error('output closed'));
    this.requests.clear();
    this.agent.destroy();
  }
}
