// The Elasticsearch output: records become `_bulk` create items with deterministic ids, batched
// by count, bytes and time, up to `concurrency` requests at a time. Per item: 2xx and 409 are done, 429/5xx
// are sent again with backoff and jitter, other 4xx go to the dead-letter file with the reason.
// write() resolves when every one of its records reached one of those ends.

import type { NormalizedRecord } from '../../record.js';
import type { BuildContext, Output } from '../../pipeline/types.js';
import type { Logger } from '../../log.js';
import { AuditflowError } from '../../errors.js';
import { resolveElasticsearchConfig, type ElasticsearchConfig, type ResolvedElasticsearchConfig } from './config.js';
import { bulkBody, bulkItem, documentId, indexResolver, indexTemplate, parseBulkResponse, type BulkItem } from './request.js';
import { EsService } from './service.js';
import { DeadLetterFile } from './dead-letter.js';

interface Ticket {
  left: number;
  resolve: () => void;
  reject: (err: Error) => void;
  settled: boolean;
}
interface Pending {
  item: BulkItem;
  ticket: Ticket;
}

export class ElasticsearchOutput implements Output {
  readonly name: string;
  readonly cfg: ResolvedElasticsearchConfig;
  private readonly log: Logger;
  private readonly service: EsService;
  private readonly deadLetters: DeadLetterFile;
  private readonly indexFor: (rec: NormalizedRecord) => string;
  private queue: Pending[] = [];
  private queueBytes = 0;
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing = false;
  private closed = false;
  private templateDone: boolean;
  private wake: (() => void) | null = null;
  private lastProblem = '';
  private readonly counters = {
    records_out: 0,
    duplicates: 0,
    dead_lettered: 0,
    retried_items: 0,
    requests: 0,
    request_errors: 0,
    split_requests: 0,
    bytes_out: 0,
  };

  constructor(config: ElasticsearchConfig, ctx: BuildContext) {
    this.cfg = resolveElasticsearchConfig(config, ctx.stateDir);
    this.name = this.cfg.name;
    this.log = ctx.log;
    this.service = new EsService(this.cfg);
    this.deadLetters = new DeadLetterFile(this.cfg.deadLetterPath, this.name);
    this.indexFor = indexResolver(this.cfg.target);
    this.templateDone = !this.cfg.template.install;
  }

  // the cluster may be down at start: the template is installed before the first bulk instead
  async start(): Promise<void> {}

