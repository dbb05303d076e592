// A pipeline Input made of the tailer and a per-file line reader (snoopy, bash, audit.log).
// The reader turns lines into records and says which offset is safe to commit: a reader may hold
// lines back (a snoopy entry waiting for continuation lines, an audit event still in flight), and
// the checkpoint must never pass a line whose records have not been delivered.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AuditflowError } from '../../errors.js';
import { formatNames, sniffFormat, type LineFormat } from '../read/format.js';
import type { NormalizedRecord } from '../../record.js';
import type { BuildContext, Input, InputSink } from '../../pipeline/types.js';
import { joinBatches, type Batch as EventBatch } from '../../pipeline/workers/lane-protocol.js';
import { Tailer, type TailChunk, type TailedFile, type TailLine } from './tail.js';

export interface LineReader {
  /** One complete line; records that became complete go to `out` (they may be of earlier lines). */
  line(line: TailLine, where: string, out: NormalizedRecord[]): void;
  /** The file has nothing more right now, for idleMs of wall time: emit what can be emitted. */
  idle(idleMs: number, out: NormalizedRecord[]): void;
  /** Start offset of the first line whose records are still held back, or undefined if none. */
  heldFrom(): number | undefined;
  /**
   * A reader for a pipeline with lanes (InputSink.lanes) hands complete audit events over as
   * their lines instead of records: those that became complete since the last call.
   */
  events?(): EventBatch | undefined;
}

/** A line parser that may hold an entry back until its continuation lines have come. */
export interface HoldingParser {
  line(text: string, where: string, offset?: number): NormalizedRecord[];
  end(): NormalizedRecord[];
  heldFrom(): number | undefined;
}

/**
 * The LineReader of a parser whose source writes a whole entry in one write(2) (snoopy, bash):
 * at a pause the held entry is complete.
 */
export function holdingLineReader(p: HoldingParser): LineReader {
  return {
    line(line, where, out) {
      const recs = p.line(line.text, where, line.start);
      for (let i = 0; i < recs.length; i++) out.push(recs[i]);
    },
    idle(_idleMs, out) {
      const recs = p.end();
      for (let i = 0; i < recs.length; i++) out.push(recs[i]);
    },
    heldFrom: () => p.heldFrom(),
  };
}

/** The config keys every file input shares (see tailSchemaProperties). */
export interface TailInputConfig {
  type: string;
  path: string | string[];
  exclude?: string[];
  start_at?: 'beginning' | 'end';
  poll_interval_ms?: number;
  checkpoint_interval_ms?: number;
  rotate_wait_ms?: number;
  max_line_bytes?: number;
  fingerprint_bytes?: number;
  /** names the checkpoint file; defaults to a hash of type + paths */
  id?: string;
}

/** The config keys every file input shares; their defaults apply wherever a key is missing. */
export const tailSchemaProperties = {
  path: {
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    ],
    description: 'file path or glob (micromatch), or a list of them',
  },
  exclude: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'globs of files to leave alone' },
  start_at: { enum: ['beginning', 'end'], default: 'beginning', description: 'where a file with no checkpoint that exists at startup begins' },
  poll_interval_ms: {
    type: 'integer',
    minimum: 10,
    maximum: 60000,
    default: 250,
    description:
      'how often files are polled when file-change notifications are unavailable, and how often a reader holding lines back (an audit event in flight) is re-checked; with notifications a write is read at once and an idle file is checked every 2 s',
  },
  checkpoint_interval_ms: {
    type: 'integer',
    minimum: 10,
    maximum: 600000,
    default: 1000,
    description: 'at most this long after a line is delivered, its offset is in the checkpoint file (so a crash re-reads at most this much)',
  },
  rotate_wait_ms: {
    type: 'integer',
    minimum: 0,
    maximum: 3600000,
    default: 5000,
    description: 'how long a rotated-away or deleted file is kept open after its last data for late writes, then closed',
  },
  max_line_bytes: {
    type: 'integer',
    minimum: 1024,
    maximum: 67108864,
    default: 1048576,
    description: 'longer lines keep their first max_line_bytes bytes, are counted (long_lines) and reported',
  },
  fingerprint_bytes: { type: 'integer', minimum: 16, maximum: 65536, default: 1024 },
  id: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'names the checkpoint file (default: derived from type and paths)' },
} as const;

