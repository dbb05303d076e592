// A local HTTP server that answers like Elasticsearch's `_bulk` and `_index_template` APIs, for
// tests and benchmarks (no Elasticsearch can be installed here). It keeps documents by index and
// _id so `create` of an existing _id is a real 409, enforces the documented request format
// (NDJSON content type, final newline, action/source pairs, create-only into data streams,
// @timestamp required there) and lets a test inject faults: whole-request 503/429/413, slow
// answers, and per-item 429/400/5xx verdicts.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface ItemVerdict {
  status: number;
  type?: string;
  reason?: string;
}

export interface BulkServerOptions {
  /** reject requests without this Authorization header value (401) */
  authorization?: string;
  /** bodies larger than this get 413, like http.max_content_length */
  maxBodyBytes?: number;
  /** keep only the ids, not the documents (benchmarks) */
  idsOnly?: boolean;
  /** serve HTTPS with this certificate (PEM files) */
  tls?: { certFile: string; keyFile: string };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface StoredTemplate {
  name: string;
  body: any;
}

export class BulkServer {
  readonly docs = new Map<string, Map<string, any>>();
  readonly templates = new Map<string, StoredTemplate>();
  readonly requests: ReceivedRequest[] = [];
  /** whole-request faults consumed one per `_bulk` request, in order */
  readonly faults: ({ status: number; body?: string } | { delayMs: number })[] = [];
  /** per-item fault injection: return a verdict to override the honest one */
  itemFault: ((doc: any, id: string, attempt: number) => ItemVerdict | undefined) | null = null;
  /** a fixed delay before every answer */
  delayMs = 0;
  /** while set, every `_bulk` request gets this status (an outage) */
  down: number | null = null;
  readonly attempts = new Map<string, number>();
  readonly counts = { bulkRequests: 0, items: 0, created: 0, conflicts: 0, injected: 0 };
  private server: http.Server | https.Server | null = null;
  port = 0;

  constructor(private readonly opts: BulkServerOptions = {}) {}

  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = this.opts.tls
      ? https.createServer({ cert: readFileSync(this.opts.tls.certFile), key: readFileSync(this.opts.tls.keyFile) }, handler)
      : http.createServer(handler);
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** All documents of an index or data stream. */
  index(name: string): Map<string, any> {
    return this.docs.get(name) ?? new Map();
  }

  private readonly dsCache = new Map<string, boolean>();

  private isDataStream(index: string): boolean {
    let v = this.dsCache.get(index);
    if (v === undefined) {
      v = this.matchDataStream(index);
      this.dsCache.set(index, v);
    }
    return v;
  }

