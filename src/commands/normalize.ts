// `auditflow normalize`: files (or stdin) in, one JSON record per event on stdout. The same
// filters as the daemon (redaction on by default) run through the same pipeline, with stdout as
// the only output, so what this prints is what the daemon would ship.

import { createReadStream, statSync } from 'node:fs';
import { AuditflowError, parseError, usageError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Config } from '../config/load.js';
import { type Pipeline, pipelineErrorRecord } from '../pipeline/pipeline.js';
import { laneSafe, normalizePipeline, type NormalizeSetup } from '../pipeline/workers/normalize-setup.js';
import { NormalizeLanes } from '../pipeline/workers/lanes.js';
import { RedactFilter } from '../filters/redact/filter.js';
import type { Redactor } from '../filters/redact/redactor.js';
import type { ContextStage } from '../context/index.js';
import { StdoutOutput } from '../outputs/stdout.js';
import type { NormalizedRecord } from '../record.js';
import { AuditStream, RecordStream } from '../audit/stream.js';
import { parseHeader, type RecordHeader } from '../audit/record.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type Line } from '../inputs/read/lines.js';
import { enoughToSniff, sniffFormat, type LineFormat } from '../inputs/read/format.js';
import { EX_CONFIG, EX_DATAERR, EX_NOINPUT, EX_USAGE, type Command, type CommandIO } from './types.js';

type Format = LineFormat;
const formats = ['auto', 'auditlog', 'snoopy', 'bash'] as const;

interface Options {
  from: (typeof formats)[number];
  config?: string;
  redact: boolean;
  original: boolean;
  strict: boolean;
  /** name uids from this host's passwd: only right for a log written on this host */
  resolveNames: boolean;
  /** context from a process table built from the events alone */
  enrich: boolean;
  maxLineBytes: number;
  /** normalize lanes (worker threads) for audit logs; 0 or unset: everything on this thread */
  threads: number | undefined;
  files: string[];
}

/** Errors shown per file before the rest are only counted (a garbage file must not flood stderr). */
const SHOWN_ERRORS_PER_FILE = 10;

function parseArgs(args: string[]): Options {
  const o: Options = {
    from: 'auto',
    redact: true,
    original: false,
    strict: false,
    resolveNames: false,
    enrich: false,
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
    threads: undefined,
    files: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= args.length) throw usageError(`${a} needs a value`);
      return args[++i];
    };
    if (a === '--from' || a.startsWith('--from=')) {
      const v = value();
      if (!(formats as readonly string[]).includes(v)) throw usageError(`--from must be one of ${formats.join(', ')} (got "${v}")`);
      o.from = v as Options['from'];
    } else if (a === '--config' || a.startsWith('--config=')) o.config = value();
    else if (a === '--no-redact') o.redact = false;
    else if (a === '--original') o.original = true;
    else if (a === '--resolve-names') o.resolveNames = true;
    else if (a === '--strict') o.strict = true;
    else if (a === '--enrich') o.enrich = true;
    else if (a === '--max-line-bytes' || a.startsWith('--max-line-bytes=')) {
      const v = value();
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1024) throw usageError(`--max-line-bytes must be an integer of at least 1024 (got "${v}")`);
      o.maxLineBytes = n;
    } else if (a === '--threads' || a.startsWith('--threads=')) {
      const v = value();
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0 || n > 16) throw usageError(`--threads must be an integer from 0 to 16 (got "${v}")`);
      o.threads = n;
    } else if (a === '-' || !a.startsWith('-')) o.files.push(a);
    else if (a === '--') o.files.push(...args.splice(i + 1));
    else throw usageError(`unknown option ${a}`);
  }
  if (o.files.length === 0) throw usageError('name at least one FILE, or - for standard input');
  return o;
}

const ownerOf = (path: string): number | undefined => {
  try {
    return statSync(path).uid;
  } catch {
    return undefined;
  }
};
/** Entries with no `#epoch` line get the file's mtime: the latest they can have been typed. */
const mtimeOf = (path: string): number => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
};

interface LineDecoder {
  line(text: string, lineNo: number): void;
  end(): void;
}

class Run {
  parseErrors = 0;
  longLines = 0;
  lines = 0;
  records = 0;
  missing = 0;
  private pending: NormalizedRecord[] = [];
  /** errors of the file being read, and how many of them were shown */
  private fileErrors = 0;
  /** the lanes, started with the first audit log read through them */
  private lanes: NormalizeLanes | undefined;
  /** the file being read goes through the lanes */
  private laned = false;

  constructor(
    private readonly io: CommandIO,
    private readonly pipeline: Pipeline,
    private readonly opts: Options,
    private readonly errorRecords = false,
    private readonly startLanes?: () => NormalizeLanes,
  ) {}

  /** A bad line: counted, shown (the first few per file), shipped as a record if configured. */
  private error(err: AuditflowError): void {
    if (this.fileErrors++ < SHOWN_ERRORS_PER_FILE) this.io.stderr.write(`auditflow: ${err.message}\n`);
    if (!this.errorRecords) return;
    if (this.laned) this.lanes!.error(err);
    else this.pending.push(pipelineErrorRecord(err, 'normalize'));
  }