  write(records: readonly NormalizedRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new AuditflowError('AF_ERR_OUTPUT', 'output is closed', this.name));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const ticket: Ticket = { left: records.length, resolve, reject, settled: false };
      for (let i = 0; i < records.length; i++) {
        const rec = records[i];
        const doc = JSON.stringify(rec);
        const item = bulkItem(this.indexFor(rec), documentId(rec, doc), doc);
        this.queue.push({ item, ticket });
        this.queueBytes += item.bytes;
      }
      this.kick();
    });
  }

  /**
   * Starts sends while fewer than `concurrency` are running: full batches at once, a partial one
   * when its timer fires (or at shutdown).
   */
  private kick(partialDue = false): void {
    while (!this.closed && this.active < this.cfg.concurrency && this.queue.length > 0) {
      const full = this.queue.length >= this.cfg.maxEvents || this.queueBytes >= this.cfg.maxBytes;
      if (!full && !partialDue && !this.flushing && this.cfg.timeoutMs > 0) {
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.kick(true);
        }, this.cfg.timeoutMs);
        return;
      }
      partialDue = false;
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      const batch = this.take();
      this.active++;
      void this.send(batch).finally(() => {
        this.active--;
        this.kick();
      });
    }
  }

  private take(): Pending[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.cfg.maxEvents) {
      const b = this.queue[n].item.bytes;
      if (n > 0 && bytes + b > this.cfg.maxBytes) break;
      bytes += b;
      n++;
    }
    this.queueBytes -= bytes;
    return this.queue.splice(0, n);
  }

  /** Sends until every item is done, dead-lettered, or the output closes. */
  private async send(batch: Pending[]): Promise<void> {
    let todo = batch;
    let attempt = 0;
    while (todo.length > 0) {
      if (this.closed) {
        this.fail(todo);
        return;
      }
      let status = 0;
      let body = '';
      try {
        await this.ensureTemplate();
        const payload = bulkBody(todo.map((p) => p.item));
        this.counters.requests++;
        const ans = await this.service.request('POST', '_bulk', payload, 'application/x-ndjson');
        status = ans.status;
        body = ans.body;
        if (status === 200) this.counters.bytes_out += Buffer.byteLength(payload);
      } catch (err) {
        if (this.closed) continue;
        this.problem(`request failed: ${(err as Error).message}`);
        await this.backoff(attempt++);
        continue;
      }
      if (status === 200) {
        let results;
        try {
          results = parseBulkResponse(body, todo.length);
        } catch (err) {
          this.problem(`unreadable _bulk response: ${(err as Error).message}`);
          await this.backoff(attempt++);
          continue;
        }
        const again: Pending[] = [];
        const dead: { p: Pending; status: number; type?: string; reason?: string }[] = [];
        for (let i = 0; i < todo.length; i++) {
          const r = results[i];
          const p = todo[i];
          if (r.outcome === 'created') {
            this.counters.records_out++;
            this.done(p);
          } else if (r.outcome === 'duplicate') {
            this.counters.duplicates++;
            this.done(p);
          } else if (r.outcome === 'retry') {
            p.item.attempts++;
            again.push(p);
          } else dead.push({ p, status: r.status, type: r.error?.type, reason: r.error?.reason });
        }
        if (dead.length) await this.deadLetter(dead);
        if (again.length) {
          this.counters.retried_items += again.length;
          this.problem(`${again.length} of ${todo.length} items refused for now (status ${results.find((r) => r.outcome === 'retry')!.status})`);
          await this.backoff(attempt++);
        }
        todo = again;
        continue;
      }
      if (status === 413) {
        // too large for http.max_content_length: halve until it fits; a lone item never will
        if (todo.length === 1) {
          await this.deadLetter([
            { p: todo[0], status, type: 'request_entity_too_large', reason: 'document larger than the cluster accepts in one request (413)' },
          ]);
          return;
        }
        this.counters.split_requests++;
        const half = todo.length >> 1;
        await this.send(todo.slice(0, half));
        await this.send(todo.slice(half));
        return;
      }
      if (status === 429 || status >= 500 || status === 401 || status === 403 || status === 408) {
        // overload and outages pass; bad credentials are an operator's to fix (reload), never a reason to drop
        this.problem(`_bulk answered ${status}: ${body.slice(0, 300)}`);
        await this.backoff(attempt++);
        continue;
      }
      // any other refusal of the whole request: these records will not go in as they are
      await this.deadLetter(todo.map((p) => ({ p, status, type: 'request_rejected', reason: body.slice(0, 1000) })));
      return;
    }
  }

  private templating: Promise<void> | null = null;

  /** Installs the index template once, before the first bulk; concurrent sends wait for it. */
  private ensureTemplate(): Promise<void> {
    if (this.templateDone) return Promise.resolve();
    this.templating ??= this.installTemplate().finally(() => {
      this.templating = null;
    });
    return this.templating;
  }

  private async installTemplate(): Promise<void> {
    const t = this.cfg.template;
    const ans = await this.service.request(
      'PUT',
      `_index_template/${encodeURIComponent(t.name)}`,
      JSON.stringify(indexTemplate(this.cfg.target, this.cfg.dataStream, t.priority)),
    );
    if (ans.status >= 200 && ans.status < 300) {
      this.templateDone = true;
      this.log.info('elasticsearch index template installed', { output: this.name, template: t.name });
    } else if (ans.status === 429 || ans.status >= 500) {
      throw new Error(`index template: ${ans.status} ${ans.body.slice(0, 200)}`);
    } else {
      // e.g. no manage_index_templates privilege: ship with whatever mappings the cluster has
      this.templateDone = true;
      this.log.error('elasticsearch index template not installed, continuing without it', {
        output: this.name,
        status: ans.status,
        body: ans.body.slice(0, 300),
      });
    }
  }

  private async deadLetter(items: { p: Pending; status: number; type?: string; reason?: string }[]): Promise<void> {
    try {
      await this.deadLetters.write(items.map(({ p, status, type, reason }) => ({ status, type, reason, index: p.item.index, id: p.item.id, doc: p.item.doc })));
    } catch (err) {
      // the dead-letter file is the last resort; if it cannot be written the records stay undelivered
      this.log.error('cannot write dead-letter file', { output: this.name, path: this.deadLetters.path, error: (err as Error).message });
      this.fail(
        items.map((x) => x.p),
        `dead-letter file ${this.deadLetters.path} not writable: ${(err as Error).message}`,
      );
      return;
    }
    this.counters.dead_lettered += items.length;
    this.log.warn('elasticsearch refused records, written to the dead-letter file', {
      output: this.name,
      count: items.length,
      status: items[0].status,
      reason: items[0].reason,
      path: this.deadLetters.path,
    });
    for (const x of items) this.done(x.p);
  }

  private done(p: Pending): void {
    const t = p.ticket;
    if (--t.left === 0 && !t.settled) {
      t.settled = true;
      t.resolve();
    }
  }

  private fail(ps: Pending[], why?: string): void {
    const err = new AuditflowError('AF_ERR_OUTPUT', `not delivered: ${why ?? (this.lastProblem || 'output closed')}`, this.name);
    for (const p of ps)
      if (!p.ticket.settled) {
        p.ticket.settled = true;
        p.ticket.reject(err);
      }
  }

  private problem(msg: string): void {
    this.counters.request_errors++;
    if (msg !== this.lastProblem) this.log.warn(`elasticsearch: ${msg}`, { output: this.name });
    this.lastProblem = msg;
  }

  /** Exponential backoff with equal jitter; cut short when the output closes. */
  private backoff(attempt: number): Promise<void> {
    const base = Math.min(this.cfg.retryMaxMs, this.cfg.retryInitialMs * 2 ** Math.min(attempt, 20));
    const ms = base / 2 + Math.random() * (base / 2);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  async close(deadlineMs: number): Promise<void> {
    this.flushing = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.kick();
    while ((this.active > 0 || this.queue.length > 0) && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    this.wake?.();
    this.service.destroy();
    const left = this.queue.splice(0);
    this.queueBytes = 0;
    this.fail(left);
    while (this.active > 0) await new Promise((r) => setTimeout(r, 5));
  }

  stats(): Record<string, number> {
    return { ...this.counters, backlog: this.queue.length };
  }
}