  private matchDataStream(index: string): boolean {
    for (const t of this.templates.values()) {
      if (!t.body?.data_stream) continue;
      for (const p of t.body.index_patterns ?? []) if (globMatch(p, index)) return true;
    }
    return false;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = (status: number, obj: unknown) => {
        const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
        const send = () => {
          if (!res.destroyed) {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(text);
          }
        };
        if (this.delayMs > 0) setTimeout(send, this.delayMs);
        else send();
      };
      if (this.opts.authorization && req.headers.authorization !== this.opts.authorization) {
        return answer(401, { error: { type: 'security_exception', reason: 'missing authentication credentials' }, status: 401 });
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean);
      if (req.method === 'GET' && parts.length === 0) return answer(200, { version: { number: '8.15.0' }, tagline: 'You Know, for Search (test double)' });
      if (req.method === 'PUT' && parts[0] === '_index_template' && parts.length === 2) {
        let parsed;
        try {
          parsed = JSON.parse(body);
        } catch {
          return answer(400, { error: { type: 'parse_exception', reason: 'request body is not JSON' }, status: 400 });
        }
        if (!Array.isArray(parsed.index_patterns))
          return answer(400, { error: { type: 'action_request_validation_exception', reason: 'index patterns are missing' }, status: 400 });
        this.templates.set(parts[1], { name: parts[1], body: parsed });
        this.dsCache.clear();
        return answer(200, { acknowledged: true });
      }
      const bulkAt = parts.indexOf('_bulk');
      if (req.method === 'POST' && bulkAt >= 0 && bulkAt === parts.length - 1 && bulkAt <= 1) {
        return this.bulk(req, body, size, bulkAt === 1 ? parts[0] : undefined, answer);
      }
      answer(404, { error: { type: 'no_handler_found', reason: `no handler for ${req.method} ${url.pathname}` }, status: 404 });
    });
  }

  private bulk(req: http.IncomingMessage, body: string, size: number, urlIndex: string | undefined, answer: (s: number, o: unknown) => void): void {
    this.counts.bulkRequests++;
    if (this.down !== null) return answer(this.down, { error: { type: 'unavailable', reason: 'test outage' }, status: this.down });
    const fault = this.faults.shift();
    if (fault && 'delayMs' in fault) {
      setTimeout(() => this.bulkNow(req, body, size, urlIndex, answer), fault.delayMs);
      return;
    }
    if (fault) return answer(fault.status, fault.body ?? { error: { type: 'injected', reason: `injected ${fault.status}` }, status: fault.status });
    this.bulkNow(req, body, size, urlIndex, answer);
  }

  private bulkNow(req: http.IncomingMessage, body: string, size: number, urlIndex: string | undefined, answer: (s: number, o: unknown) => void): void {
    if (this.opts.maxBodyBytes && size > this.opts.maxBodyBytes) {
      return answer(413, { error: { type: 'content_too_long', reason: `request of ${size} bytes exceeds ${this.opts.maxBodyBytes}` }, status: 413 });
    }
    const ct = String(req.headers['content-type'] ?? '');
    if (!/^application\/(x-ndjson|json)\b/.test(ct)) {
      return answer(406, { error: `Content-Type header [${ct}] is not supported`, status: 406 });
    }
    if (!body.endsWith('\n')) {
      return answer(400, { error: { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }, status: 400 });
    }
    const lines = body.split('\n');
    lines.pop();
    const items: unknown[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i += 2) {
      let action: any;
      try {
        action = JSON.parse(lines[i]);
      } catch {
        return answer(400, { error: { type: 'x_content_parse_exception', reason: `malformed action/metadata line [${i + 1}]` }, status: 400 });
      }
      const ops = Object.keys(action);
      if (ops.length !== 1 || !['create', 'index'].includes(ops[0])) {
        return answer(400, {
          error: { type: 'illegal_argument_exception', reason: `Malformed action/metadata line [${i + 1}], expected create or index` },
          status: 400,
        });
      }
      const op = ops[0];
      const meta = action[op];
      const index: string | undefined = meta._index ?? urlIndex;
      const id: string = meta._id;
      if (i + 1 >= lines.length) return answer(400, { error: { type: 'illegal_argument_exception', reason: 'source line missing' }, status: 400 });
      this.counts.items++;
      const verdict = this.item(op, index, id, lines[i + 1]);
      if (verdict.status >= 300) errors = true;
      const entry: any = { _index: index, _id: id, status: verdict.status };
      if (verdict.status < 300) Object.assign(entry, { _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 } });
      else entry.error = { type: verdict.type, reason: verdict.reason, index };
      items.push({ [op]: entry });
    }
    answer(200, { took: 1, errors, items });
  }

  private item(op: string, index: string | undefined, id: string, source: string): ItemVerdict {
    if (!index) return { status: 400, type: 'action_request_validation_exception', reason: 'index is missing' };
    let doc: any;
    // idsOnly (benchmarks) measures the client: documents are counted, not parsed
    if (this.opts.idsOnly) doc = { '@timestamp': '' };
    else {
      try {
        doc = JSON.parse(source);
      } catch {
        return { status: 400, type: 'document_parsing_exception', reason: 'failed to parse document' };
      }
    }
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const injected = this.itemFault?.(doc, id, attempt);
    if (injected) {
      this.counts.injected++;
      return injected;
    }
    const ds = this.isDataStream(index);
    if (ds && op !== 'create')
      return { status: 400, type: 'illegal_argument_exception', reason: `only write ops with an op_type of create are allowed in data streams` };
    if (ds && typeof doc['@timestamp'] !== 'string')
      return { status: 400, type: 'document_parsing_exception', reason: 'data stream timestamp field [@timestamp] is missing' };
    let m = this.docs.get(index);
    if (!m) {
      m = new Map();
      this.docs.set(index, m);
    }
    if (id !== undefined && m.has(id)) {
      this.counts.conflicts++;
      return { status: 409, type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [1])` };
    }
    m.set(id ?? `auto-${m.size}`, this.opts.idsOnly ? true : doc);
    this.counts.created++;
    return { status: 201 };
  }
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(s);
}