  private parseFailed = (where: string, message: string): void => {
    this.parseErrors++;
    this.error(parseError(where, message));
  };

  emit = (rec: NormalizedRecord): void => {
    this.records++;
    this.pending.push(rec);
  };

  private async pushPending(): Promise<void> {
    if (this.laned) return this.lanes!.ready();
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    await this.pipeline.push({ records });
  }

  /**
   * snoopy's and bash's parsers load when such a file is read: the bash input brings the tail
   * input and its watcher along, 7 modules an audit log never uses (startup 0.05 CPU s, 0.3 MiB).
   */
  private async decoderFor(format: Format, name: string): Promise<LineDecoder> {
    if (format === 'auditlog' && this.startLanes) {
      // headers and reassembly here; parsing whole, normalizing, filtering and serializing in the lanes
      const lanes = (this.lanes ??= this.startLanes());
      this.laned = true;
      const events = new RecordStream<RecordHeader>({
        parse: parseHeader,
        onEvent: (records) => {
          this.records++;
          lanes.event(records);
        },
        onError: this.parseFailed,
      });
      return { line: (t, n) => events.fileLine(t, name, n), end: () => events.flush() };
    }
    if (format === 'auditlog') {
      const stream = new AuditStream({
        includeOriginal: this.opts.original,
        resolveNames: this.opts.resolveNames,
        templates: true,
        onRecord: this.emit,
        onError: this.parseFailed,
      });
      return { line: (t, n) => stream.fileLine(t, name, n), end: () => stream.flush() };
    }
    const parser =
      format === 'snoopy'
        ? (await import('../inputs/snoopy/parse.js')).createSnoopyParser({
            keepOriginal: this.opts.original,
            onError: (err) => {
              this.parseErrors++;
              this.error(err);
            },
          })
        : await this.bashParser(name);
    const take = (recs: NormalizedRecord[]) => {
      for (const r of recs) this.emit(r);
    };
    return {
      line: (t, n) => {
        try {
          take(parser.line(t, `${name}:${n}`));
        } catch (err) {
          this.parseFailed(`${name}:${n}`, (err as Error).message);
        }
      },
      end: () => take(parser.end()),
    };
  }

  private async bashParser(name: string) {
    const [{ createBashHistoryParser }, { historyOwner }] = await Promise.all([import('../inputs/bash/parse.js'), import('../inputs/bash/input.js')]);
    return createBashHistoryParser({
      file: name,
      user: historyOwner(name, ownerOf(name)),
      keepOriginal: this.opts.original,
      fallbackTime: () => mtimeOf(name),
    });
  }

  /** Reads one file (or stdin) through the daemon's own line splitting and format detection. */
  async file(name: string): Promise<void> {
    const stream = name === '-' ? this.io.stdin : createReadStream(name, { highWaterMark: 1 << 16 });
    const label = name === '-' ? '(stdin)' : name;
    const split = new LineSplitter(this.opts.maxLineBytes);
    const lines: Line[] = [];
    let offset = 0;
    let decoder: LineDecoder | undefined;
    this.fileErrors = 0;
    this.laned = false;
    const open = (head: readonly Line[]): Promise<LineDecoder> => {
      const format = this.opts.from !== 'auto' ? this.opts.from : sniffFormat(head.map((l) => l.text));
      if (!format) throw new AuditflowError('AF_ERR_INPUT', 'cannot tell the format (not audit.log, snoopy or bash history); use --from', label);
      return this.decoderFor(format, label);
    };
    // Lines wait in `lines` until the format is known (auto: enough lines to tell, or the end).
    const feed = async (final: boolean) => {
      if (!decoder) {
        if (!final && this.opts.from === 'auto' && !enoughToSniff(lines.map((l) => l.text))) return;
        if (lines.length === 0) return;
        decoder = await open(lines);
      }
      for (const l of lines) {
        if (l.truncated) {
          this.longLines++;
          this.error(
            new AuditflowError(
              'AF_ERR_INPUT',
              `line longer than ${this.opts.maxLineBytes} bytes: kept its first ${this.opts.maxLineBytes} bytes`,
              `${label}:${l.line}`,
            ),
          );
        }
        decoder.line(l.text, l.line);
      }
      this.lines += lines.length;
      lines.length = 0;
    };
    try {
      for await (const chunk of stream) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        split.push(buf, buf.length, offset, lines);
        offset += buf.length;
        await feed(false);
        await this.pushPending();
      }
      split.end(lines);
      await feed(true);
      decoder?.end();
      await this.pushPending();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EPERM') {
        this.missing++;
        this.io.stderr.write(`auditflow: ${label}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'permission denied'}\n`);
        return;
      }
      if (err instanceof AuditflowError && err.code === 'AF_ERR_INPUT') {
        this.missing++;
        this.io.stderr.write(`auditflow: ${err.message}\n`);
        return;
      }
      throw err;
    } finally {
      // the next file's records (perhaps from this thread) come after all of this one's, even
      // when this one stopped at a read error
      if (this.laned) {
        this.laned = false;
        await this.lanes!.flush();
      }
      if (this.fileErrors > SHOWN_ERRORS_PER_FILE)
        this.io.stderr.write(`auditflow: ${label}: ${this.fileErrors - SHOWN_ERRORS_PER_FILE} more error(s) not shown\n`);
    }
  }

  /** Stops the lanes, if any started, after what they hold is written. */
  async closeLanes(): Promise<void> {
    await this.lanes?.close();
  }
}

