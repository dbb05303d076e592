// A normalize lane: a worker thread that turns batches of reassembled events into JSON lines,
// for `normalize --threads N` and the daemon's `threads:`. Normalizer, decoration, the context
// stage (the daemon's single lane), filters (redaction) and serialization run here; the main thread only
// reads line headers, reassembles and writes, so `normalize` keeps two cores busy. Batches are
// answered in the order they came.

import { parentPort } from 'node:worker_threads';
import { createNormalizer } from '../../audit/normalize/index.js';
import { AuditflowError } from '../../errors.js';
import { createLogger, type Level } from '../../log.js';
import { JsonLinesEncoder } from '../../outputs/json-lines.js';
import type { NormalizedRecord } from '../../record.js';
import { pipelineErrorRecord, type Pipeline } from '../pipeline.js';
import type { Output } from '../types.js';
import type { FromLane, ToLane } from './lane-protocol.js';
import type { ContextStage } from '../../context/index.js';
import { RedactFilter } from '../../filters/redact/filter.js';
import type { Redactor } from '../../filters/redact/redactor.js';
import { unpack } from './lane-protocol.js';
import { normalizePipeline } from './normalize-setup.js';

/** The pipeline's only output: records become bytes of the batch being answered. */
class EncodeOutput implements Output {
  readonly name = 'stdout';
  private readonly encoder = new JsonLinesEncoder();
  private written = 0;
  async start(): Promise<void> {}
  write(records: readonly NormalizedRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i++) this.encoder.add(records[i]);
    this.written += records.length;
    return Promise.resolve();
  }
  async close(): Promise<void> {}
  stats() {
    return { written: this.written };
  }
  /** The bytes gathered since the last call. */
  take(): Uint8Array {
    return this.encoder.take();
  }
}

const port = parentPort!;
const send = (m: FromLane, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
const output = new EncodeOutput();
let pipeline: Pipeline | undefined;
let normalizer: ReturnType<typeof createNormalizer> | undefined;
/** lines answered so far */
let written = 0;
/** Messages are handled one after another even where the pipeline awaits. */
let chain: Promise<void> = Promise.resolve();

async function handle(m: ToLane): Promise<void> {
  if (m.kind === 'init') {
    const log = createLogger(m.logLevel as Level, (line) => send({ kind: 'log', line }));
    normalizer = createNormalizer({ includeOriginal: m.setup.includeOriginal, resolveNames: m.setup.resolveNames, templates: true });
    let context: ContextStage | undefined;
    let redactor: Redactor | undefined;
    if (m.setup.enrich) {
      const { createContext } = await import('../../context/index.js');
      context = createContext(m.setup.enrich, { live: m.setup.live === true, hostId: m.setup.hostId, redactArgs: (a) => redactor?.args(a) });
    }
    const built = normalizePipeline(m.setup, output, log, context);
    pipeline = built.pipeline;
    redactor = built.filters.find((f): f is RedactFilter => f instanceof RedactFilter)?.redactor;
    await pipeline.start();
    return;
  }
  if (m.kind === 'batch') {
    // A busy lane takes its queued batches back to back: I/O the context stage started (an
    // executable being hashed, answered only to later records) gets its turn between them here.
    if (m.seq > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const records: NormalizedRecord[] = [];
    unpack(
      m,
      (recs) => records.push(normalizer!.normalize(recs)),
      (code, message, where) => {
        records.push(pipelineErrorRecord(new AuditflowError(code as AuditflowError['code'], message, where), 'normalize'));
      },
    );
    if (records.length > 0) await pipeline!.push({ records });
    const kept = output.stats().written - written;
    written += kept;
    const bytes = output.take();
    send({ kind: 'out', seq: m.seq, bytes, records: kept }, [bytes.buffer as ArrayBuffer]);
    return;
  }
  await pipeline!.stop(Date.now() + 5000);
  const bytes = output.take();
  send({ kind: 'ended', bytes }, [bytes.buffer as ArrayBuffer]);
  port.close();
}

port.on('message', (m: ToLane) => {
  chain = chain.then(() => handle(m));
});
