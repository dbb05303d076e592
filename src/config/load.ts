// Reads a YAML or JSON config, fills defaults and validates it once against the schema built
// from the registries. Every problem is reported with the path of the key it is about.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configError } from '../errors.js';
import { inputDefs } from '../inputs/index.js';
import { filterDefs, normalizeFilterItem } from '../filters/index.js';
import { outputDefs } from '../outputs/index.js';
import type { ComponentDef } from '../pipeline/types.js';
import { topSchema } from './schema.js';
import { compile, describeErrors, tryResolve } from './resolve.js';
import type { MetricsConfig } from '../metrics/index.js';
import type { EnrichConfig } from '../context/config.js';
import { packageRoot } from '../paths.js';

/** A component's resolved config: its schema's defaults filled in. */
export interface ComponentConfig {
  type: string;
  [k: string]: unknown;
}

export interface Config {
  state_dir: string;
  log_level: 'debug' | 'info' | 'warn' | 'error';
  pid_file?: string;
  host: { name?: string; id?: string; fields?: Record<string, string | number | boolean> };
  inputs: ComponentConfig[];
  filters: ComponentConfig[];
  outputs: ComponentConfig[];
  shutdown_timeout_ms: number;
  error_records: boolean;
  metrics?: MetricsConfig;
  /** context from the process table (src/context/); schema defaults fill it */
  enrich: EnrichConfig;
  /** worker lanes for an audit.log input (src/daemon.ts laneCount); schema default 0 */
  threads: number;
  /** old spellings that were accepted, each naming its key: the caller logs them */
  warnings: string[];
}

export const defaultConfigPath = (): string => join(packageRoot(), 'config', 'default.yaml');

const lists: [key: 'inputs' | 'filters' | 'outputs', defs: ComponentDef<unknown>[]][] = [
  ['inputs', inputDefs],
  ['filters', filterDefs],
  ['outputs', outputDefs],
];

/**
 * Validates a parsed document, fills every default (top level and each component's own) and
 * renames old key spellings; throws one AF_ERR_CONFIG listing every problem, each naming its key.
 */
export function checkConfig(doc: unknown, source: string): Config {
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(source, 'the config must be a mapping of keys');
  const d = structuredClone(doc) as Record<string, unknown>;
  if (Array.isArray(d.filters)) d.filters = d.filters.map(normalizeFilterItem);
  const validate = compile(topSchema);
  const problems = validate(d) ? [] : describeErrors(validate.errors ?? [], '');
  const warnings: string[] = [];
  for (const [key, defs] of lists) {
    if (!Array.isArray(d[key])) continue;
    d[key] = (d[key] as unknown[]).map((item, i) => {
      const where = `${key}[${i}]`;
      const type = item !== null && typeof item === 'object' ? (item as { type?: unknown }).type : undefined;
      const def = defs.find((x) => x.type === type);
      if (def === undefined) {
        if (item !== null && typeof item === 'object') {
          problems.push(
            `${where}.type: ${type === undefined ? 'missing' : `unknown type ${JSON.stringify(type)}`} (known: ${defs.map((x) => x.type).join(', ')})`,
          );
        }
        return item;
      }
      const r = tryResolve<ComponentConfig>(def, item, where);
      problems.push(...r.problems);
      warnings.push(...r.warnings);
      return r.config;
    });
  }
  if (problems.length > 0) throw configError(source, `invalid config:\n  ${[...new Set(problems)].join('\n  ')}`);
  return { ...(d as unknown as Config), warnings };
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