export const normalizeCommand: Command = {
  name: 'normalize',
  usage:
    'normalize [--from auto|auditlog|snoopy|bash] [--config FILE] [--no-redact] [--original] [--strict] [--resolve-names] [--enrich] [--max-line-bytes N] [--threads N] FILE...|-',
  summary: 'read audit.log, snoopy or bash history files; print one JSON record per event (redacted by default)',
  async run(args, io) {
    let opts: Options;
    let config: Config | undefined;
    try {
      opts = parseArgs(args);
      // loaded only when used: the config schema (every component's) and ajv are a quarter of
      // normalize's resident memory
      if (opts.config) config = (await import('../config/load.js')).loadConfig(opts.config);
    } catch (err) {
      if (!(err instanceof AuditflowError)) throw err;
      io.stderr.write(`auditflow: ${err.message}\n`);
      if (err.code === 'AF_ERR_USAGE') io.stderr.write(`usage: auditflow ${normalizeCommand.usage}\n`);
      return err.code === 'AF_ERR_CONFIG' ? EX_CONFIG : EX_USAGE;
    }
    const log = createLogger(config?.log_level ?? 'warn', (l) => io.stderr.write(l));
    const items: unknown[] = [...(config?.filters ?? [])];
    if (!opts.redact) items.push({ type: 'redact', enabled: false });
    const setup: NormalizeSetup = {
      filters: items,
      host: config?.host,
      stateDir: config?.state_dir ?? '/tmp',
      includeOriginal: opts.original,
      resolveNames: opts.resolveNames,
    };
    let redactor: Redactor | undefined;
    let context: ContextStage | undefined;
    let pipeline: Pipeline;
    try {
      if (opts.enrich) {
        const { createContext, defaultEnrichConfig } = await import('../context/index.js');
        context = createContext(config?.enrich ?? defaultEnrichConfig(), { live: false, redactArgs: (a) => redactor?.args(a) });
      }
      const built = normalizePipeline(setup, new StdoutOutput('stdout', io.stdout), log, context);
      pipeline = built.pipeline;
      redactor = built.filters.find((f): f is RedactFilter => f instanceof RedactFilter)?.redactor;
    } catch (err) {
      if (!(err instanceof AuditflowError)) throw err;
      io.stderr.write(`auditflow: ${err.message}\n`);
      return EX_CONFIG;
    }
    // Lanes (--threads N) split records between threads only where no stage keeps state across
    // records (a process table sees every event, a throttle counts them all); else one lane keeps
    // them whole. Off by default: measured on 2 shared cores they cost ~60% more CPU and twice
    // the memory for no gain in wall time (bench/PROFILE.md).
    const threads = opts.enrich ? 0 : (opts.threads ?? 0);
    const lanes = threads === 0 ? undefined : laneSafe(items) ? threads : 1;
    const startLanes =
      lanes === undefined
        ? undefined
        : () =>
            new NormalizeLanes({
              lanes,
              setup,
              logLevel: config?.log_level ?? 'warn',
              out: io.stdout,
              log: (l) => io.stderr.write(l),
            });
    await pipeline.start();
    const run = new Run(io, pipeline, opts, config?.error_records === true, startLanes);
    const started = Date.now();
    const progress = io.stderr.isTTY
      ? setInterval(
          () =>
            io.stderr.write(
              `\r${run.lines} lines, ${run.records} records, ${run.parseErrors} errors, ${Math.round(run.lines / ((Date.now() - started) / 1000))} lines/s `,
            ),
          250,
        )
      : undefined;
    try {
      for (const f of opts.files) await run.file(f);
    } finally {
      if (progress) {
        clearInterval(progress);
        io.stderr.write('\r\x1b[K');
      }
      await run.closeLanes();
      await pipeline.stop(Date.now() + 5000);
    }
    if (run.longLines > 0) io.stderr.write(`auditflow: ${run.longLines} line(s) longer than ${opts.maxLineBytes} bytes were cut\n`);
    if (run.parseErrors > 0) io.stderr.write(`auditflow: ${run.parseErrors} line(s) could not be parsed; ${run.records} records written\n`);
    if (run.missing > 0) return EX_NOINPUT;
    if (opts.strict && (run.parseErrors > 0 || run.longLines > 0)) return EX_DATAERR;
    return 0;
  },
};
