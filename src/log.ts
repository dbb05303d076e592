// Diagnostics to stderr (records go to outputs, never here). One line per message, logfmt-ish.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, ctx?: Record<string, unknown>): void;
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  error(msg: string, ctx?: Record<string, unknown>): void;
}

export function createLogger(level: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = order[level];
  const emit = (lvl: Level, msg: string, ctx?: Record<string, unknown>) => {
    if (order[lvl] < min) return;
    let line = `auditflow ${lvl}: ${msg}`;
    if (ctx) for (const k in ctx) line += ` ${k}=${JSON.stringify(ctx[k])}`;
    write(line + '\n');
  };
  return {
    debug: (m, c) => emit('debug', m, c),
    info: (m, c) => emit('info', m, c),
    warn: (m, c) => emit('warn', m, c),
    error: (m, c) => emit('error', m, c),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
