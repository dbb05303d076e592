// Reads a YAML or JSON config, fills defaults and validates it once against the schema built
// from the registries. Every problem is reported with the path of the key it is about.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { configError } from '../errors.js';
import { inputDefs } from '../inputs/index.js';
import { filterDefs } from '../filters/index.js';
import { outputDefs } from '../outputs/index.js';
import { buildSchema } from './schema.js';
import { metricsSchema, type MetricsConfig } from '../metrics/index.js';
import { packageRoot } from '../paths.js';
import { join } from 'node:path';

export interface Config {
  state_dir: string;
  log_level: 'debug' | 'info' | 'warn' | 'error';
  pid_file?: string;
  host: { name?: string; id?: string; fields?: Record<string, string | number | boolean> };
  inputs: { type: string; [k: string]: unknown }[];
  filters: { type: string; [k: string]: unknown }[];
  outputs: { type: string; [k: string]: unknown }[];
  shutdown_timeout_ms: number;
  error_records?: boolean;
  metrics?: MetricsConfig;
  [k: string]: unknown;
}

export const defaultConfigPath = (): string => join(packageRoot(), 'config', 'default.yaml');

let validator: ReturnType<Ajv['compile']> | undefined;
export function configSchema(): Record<string, unknown> {
  return buildSchema(inputDefs, filterDefs, outputDefs, { metrics: metricsSchema });
}

function validate(doc: unknown): readonly ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, discriminator: true, strict: false, useDefaults: false }).compile(configSchema());
  return validator(doc) ? [] : validator.errors ?? [];
}

/** `/outputs/1/port` → `outputs[1].port` */
function keyPath(pointer: string): string {
  let out = '';
  for (const part of pointer.split('/').slice(1)) {
    const p = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  }
  return out || '(top level)';
}

function describe(e: ErrorObject, doc: unknown): string {
  const where = keyPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where === '(top level)' ? '' : where + '.'}${(e.params as { additionalProperty: string }).additionalProperty}: unknown key`;
    case 'discriminator': {
      const list = e.instancePath.split('/')[1];
      const known = (list === 'inputs' ? inputDefs : list === 'filters' ? filterDefs : outputDefs).map((d) => d.type).join(', ');
      const value = e.instancePath.split('/').slice(1).reduce<any>((o, k) => o?.[k], doc)?.type;
      return `${where}.type: ${value === undefined ? 'missing' : `unknown type ${JSON.stringify(value)}`} (known: ${known})`;
    }
    case 'enum':
      return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `${where === '(top level)' ? '' : where + '.'}${(e.params as { missingProperty: string }).missingProperty}: required`;
    default:
      return `${where}: ${e.message}`;
  }
}

/** Items written as `- filter_chain: "..."` (snoopy's syntax) get their type spelled out. */
function normalizeFilters(doc: Record<string, unknown>): void {
  if (!Array.isArray(doc.filters)) return;
  doc.filters = doc.filters.map((f) =>
    f && typeof f === 'object' && !('type' in f) && 'filter_chain' in f ? { type: 'filter_chain', ...f } : f);
}

/** Validates a parsed document and fills defaults; throws one AF_ERR_CONFIG listing every problem. */
export function checkConfig(doc: unknown, source: string): Config {
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(source, 'the config must be a mapping of keys');
  const d = doc as Record<string, unknown>;
  normalizeFilters(d);
  const errors = validate(d);
  if (errors.length > 0) {
    // discriminator errors hide the branch errors; report each path once
    const lines = [...new Set(errors.map((e) => describe(e, d)))];
    throw configError(source, `invalid config:\n  ${lines.join('\n  ')}`);
  }
  return {
    state_dir: '/var/lib/auditflow',
    log_level: 'info',
    host: {},
    inputs: [],
    filters: [],
    outputs: [{ type: 'stdout' }],
    shutdown_timeout_ms: 10_000,
    ...(d as Partial<Config>),
  } as Config;
}

export function parseConfigText(text: string, source: string): unknown {
  try {
    // YAML is a superset of JSON; the YAML parser's errors carry line and column
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw configError(source, `not valid YAML/JSON: ${(err as Error).message}`);
  }
}

export function loadConfig(path: string | URL): Config {
  const source = path instanceof URL ? path.pathname : path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(source, `cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return checkConfig(parseConfigText(text, source), source);
}