const tailDefaults: Partial<TailInputConfig> = Object.fromEntries(
  Object.entries(tailSchemaProperties).flatMap(([k, p]) => ('default' in p ? [[k, p.default]] : [])),
);

/** The config with the schema's defaults wherever a key is missing (or undefined). */
function withTailDefaults<C extends TailInputConfig>(cfg: C): C {
  const out = { ...tailDefaults } as C;
  for (const [k, v] of Object.entries(cfg)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export function checkpointPathFor(cfg: TailInputConfig, stateDir: string): string {
  const paths = Array.isArray(cfg.path) ? cfg.path : [cfg.path];
  const id = cfg.id ?? `${cfg.type}-${createHash('sha1').update(paths.join('\0')).digest('hex').slice(0, 12)}`;
  return join(stateDir, 'checkpoints', `${id}.json`);
}

export interface TailInputStats {
  [k: string]: number;
}

/**
 * Builds the Input. `newReader` is called per file (and again after the file was truncated, so
 * no state leaks across generations); `onError` of the reader's parser should go to `sinkError`.
 */
export function createTailInput(
  cfg: TailInputConfig,
  ctx: BuildContext,
  newReader: (file: TailedFile, sinkError: (err: AuditflowError) => void, lanes: boolean) => LineReader,
  extraStats?: () => Record<string, number>,
): Input & { tailer(): Tailer | undefined } {
  const c = withTailDefaults(cfg);
  const paths = Array.isArray(c.path) ? c.path : [c.path];
  const name = `${c.type}:${paths.join(',')}`;
  let tailer: Tailer | undefined;
  let sink: InputSink | undefined;
  interface ReaderState {
    gen: number;
    reader: LineReader;
    lastCommit: number;
    lastLines: number | undefined;
    /** events the previous generation's reader completed when it was replaced (lanes) */
    carried?: EventBatch;
  }
  const readers = new WeakMap<TailedFile, ReaderState>();
  let records = 0;
  let errors = 0;
  const sinkError = (err: AuditflowError) => {
    errors++;
    sink?.error(err);
  };

  // A file whose first lines are plainly another format (a snoopy input pointed at an audit.log)
  // would only yield parse errors: say once what it looks like, with the same guess as `normalize`.
  const expected = (Object.keys(formatNames) as LineFormat[]).find((f) => f === c.type);
  const sniffed = new WeakSet<TailedFile>();
  const checkFormat = (chunk: TailChunk) => {
    if (!expected || sniffed.has(chunk.file) || chunk.lines.length === 0 || chunk.lines[0].start !== 0) return;
    sniffed.add(chunk.file);
    const looks = sniffFormat(chunk.lines.map((l) => l.text));
    if (looks && looks !== expected) {
      sinkError(
        new AuditflowError('AF_ERR_INPUT', `looks like ${formatNames[looks]}, not ${formatNames[expected]}: is the input's type right?`, chunk.file.path),
      );
    }
  };

  // After a truncation the file's old reader may still hold complete lines of the old content
  // (an audit event in flight): they are emitted into `out`, not dropped with the reader.
  const readerFor = (file: TailedFile, gen: number, out: NormalizedRecord[]) => {
    let r = readers.get(file);
    if (!r || r.gen !== gen) {
      if (r) r.reader.idle(Infinity, out);
      const carried = r?.reader.events?.();
      r = { gen, reader: newReader(file, sinkError, sink?.lanes === true), lastCommit: -1, lastLines: undefined, carried };
      readers.set(file, r);
    }
    return r;
  };

  // Acks arrive in push order, and the pipeline skips the ack of a batch an output rejected. So
  // when a batch is acked while an earlier one of the same input still waits, the earlier one
  // failed: its file's checkpoint is frozen there (its lines are read again after a restart)
  // instead of letting later acks carry the checkpoint past undelivered lines.
  const pending: { file: TailedFile; gen: number; offset: number; lines: number | undefined; acked: boolean }[] = [];
  const frozen = new WeakSet<TailedFile>();
  let failedBatches = 0;
  const settle = () => {
    let lastAcked = -1;
    for (let i = pending.length - 1; i >= 0; i--)
      if (pending[i].acked) {
        lastAcked = i;
        break;
      }
    while (pending.length && (pending[0].acked || lastAcked > 0)) {
      const p = pending.shift()!;
      lastAcked--;
      if (!p.acked) {
        failedBatches++;
        if (!frozen.has(p.file)) {
          frozen.add(p.file);
          ctx.log.warn('a batch was not delivered: checkpoint held so its lines are read again after a restart', {
            input: name,
            path: p.file.path,
            offset: p.file.committed,
          });
        }
        continue;
      }
      if (!frozen.has(p.file)) tailer!.commit(p.file, p.gen, p.offset, p.lines);
    }
  };

  /** `lastEnd`/`linesBefore`: the end of what was consumed and how many lines precede it (0: unknown). */
  const deliver = async (file: TailedFile, gen: number, out: NormalizedRecord[], lastEnd: number | undefined, linesBefore: number, r: ReaderState) => {
    const held = r.reader.heldFrom();
    const offset = held ?? lastEnd;
    const advances = offset !== undefined && offset > r.lastCommit;
    const events = joinBatches(r.carried, r.reader.events?.());
    r.carried = undefined;
    if (!out.length && !events && !advances) return;
    records += out.length;
    if (events) for (const lines of events.shape) if (lines > 0) records++;
    // Every batch is tracked, even one that does not move the offset: if it fails, a later
    // batch of the same file must not carry the checkpoint past its lines.
    if (advances) {
      r.lastCommit = offset;
      r.lastLines = held === undefined && linesBefore > 0 ? linesBefore : undefined;
    }
    const entry = { file, gen, offset: r.lastCommit, lines: r.lastLines, acked: false };
    pending.push(entry);
    await sink!.push({
      records: out,
      events,
      ack: () => {
        entry.acked = true;
        settle();
      },
    });
  };

  return {
    name,
    tailer: () => tailer,
    async start(s: InputSink) {
      sink = s;
      tailer = new Tailer({
        include: paths,
        exclude: c.exclude,
        startAt: c.start_at,
        checkpointPath: checkpointPathFor(c, ctx.stateDir),
        log: ctx.log,
        pollMs: c.poll_interval_ms,
        checkpointMs: c.checkpoint_interval_ms,
        rotateWaitMs: c.rotate_wait_ms,
        maxLineBytes: c.max_line_bytes,
        fingerprintBytes: c.fingerprint_bytes,
        onError: sinkError,
        onChunk: async (chunk: TailChunk) => {
          checkFormat(chunk);
          const out: NormalizedRecord[] = [];
          const r = readerFor(chunk.file, chunk.gen, out);
          for (const line of chunk.lines) {
            r.reader.line(line, chunk.file.where(line), out);
          }
          if (chunk.atEof) r.reader.idle(0, out);
          const last = chunk.lines.length ? chunk.lines[chunk.lines.length - 1] : undefined;
          await deliver(chunk.file, chunk.gen, out, last?.end, last?.line ?? 0, r);
        },
        onIdle: async (file, gen, idleMs) => {
          const out: NormalizedRecord[] = [];
          const r = readerFor(file, gen, out);
          if (r.reader.heldFrom() === undefined && !out.length) return false;
          r.reader.idle(idleMs, out);
          // Everything read is consumed once nothing is held: commit up to the read position
          // minus any partial last line (which the tailer has not handed over yet).
          await deliver(file, gen, out, file.handedOverTo(), Math.max(0, file.lineNo), r);
          return r.reader.heldFrom() !== undefined;
        },
      });
      await tailer.start();
    },
    async stop() {
      await tailer?.stop();
      tailer?.close();
    },
    stats() {
      return { ...(tailer?.stats() ?? {}), records, errors, failed_batches: failedBatches, ...(extraStats?.() ?? {}) } as unknown as Record<string, number>;
    },
  };
}
